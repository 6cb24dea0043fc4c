/**
 * Funding from the parties' app and its watcher (issue 15 §4, §7): two app processes' worth of
 * apps (separate data dirs, wallets made over the app's HTTP API), one real oracle behind a
 * switchable TCP-level proxy (to cut the relay off mid-job), the devnet. Both sides press Fund
 * over HTTP; the jobs run offer/accept/sign/finalize through the relay; the funding confirms; the
 * oracle attests; the watchers settle and the freelancer's balance grows by the payout. Also: no
 * funding without agreement, an outage waited out, a job resumed after an app restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWallet, ok, PASSPHRASE, rawJson, type AppHandle } from './app-handle.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevnet, devnetFaucet, type Devnet } from '../../src/chain/devnet/index.ts';
import { PartyStore } from '../../src/party/store.ts';
import { STORE_FILE } from '../../src/party/party.ts';
import { acquireWatchLock } from '../../src/party/watch-lock.ts';
import { startPartyApp } from '../../party-app/server.ts';
import type { FundingJobView } from '../../party-app/funding.ts';
import {
  call,
  createContract,
  expectOk,
  milestoneUrl,
  startTestServer,
  type CreatedContract,
  type TestServer,
} from '../oracle/helpers.ts';
import { MINER_ADDRESS } from '../party/helpers.ts';

const AMOUNT = 150_000n;

/** The oracle behind a proxy that can drop every connection (an outage of oracle and relay). */
interface Proxy {
  readonly url: string;
  down: boolean;
  close(): Promise<void>;
}

async function startProxy(target: string): Promise<Proxy> {
  const t = new URL(target);
  const sockets = new Set<Socket>();
  const proxy: Proxy = { url: '', down: false, close: () => Promise.resolve() };
  const server: Server = createServer((req, res) => {
    if (proxy.down) {
      req.socket.destroy();
      return;
    }
    const up = request(
      {
        host: t.hostname,
        port: t.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: t.host },
      },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => req.socket.destroy());
    req.pipe(up);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  });
}

/** One party's app, driven over its HTTP API with the session cookie. */

/** The app's server-sent events, collected until `close()`. */
function collectEvents(a: AppHandle): {
  events: { kind: string; contractId?: string; milestone?: number; data?: FundingJobView }[];
  close(): void;
} {
  const events: { kind: string; contractId?: string; milestone?: number; data?: FundingJobView }[] =
    [];
  let buffer = '';
  const req = request(`${a.app.origin}/api/events`, { headers: { cookie: a.cookie } }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        for (const line of frame.split('\n'))
          if (line.startsWith('data: ')) events.push(JSON.parse(line.slice(6)) as never);
      }
    });
  });
  req.on('error', () => undefined);
  req.end();
  return { events, close: () => req.destroy() };
}

async function openApp(dataDir: string, oracleUrl: string): Promise<AppHandle> {
  const app = await startPartyApp({
    dataDir,
    chain: devnet.rpc,
    nodeLabel: 'devnet',
    oracleUrl,
    scryptN: 1024,
    watchIntervalMs: 200,
    relayPollMs: 100,
  });
  const secret = app.url.split('#')[1] ?? '';
  const session = await rawJson(
    `${app.origin}/api/session`,
    'POST',
    { origin: app.origin },
    {
      secret,
    },
  );
  expect(session.status).toBe(200);
  const cookie = String(session.headers['set-cookie']).split(';')[0] ?? '';
  const handle: AppHandle = {
    app,
    dataDir,
    cookie,
    async api<T>(method: 'GET' | 'POST', path: string, body?: unknown) {
      const r = await rawJson(
        `${app.origin}${path}`,
        method,
        { origin: app.origin, cookie },
        method === 'POST' ? (body ?? {}) : undefined,
      );
      return { status: r.status, body: r.body as T };
    },
  };
  return handle;
}

/** Writes this party's membership of `c` into the data dir's store while the app is locked. */
async function addMembership(
  a: AppHandle,
  c: CreatedContract,
  role: 'client' | 'freelancer',
  agreement: 'pending' | 'accepted',
): Promise<void> {
  const terms = expectOk(
    await call<{ termsHash: string; canonicalJson: string; terms: { oraclePublicKey: string } }>(
      oracle.url,
      'GET',
      `/v1/contracts/${c.contract.id}/terms`,
      { token: c.tokens[role] },
    ),
  );
  // The party's answer at the oracle, as the app's Accept posts it (the counterparty's job reads it).
  if (agreement === 'accepted')
    expectOk(
      await call(oracle.url, 'POST', `/v1/contracts/${c.contract.id}/agreement`, {
        token: c.tokens[role],
        body: { decision: 'accept', termsHash: terms.termsHash },
      }),
    );
  await ok(a.api('POST', '/api/wallet/lock'));
  const store = PartyStore.open(join(a.dataDir, STORE_FILE));
  try {
    store.addMembership({
      contract_id: c.contract.id,
      oracle_url: proxy.url,
      oracle_public_key: terms.terms.oraclePublicKey,
      role,
      token: c.tokens[role],
      terms_hash: terms.termsHash,
      canonical_json: terms.canonicalJson,
      agreement,
      invite_for_counterparty: null,
    });
  } finally {
    store.close();
  }
  await ok(a.api('POST', '/api/wallet/unlock', { passphrase: PASSPHRASE }));
}

const fundPath = (c: CreatedContract, i: number) =>
  `/api/contracts/${c.contract.id}/milestones/${i}/fund`;

async function jobOf(a: AppHandle, c: CreatedContract, i: number): Promise<FundingJobView | null> {
  return (await ok<{ job: FundingJobView | null }>(a.api('GET', fundPath(c, i)))).job;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` is true (a safety bound, not a timing assertion); mines when asked. */
async function until(what: string, check: () => Promise<boolean>, mine = false): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    if (mine) await devnet.rpc.generateToAddress(1, MINER_ADDRESS);
    await sleep(200);
  }
  throw new Error(`never happened: ${what}`);
}

/** Both jobs of milestone `i` end funded (mining while they wait for a block). */
async function bothFunded(c: CreatedContract, i: number): Promise<void> {
  await until(
    `milestone ${i} funded on both sides`,
    async () => {
      const jobs = [await jobOf(client, c, i), await jobOf(freelancer, c, i)];
      for (const j of jobs)
        if (j?.state === 'failed') throw new Error(`job failed: ${JSON.stringify(j.error)}`);
      return jobs.every((j) => j?.state === 'done');
    },
    true,
  );
}

let devnet: Devnet;
let oracle: TestServer;
let proxy: Proxy;
let client: AppHandle;
let freelancer: AppHandle;
let contract: CreatedContract;
const dirs: string[] = [];
const tmp = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), `verdict-fund-${name}-`));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  devnet = await startDevnet({ dataDir: tmp('devnet') });
  oracle = await startTestServer();
  proxy = await startProxy(oracle.url);
  client = await openApp(join(tmp('client'), 'wallet'), proxy.url);
  freelancer = await openApp(join(tmp('freelancer'), 'wallet'), proxy.url);
  await createWallet(client);
  await createWallet(freelancer);
  // The client locks the money alone: three coins, one per milestone.
  for (let n = 0; n < 3; n++) {
    const { address } = await ok<{ address: string }>(client.api('POST', '/api/wallet/address'));
    await devnetFaucet(devnet.rpc, address, 300_000n, false);
  }
  await devnet.rpc.generateToAddress(1, MINER_ADDRESS);
  contract = await createContract(oracle, [{}, {}, {}]);
  await addMembership(client, contract, 'client', 'accepted');
  await addMembership(freelancer, contract, 'freelancer', 'accepted');
}, 120_000);

afterAll(async () => {
  await client?.app.close();
  await freelancer?.app.close();
  await proxy?.close();
  await devnet?.stop();
  await oracle?.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('funding a milestone from the app', () => {
  it('is refused without agreement (409 not_agreed), and for a contract the app is not party to', async () => {
    const other = await createContract(oracle, [{}]);
    await addMembership(client, other, 'client', 'pending');
    const refused = await client.api<{ error: { code: string; message: string } }>(
      'POST',
      fundPath(other, 0),
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('not_agreed');
    expect(refused.body.error.message).toMatch(/You have not accepted these terms/);
    expect(await jobOf(client, other, 0)).toBeNull();
    const stranger = await freelancer.api<{ error: { code: string } }>('POST', fundPath(other, 0));
    expect(stranger.status).toBe(404);
    expect(stranger.body.error.code).toBe('unknown_contract');
    const noMilestone = await client.api<{ error: { code: string } }>(
      'POST',
      fundPath(contract, 7),
    );
    expect(noMilestone.status).toBe(404);
    const badFee = await client.api<{ error: { code: string } }>('POST', fundPath(contract, 0), {
      feeRateSatPerVb: '0',
    });
    expect(badFee.status).toBe(400);
    // Nothing was offered for any of them.
    expect(
      (await ok<{ contracts: unknown[] }>(client.api('GET', '/api/dlcs'))).contracts,
    ).toHaveLength(0);
  });

  it('both press Fund: offer, accept, sign through the relay; funded; attested; the watchers settle and the freelancer is paid', async () => {
    const before = BigInt(
      (await ok<{ balanceSat: string }>(freelancer.api('GET', '/api/wallet'))).balanceSat,
    );
    const started = await ok<{ job: FundingJobView }>(client.api('POST', fundPath(contract, 0)));
    expect(started.job.state).toBe('running');
    expect(started.job.steps).toEqual([
      'terms',
      'offer',
      'waiting_accept',
      'sign',
      'waiting_confirmation',
      'funded',
    ]);
    // Pressing again returns the same job (at most one per milestone).
    const again = await ok<{ job: FundingJobView }>(client.api('POST', fundPath(contract, 0)));
    expect(again.job.state).toBe('running');
    await until('the client waits for the accept', async () =>
      ['waiting_accept'].includes((await jobOf(client, contract, 0))?.step ?? ''),
    );
    expect((await jobOf(client, contract, 0))?.note).toMatch(/waiting for the freelancer/);
    const stream = collectEvents(freelancer);
    const f = await ok<{ job: FundingJobView }>(freelancer.api('POST', fundPath(contract, 0)));
    expect(f.job.steps).toContain('finalize');
    await bothFunded(contract, 0);
    const cj = await jobOf(client, contract, 0);
    const fj = await jobOf(freelancer, contract, 0);
    expect(cj?.fundingTxid).toMatch(/^[0-9a-f]{64}$/);
    expect(fj?.fundingTxid).toBe(cj?.fundingTxid);
    expect(fj?.fraction).toBe(1);
    // Every change of the freelancer's job went out as a `funding` event, CET progress included.
    stream.close();
    const progress = stream.events.filter(
      (e) => e.kind === 'funding' && e.contractId === contract.contract.id && e.milestone === 0,
    );
    const steps = [...new Set(progress.map((e) => e.data?.step))];
    expect(steps).toEqual([
      'terms',
      'offer',
      'accept',
      'waiting_sign',
      'finalize',
      'waiting_confirmation',
      'funded',
    ]);
    expect(
      progress.some(
        (e) => e.data?.step === 'accept' && e.data.fraction > 0 && e.data.fraction <= 1,
      ),
    ).toBe(true);
    expect(progress.at(-1)?.data?.state).toBe('done');
    // The wallet page's "locked in contracts": the client's collateral, the freelancer's none.
    expect((await ok<{ lockedSat: string }>(client.api('GET', '/api/wallet'))).lockedSat).toBe(
      '150000',
    );
    expect((await ok<{ lockedSat: string }>(freelancer.api('GET', '/api/wallet'))).lockedSat).toBe(
      '0',
    );

    // The oracle attests: delivered, then accepted by the client (over the oracle's API).
    const m0 = (action: string) => milestoneUrl(contract.contract.id, 0, action);
    expectOk(
      await call(oracle.url, 'POST', m0('deliver'), {
        token: contract.tokens.freelancer,
        body: { commitSha: 'ab'.repeat(20), note: 'done' },
      }),
    );
    expectOk(
      await call(oracle.url, 'POST', m0('accept'), { token: contract.tokens.client, body: {} }),
    );
    type Activity = { entries: { text: string; contractId?: string; milestone?: number }[] };
    await until(
      "the freelancer's watcher says milestone 0 settled",
      async () =>
        (await ok<Activity>(freelancer.api('GET', '/api/activity'))).entries.some(
          (e) => e.milestone === 0 && /^milestone 1: settled/.test(e.text),
        ),
      true,
    );
    const activity = (await ok<Activity>(freelancer.api('GET', '/api/activity'))).entries;
    const settled = activity.find((e) => /^milestone 1: settled/.test(e.text));
    expect(settled?.contractId).toBe(contract.contract.id);
    expect(settled?.text).toMatch(/settled, 150 000 sat to you/);
    expect(activity.some((e) => /^milestone 1: funded/.test(e.text))).toBe(true);
    const after = BigInt(
      (await ok<{ balanceSat: string }>(freelancer.api('GET', '/api/wallet'))).balanceSat,
    );
    expect(after - before).toBe(AMOUNT);
  }, 180_000);

  it('waits out an outage of the oracle and its relay, then funds', async () => {
    await ok(freelancer.api('POST', fundPath(contract, 1)));
    await until('the freelancer waits for the offer', async () =>
      /waiting for the client's offer/.test((await jobOf(freelancer, contract, 1))?.note ?? ''),
    );
    proxy.down = true;
    try {
      const c = await ok<{ job: FundingJobView }>(client.api('POST', fundPath(contract, 1)));
      expect(c.job.state).toBe('running');
      await until('the client says the oracle is unreachable', async () =>
        /cannot be reached.*retrying/.test((await jobOf(client, contract, 1))?.note ?? ''),
      );
      await until('the freelancer says so too', async () =>
        /cannot be reached.*retrying/.test((await jobOf(freelancer, contract, 1))?.note ?? ''),
      );
      expect((await jobOf(client, contract, 1))?.state).toBe('running');
      expect((await jobOf(client, contract, 1))?.error).toBeNull();
    } finally {
      proxy.down = false;
    }
    await bothFunded(contract, 1);
  }, 180_000);

  it('resumes a job after the app restarts, from the local DLC row (no second offer)', async () => {
    await ok(client.api('POST', fundPath(contract, 2)));
    await until('the client offered', async () =>
      ['waiting_accept'].includes((await jobOf(client, contract, 2))?.step ?? ''),
    );
    const dataDir = client.dataDir;
    await client.app.close();
    await ok(freelancer.api('POST', fundPath(contract, 2)));
    await until('the freelancer accepted and waits for the sign', async () =>
      ['waiting_sign'].includes((await jobOf(freelancer, contract, 2))?.step ?? ''),
    );
    client = await openApp(dataDir, proxy.url);
    // At unlock, the milestone whose row is mid-protocol continues by itself.
    await ok(client.api('POST', '/api/wallet/unlock', { passphrase: PASSPHRASE }));
    const resumed = await jobOf(client, contract, 2);
    expect(resumed?.state).toBe('running');
    await bothFunded(contract, 2);
    const eventId = contract.contract.milestones[2]!.eventId;
    const rows = (
      await ok<{ contracts: { terms: { eventId: string }; state: string }[] }>(
        client.api('GET', '/api/dlcs'),
      )
    ).contracts.filter((r) => r.terms.eventId === eventId);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.state).toBe('confirmed');
  }, 180_000);
});

describe('a funding job that cannot finish', () => {
  it('fails in words with a code when the wallet cannot lock the amount, and nothing is offered', async () => {
    const big = await createContract(oracle, [{ amountSat: '50000000' }]);
    await addMembership(client, big, 'client', 'accepted');
    await addMembership(freelancer, big, 'freelancer', 'accepted');
    const before = (await ok<{ contracts: unknown[] }>(client.api('GET', '/api/dlcs'))).contracts
      .length;
    await ok(client.api('POST', fundPath(big, 0)));
    await until('the job failed', async () => (await jobOf(client, big, 0))?.state === 'failed');
    const job = await jobOf(client, big, 0);
    expect(job?.step).toBe('offer');
    expect(job?.error?.code).toBe('insufficient_wallet_funds');
    expect(job?.error?.message).toMatch(/cannot lock this milestone.*press Fund again/);
    expect(
      (await ok<{ contracts: unknown[] }>(client.api('GET', '/api/dlcs'))).contracts,
    ).toHaveLength(before);
  });
});

describe('the watcher while the app is open', () => {
  it('says once that another watcher holds the data dir, and takes over when it stops', async () => {
    type Activity = { entries: { text: string }[] };
    const held = (await ok<Activity>(freelancer.api('GET', '/api/activity'))).entries.length;
    await ok(freelancer.api('POST', '/api/wallet/lock'));
    // A `verdict dlc watch` on the same data dir (the lock is the same OS lock).
    const release = acquireWatchLock(freelancer.dataDir);
    try {
      await ok(freelancer.api('POST', '/api/wallet/unlock', { passphrase: PASSPHRASE }));
      await until('the app says another watcher runs', async () =>
        (await ok<Activity>(freelancer.api('GET', '/api/activity'))).entries
          .slice(held)
          .some((e) => /another watcher.*is running/.test(e.text)),
      );
      // Several passes later, still said once.
      await sleep(1000);
      const said = (await ok<Activity>(freelancer.api('GET', '/api/activity'))).entries
        .slice(held)
        .filter((e) => /another watcher/.test(e.text));
      expect(said).toHaveLength(1);
    } finally {
      release();
    }
    await until('the app watches again', async () =>
      (await ok<Activity>(freelancer.api('GET', '/api/activity'))).entries
        .slice(held)
        .some((e) => /watches this wallet’s contracts again/.test(e.text)),
    );
  });
});
