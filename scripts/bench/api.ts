/**
 * `npm run bench -- api`: the oracle service under load, as a separate process
 * (`node --import tsx oracle/main.ts`) on a fresh data dir:
 *  1. GET /v1/events/:id throughput and p50/p99 latency under concurrent load, and the same for a
 *     bare Express route (another process) returning the same bytes: the ratio is our overhead;
 *  2. the latency from a decision (POST …/accept) to its attestation being readable;
 *  3. with 100,000 events stored: list/paginate and single-event reads, and the service's RSS.
 * The 100,000 events are inserted straight into SQLite as synthetic rows (a real announcement's
 * bytes under distinct event ids, signatures not recomputed: signing 100,000 announcements would
 * take the bench tens of minutes); every read path treats them as it treats real ones.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../oracle/db/open.ts';
import { paths } from '../../oracle/data-dir.ts';
import { printTable, formatNumber, type Bench } from './harness.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const CONCURRENCY = 32;
const READS = 20_000;
const EVENTS = 100_000;

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function request(
  url: string,
  method = 'GET',
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (data !== undefined) headers['content-type'] = 'application/json';
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    const req = http.request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function json<T>(url: string, method = 'GET', body?: unknown, token?: string): Promise<T> {
  const r = await request(url, method, body, token);
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${r.body}`);
  return JSON.parse(r.body) as T;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** `total` GETs of `urlOf(i)` with CONCURRENCY in flight; returns req/s and latency percentiles (ms). */
async function load(total: number, urlOf: (i: number) => string) {
  const lat: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        const r = await request(urlOf(i));
        if (r.status !== 200) throw new Error(`status ${r.status}: ${r.body}`);
        lat.push(performance.now() - t);
      }
    }),
  );
  const sec = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  return { rps: total / sec, p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

interface Child {
  readonly proc: ChildProcess;
  readonly url: string;
}

function waitForUrl(proc: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = pattern.exec(out);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    proc.stderr?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    proc.on('exit', (code) => reject(new Error(`process exited with ${code}: ${out}`)));
  });
}

async function startService(dataDir: string): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'oracle/main.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      VERDICT_DATA_DIR: dataDir,
      VERDICT_PORT: '0',
      VERDICT_LOG_LEVEL: 'info',
      VERDICT_KEYSTORE_PASSPHRASE: 'bench',
      VERDICT_SCRYPT_N: '1024',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await waitForUrl(proc, /"url":"(http:\/\/[^"]+)"/);
  // Keep draining the logs so the child never blocks on a full pipe.
  proc.stdout?.resume();
  return { proc, url };
}

/** A bare Express app returning `bytes` for GET /x: the floor any Express service sits on. */
async function startBare(bytes: string, file: string): Promise<Child> {
  const code = `
    import express from 'express';
    import { readFileSync } from 'node:fs';
    const body = readFileSync(${JSON.stringify(file)});
    const app = express();
    app.get('/x', (_req, res) => { res.type('application/json').send(body); });
    const s = app.listen(0, '127.0.0.1', () => console.log('listening http://127.0.0.1:' + s.address().port));
  `;
  const { writeFileSync } = await import('node:fs');
  writeFileSync(file, bytes);
  const proc = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { proc, url: await waitForUrl(proc, /listening (http:\/\/\S+)/) };
}

async function stop(c: Child): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  const done = new Promise((r) => c.proc.once('exit', r));
  c.proc.kill('SIGTERM');
  await done;
}

function rssMiB(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

interface Created {
  contract: { id: string; milestones: { eventId: string }[] };
  tokens: { client: string; freelancer: string };
}

function contractBody(now: number, milestones = 1) {
  return {
    client: { id: 'alice', name: 'Alice' },
    freelancer: { id: 'bob', name: 'Bob' },
    milestones: Array.from({ length: milestones }, (_, i) => ({
      title: `M${i}`,
      amountSat: '100000',
      deliveryDeadline: now + 30 * 86_400,
      reviewWindowSec: 3 * 86_400,
    })),
  };
}

/** Inserts synthetic events until the database holds `target` announcements. */
function seed(
  dataDir: string,
  target: number,
  template: { tlv: Uint8Array; termsJson: string; termsHash: string },
) {
  const db = openDatabase(paths(dataDir).db);
  try {
    const have = (db.prepare('SELECT count(*) AS n FROM announcements').get() as { n: number }).n;
    const insC = db.prepare(
      `INSERT INTO contracts (id, terms_json, terms_hash, client_id, freelancer_id, created_at) VALUES (?, ?, ?, 'alice', 'bob', ?)`,
    );
    const insM = db.prepare(
      `INSERT INTO milestones (contract_id, idx, event_id, state, delivery_deadline) VALUES (?, 0, ?, 'open', ?)`,
    );
    const insA = db.prepare(
      `INSERT INTO announcements (event_id, milestone_id, maturity_epoch_sec, tlv, created_at) VALUES (?, ?, ?, ?, ?)`,
    );
    const now = Math.floor(Date.now() / 1000);
    const batch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const cid = `e${i.toString(16).padStart(15, '0')}`;
        const eventId = `verdict/${cid}/0/${template.termsHash.slice(0, 16)}`;
        insC.run(cid, template.termsJson, template.termsHash, now);
        const mid = Number(insM.run(cid, eventId, now + 30 * 86_400).lastInsertRowid);
        insA.run(eventId, mid, now + 40 * 86_400, template.tlv, now);
      }
    });
    for (let i = have; i < target; i += 5000) batch(i, Math.min(target, i + 5000));
  } finally {
    db.close();
  }
}

async function run(): Promise<void> {
  const dbg = (m: string) => {
    if (process.env['BENCH_DEBUG']) process.stderr.write(m + '\n');
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'verdict-bench-api-'));
  const children: Child[] = [];
  try {
    dbg('starting');
    let svc = await startService(dataDir);
    dbg('started ' + svc.url);
    children.push(svc);
    const now = Math.floor(Date.now() / 1000);
    const first = await json<Created>(`${svc.url}/v1/contracts`, 'POST', contractBody(now));
    const eventId = first.contract.milestones[0]?.eventId ?? '';
    const eventUrl = `${svc.url}/v1/events/${encodeURIComponent(eventId)}`;
    const bytes = (await request(eventUrl)).body;
    dbg('got bytes ' + bytes.length);

    // 1. read throughput: the service vs a bare Express route with the same bytes
    await load(2000, () => eventUrl); // warm-up
    dbg('warm');
    const ours = await load(READS, () => eventUrl);
    dbg('ours ' + ours.rps);
    const bare = await startBare(bytes, join(dataDir, 'bare-body.json'));
    children.push(bare);
    dbg('bare ' + bare.url);
    await load(2000, () => `${bare.url}/x`);
    const floor = await load(READS, () => `${bare.url}/x`);
    await stop(bare);
    dbg('bare stopped');

    // 2. decision → attestation readable
    const decisions: number[] = [];
    for (let i = 0; i < 20; i++) {
      const c = await json<Created>(`${svc.url}/v1/contracts`, 'POST', contractBody(now));
      const base = `${svc.url}/v1/contracts/${c.contract.id}/milestones/0`;
      await json(`${base}/deliver`, 'POST', { commitSha: 'a'.repeat(40) }, c.tokens.freelancer);
      const attUrl = `${svc.url}/v1/events/${encodeURIComponent(c.contract.milestones[0]?.eventId ?? '')}/attestation`;
      const t = performance.now();
      await json(`${base}/accept`, 'POST', undefined, c.tokens.client);
      while ((await request(attUrl)).status !== 200);
      decisions.push(performance.now() - t);
    }
    decisions.sort((a, b) => a - b);

    // 3. 100,000 events
    await stop(svc);
    dbg('svc stopped');
    const template = (() => {
      const db = openDatabase(paths(dataDir).db);
      try {
        const row = db
          .prepare(
            'SELECT a.tlv AS tlv, c.terms_json AS termsJson, c.terms_hash AS termsHash FROM announcements a JOIN milestones m ON m.id = a.milestone_id JOIN contracts c ON c.id = m.contract_id LIMIT 1',
          )
          .get() as { tlv: Uint8Array; termsJson: string; termsHash: string };
        return row;
      } finally {
        db.close();
      }
    })();
    const seedStart = performance.now();
    seed(dataDir, EVENTS, template);
    const seedSec = (performance.now() - seedStart) / 1000;
    dbg(`seeded in ${seedSec}`);
    svc = await startService(dataDir);
    children.push(svc);
    const idle = rssMiB(svc.proc.pid);
    // Walk every page of 100.
    const pageLat: number[] = [];
    let cursor: string | null = null;
    let listed = 0;
    const walkStart = performance.now();
    do {
      const t = performance.now();
      const page: { events: { eventId: string }[]; nextCursor: string | null } = await json(
        `${svc.url}/v1/events?limit=100${cursor === null ? '' : `&cursor=${cursor}`}`,
      );
      pageLat.push(performance.now() - t);
      listed += page.events.length;
      cursor = page.nextCursor;
    } while (cursor !== null);
    const walkSec = (performance.now() - walkStart) / 1000;
    pageLat.sort((a, b) => a - b);
    // Random single-event reads across the whole table.
    const ids = Array.from({ length: READS }, () => {
      const i = 100 + Math.floor(Math.random() * (EVENTS - 200));
      const cid = `e${i.toString(16).padStart(15, '0')}`;
      return `${svc.url}/v1/events/${encodeURIComponent(`verdict/${cid}/0/${template.termsHash.slice(0, 16)}`)}`;
    });
    const single = await load(READS, (i) => ids[i] ?? eventUrl);
    const loaded = rssMiB(svc.proc.pid);

    printTable(
      'api: GET /v1/events/:id under load (one process each, ' +
        `${CONCURRENCY} concurrent, ${READS} requests)`,
      ['server', 'req/s', 'p50 ms', 'p99 ms'],
      [
        ['verdict oracle', formatNumber(ours.rps), formatNumber(ours.p50), formatNumber(ours.p99)],
        [
          'bare express, same bytes',
          formatNumber(floor.rps),
          formatNumber(floor.p50),
          formatNumber(floor.p99),
        ],
        [
          'ratio (oracle / bare)',
          formatNumber(ours.rps / floor.rps),
          formatNumber(ours.p50 / floor.p50),
          formatNumber(ours.p99 / floor.p99),
        ],
      ],
    );
    printTable(
      'api: decision → attestation readable (share event, 20 decisions)',
      ['p50 ms', 'max ms'],
      [
        [
          formatNumber(percentile(decisions, 50)),
          formatNumber(decisions[decisions.length - 1] ?? NaN),
        ],
      ],
    );
    printTable(
      `api: with ${listed} events stored (seeded in ${formatNumber(seedSec)} s)`,
      ['measure', 'value'],
      [
        ['list: full walk, pages of 100 (s)', formatNumber(walkSec)],
        ['list: page p50 (ms)', formatNumber(percentile(pageLat, 50))],
        ['list: page p99 (ms)', formatNumber(percentile(pageLat, 99))],
        ['single event, random: req/s', formatNumber(single.rps)],
        ['single event, random: p50 (ms)', formatNumber(single.p50)],
        ['single event, random: p99 (ms)', formatNumber(single.p99)],
        ['service RSS after start (MiB)', formatNumber(idle)],
        ['service RSS after the reads (MiB)', formatNumber(loaded)],
      ],
    );
  } finally {
    for (const c of children) await stop(c);
    agent.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export const bench: Bench = {
  description:
    'oracle HTTP service: event reads vs bare express, decision latency, 100k events, RSS',
  run,
};
