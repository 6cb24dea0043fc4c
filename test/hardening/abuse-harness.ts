/**
 * The abuse harness (issue 19, `npm run abuse`): the real service as a child process with its
 * default limits, attacked over loopback only, in four bounded phases that stop by themselves.
 * Each phase reports what the attacker got and what the service kept doing meanwhile:
 *
 * - disk: one party re-posts maximum-size DLC offers and 2 MB evidence files as fast as it can;
 *   bytes sent, statuses, and how much the data dir grew;
 * - connections: one address opens many idle sockets and a trickling body; sockets the service
 *   kept, and /healthz latency from another address meanwhile;
 * - CPU: four addresses create 20-milestone contracts back to back; their statuses and /healthz
 *   latency meanwhile;
 * - login: parallel password guesses from one address, then a distributed guesser, then the real
 *   arbiter from its known device.
 *
 * Clients play several addresses by binding 127.0.0.x (all of 127/8 reaches the service).
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { loadOrCreateJwtSecret } from '../../oracle/data-dir.ts';
import { TokenIssuer } from '../../oracle/http/tokens.ts';
import { contractRequest } from '../oracle/helpers.ts';
import { childEnv, startServiceChild, tempDir } from './child.ts';
import { cookieHeader, httpFrom } from './from-address.ts';

export interface AbuseScale {
  /** Seconds each flooding phase runs. */
  readonly seconds: number;
  /** Idle sockets the connection phase tries to open from one address. */
  readonly sockets: number;
  /** Parallel guesses in the login phase. */
  readonly guesses: number;
}

export const FULL_SCALE: AbuseScale = { seconds: 20, sockets: 2000, guesses: 200 };

export interface Latency {
  readonly n: number;
  readonly failed: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
}

export interface AbuseReport {
  readonly disk: {
    readonly seconds: number;
    readonly requestBytesSent: number;
    readonly statuses: Record<string, number>;
    readonly dataDirGrowthBytes: number;
  };
  readonly connections: {
    readonly attempted: number;
    readonly keptOpen: number;
    readonly closedByService: number;
    readonly trickleCutAfterMs: number;
    readonly health: Latency;
  };
  readonly cpu: {
    readonly seconds: number;
    readonly statuses: Record<string, number>;
    readonly milestonesCreated: number;
    readonly health: Latency;
    readonly healthBaseline: Latency;
  };
  readonly login: {
    readonly parallelGuesses: number;
    readonly passwordChecked: number;
    readonly refused429: number;
    /** Guesses whose connection the per-address connection cap closed. */
    readonly connectionRefused: number;
    readonly distributedAttempts: number;
    readonly knownDeviceLogin: number;
    readonly newDeviceLogin: number;
  };
}

const PASSWORD = 'the arbiter password, long enough';

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return n;
}

function latencyOf(ms: number[], failed: number): Latency {
  const xs = [...ms].sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN);
  return {
    n: xs.length,
    failed,
    p50Ms: at(0.5),
    p95Ms: at(0.95),
    maxMs: Math.round(xs.at(-1) ?? NaN),
  };
}

/** Polls /healthz from 127.0.0.1 every 100 ms until `stop` resolves. */
async function probeHealth(url: string, stop: Promise<unknown>): Promise<Latency> {
  const ms: number[] = [];
  let failed = 0;
  let done = false;
  void stop.then(() => (done = true));
  while (!done) {
    const t = performance.now();
    try {
      const r = await httpFrom('127.0.0.1', url, 'GET', '/healthz');
      if (r.status === 200) ms.push(performance.now() - t);
      else failed += 1;
    } catch {
      failed += 1;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return latencyOf(ms, failed);
}

/** POST with a body from `from`, counting bytes; never throws (a reset counts as status 0). */
function postFrom(
  from: string,
  url: string,
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const req = request(
      {
        host: u.hostname,
        port: Number(u.port),
        method: 'POST',
        path,
        localAddress: from,
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

const count = (m: Record<string, number>, k: number) => {
  m[String(k)] = (m[String(k)] ?? 0) + 1;
};

async function diskPhase(
  url: string,
  dataDir: string,
  scale: AbuseScale,
): Promise<AbuseReport['disk']> {
  const now = Math.floor(Date.now() / 1000);
  const created = await httpFrom('127.0.0.20', url, 'POST', '/v1/contracts', {
    body: contractRequest(now, [
      { dispute: { evidenceWindowSec: 86_400, votingWindowSec: 86_400 } },
    ]),
  });
  const c = created.json as {
    contract: { id: string };
    tokens: { client: string; freelancer: string };
  };
  const m = `/v1/contracts/${c.contract.id}/milestones/0`;
  await httpFrom('127.0.0.20', url, 'POST', `${m}/deliver`, {
    headers: { authorization: `Bearer ${c.tokens.freelancer}` },
    body: { commitSha: 'c'.repeat(40) },
  });
  await httpFrom('127.0.0.20', url, 'POST', `${m}/dispute`, {
    headers: { authorization: `Bearer ${c.tokens.client}` },
    body: { reason: 'abuse harness' },
  });
  const offer = JSON.stringify({ hex: 'a71a' + '00'.repeat(1024 * 1024 - 2) });
  const filler = Buffer.alloc(2 * 1024 * 1024 - 6, 1);
  const before = dirBytes(dataDir);
  const statuses: Record<string, number> = {};
  let sent = 0;
  const end = performance.now() + scale.seconds * 1000;
  for (let i = 0; performance.now() < end; i++) {
    const evidence = JSON.stringify({
      kind: 'file',
      fileName: `f${i}.bin`,
      contentType: 'application/octet-stream',
      contentBase64: Buffer.concat([Buffer.from(String(i).padStart(6, '0')), filler]).toString(
        'base64',
      ),
    });
    const [a, b] = await Promise.all([
      postFrom('127.0.0.20', url, `${m}/dlc/offer`, offer, {
        authorization: `Bearer ${c.tokens.client}`,
      }),
      postFrom('127.0.0.20', url, `${m}/dispute/evidence`, evidence, {
        authorization: `Bearer ${c.tokens.client}`,
      }),
    ]);
    sent += offer.length + evidence.length;
    count(statuses, a);
    count(statuses, b);
  }
  return {
    seconds: scale.seconds,
    requestBytesSent: sent,
    statuses,
    dataDirGrowthBytes: dirBytes(dataDir) - before,
  };
}

async function connectionPhase(
  url: string,
  scale: AbuseScale,
): Promise<AbuseReport['connections']> {
  const u = new URL(url);
  const sockets: Socket[] = [];
  let closed = 0;
  const stop = (async () => {
    for (let i = 0; i < scale.sockets; i++) {
      await new Promise<void>((resolve) => {
        const s = connect({ host: u.hostname, port: Number(u.port), localAddress: '127.0.0.30' });
        s.on('error', () => undefined);
        s.once('close', () => (closed += 1));
        s.once('connect', () => resolve());
        s.once('error', () => resolve());
        sockets.push(s);
      });
    }
    await new Promise((r) => setTimeout(r, 1000));
  })();
  const health = await probeHealth(url, stop);
  const keptOpen = sockets.filter((s) => !s.destroyed && !s.readableEnded).length;
  // A GET with a Content-Length whose body trickles: how long until the service cuts it.
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const s = connect({ host: u.hostname, port: Number(u.port), localAddress: '127.0.0.31' });
    s.on('error', () => undefined);
    s.once('connect', () =>
      s.write('GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n'),
    );
    const t = setInterval(() => !s.destroyed && s.write('x'), 200);
    const give = setTimeout(() => s.destroy(), 120_000);
    s.once('close', () => {
      clearInterval(t);
      clearTimeout(give);
      resolve();
    });
  });
  const trickleCutAfterMs = Math.round(performance.now() - t0);
  for (const s of sockets) s.destroy();
  return { attempted: scale.sockets, keptOpen, closedByService: closed, trickleCutAfterMs, health };
}

async function cpuPhase(url: string, scale: AbuseScale): Promise<AbuseReport['cpu']> {
  const healthBaseline = await probeHealth(url, new Promise((r) => setTimeout(r, 2000)));
  const statuses: Record<string, number> = {};
  let milestones = 0;
  const end = performance.now() + scale.seconds * 1000;
  const creator = async (from: string) => {
    while (performance.now() < end) {
      const body = JSON.stringify(
        contractRequest(
          Math.floor(Date.now() / 1000),
          Array.from({ length: 20 }, () => ({})),
        ),
      );
      const st = await postFrom(from, url, '/v1/contracts', body, {});
      count(statuses, st);
      if (st === 201) milestones += 20;
      else await new Promise((r) => setTimeout(r, 50));
    }
  };
  const flood = Promise.all(['127.0.0.40', '127.0.0.41', '127.0.0.42', '127.0.0.43'].map(creator));
  const health = await probeHealth(url, flood);
  return {
    seconds: scale.seconds,
    statuses,
    milestonesCreated: milestones,
    health,
    healthBaseline,
  };
}

async function loginPhase(
  url: string,
  dataDir: string,
  scale: AbuseScale,
): Promise<AbuseReport['login']> {
  const admin = new TokenIssuer(loadOrCreateJwtSecret(dataDir), 3600).issueAdminToken(3600);
  const inv = await httpFrom('127.0.0.1', url, 'POST', '/v1/arbiters', {
    headers: { authorization: `Bearer ${admin}` },
    body: { id: 'abuse-arb', displayName: 'Target' },
  });
  await httpFrom('127.0.0.1', url, 'POST', '/arbiter/api/invite/accept', {
    headers: { origin: url },
    body: { token: (inv.json as { token: string }).token, password: PASSWORD },
  });
  // A connection the service closed at once (the per-address connection cap) is status 0.
  const login = (from: string, password: string, cookie?: string) =>
    httpFrom(from, url, 'POST', '/arbiter/api/login', {
      headers: { origin: url, ...(cookie === undefined ? {} : { cookie }) },
      body: { id: 'abuse-arb', password },
    }).catch(() => ({ status: 0, setCookies: [] as string[] }));
  const device = await login('127.0.0.1', PASSWORD);
  const guesses = await Promise.all(
    Array.from({ length: scale.guesses }, (_, i) =>
      login('127.0.0.50', i === scale.guesses - 1 ? PASSWORD : `guess ${i}`),
    ),
  );
  // A distributed guesser: 5 guesses from each of 25 addresses.
  let distributed = 0;
  for (let a = 0; a < 25; a++) {
    await Promise.all(Array.from({ length: 5 }, () => login(`127.0.1.${a + 1}`, 'guess')));
    distributed += 5;
  }
  const known = await login('127.0.0.1', PASSWORD, cookieHeader(device.setCookies));
  const fresh = await login('127.0.0.99', PASSWORD);
  return {
    parallelGuesses: scale.guesses,
    passwordChecked: guesses.filter((r) => r.status === 401 || r.status === 200).length,
    refused429: guesses.filter((r) => r.status === 429).length,
    connectionRefused: guesses.filter((r) => r.status === 0).length,
    distributedAttempts: distributed,
    knownDeviceLogin: known.status,
    newDeviceLogin: fresh.status,
  };
}

/** Runs the four phases against a fresh service child; removes its data dir at the end. */
export async function runAbuse(
  scale: AbuseScale,
  log: (line: string) => void = () => undefined,
): Promise<AbuseReport> {
  const dataDir = tempDir('verdict-abuse-');
  const child = await startServiceChild(childEnv(dataDir, { VERDICT_DEVNET: 'off' }), {
    keepOutput: false,
  });
  try {
    log('disk phase');
    const disk = await diskPhase(child.url, dataDir, scale);
    log('connection phase');
    const connections = await connectionPhase(child.url, scale);
    log('cpu phase');
    const cpu = await cpuPhase(child.url, scale);
    log('login phase');
    const login = await loginPhase(child.url, dataDir, scale);
    if (child.proc.exitCode !== null)
      throw new Error(`the service exited: ${child.output().slice(-2000)}`);
    return { disk, connections, cpu, login };
  } finally {
    await child.kill9();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
