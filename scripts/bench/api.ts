/**
 * `npm run bench -- api` (issue 4's API bench, issue 10 targets 3 and 4). Every server runs in a
 * child process of its own and the load generator in another (`scripts/bench/load/`), so no two of
 * them share an event loop; all traffic is on 127.0.0.1.
 *  1. `GET /v1/events/:eventId` (an attested event) vs a bare Express 5 route answering the same
 *     bytes and headers: req/s, p50/p99 at 64 connections, in alternating rounds; the ratio.
 *  2. Decision → attestation readable over HTTP (client accept, and mutual settlement): p50/p99,
 *     and the SQLite transactions on that path, counted inside the service process.
 *  3. With 10,000 and 100,000 events stored (and `VERDICT_BENCH_EVENTS`, e.g. 1000000): list
 *     walk in pages of 100, single-event reads (1 and 64 connections), and the service's RSS.
 *     The real contracts of phase 2 are cloned up to each size (`load/seed.ts` says how).
 * Knobs: VERDICT_BENCH_EVENTS (largest size, default 100000), VERDICT_BENCH_DECISIONS (200),
 * VERDICT_BENCH_ROUND_SEC (3: one read round), VERDICT_BENCH_ROUNDS (5 rounds each, alternating).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchChild } from './load/child.ts';
import { percentile, type LoadOptions, type LoadResult } from './load/http-load.ts';
import {
  benchServiceEnv,
  countEvents,
  openSeedContext,
  prepareContracts,
  sampleEventIds,
  type PreparedContract,
  seedClones,
} from './load/seed.ts';
import type { SqliteCounts } from './load/sqlite-counter.ts';
import { formatNumber, printTable, type Bench } from './harness.ts';

const CONNECTIONS = 64;
/** The share (percent) the freelancer proposes and the client accepts in the mutual settlements. */
const PROPOSAL_OUTCOME = 60;

function intEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${raw}`);
  return n;
}

interface Served {
  readonly url: string;
  readonly pid: number;
}
type Memory = { rssMiB: number; heapUsedMiB: number };

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

interface Reply {
  readonly status: number;
  readonly body: string;
  readonly headers: http.IncomingHttpHeaders;
}

/** One request from the bench process (setup and the sequential decision loop). */
function request(url: string, method = 'GET', body?: unknown, token?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (data !== undefined) headers['content-type'] = 'application/json';
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    const req = http.request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          headers: res.headers,
        }),
      );
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function ok<T>(url: string, method = 'GET', body?: unknown, token?: string): Promise<T> {
  const r = await request(url, method, body, token);
  if (r.status < 200 || r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${r.body}`);
  return JSON.parse(r.body) as T;
}

const eventUrl = (base: string, eventId: string) =>
  `${base}/v1/events/${encodeURIComponent(eventId)}`;

function load(client: BenchChild, opts: LoadOptions): Promise<LoadResult> {
  return client.request<LoadResult>('load', opts).then((r) => {
    if (r.failures > 0) throw new Error(`${r.failures} failed requests, first: ${r.firstFailure}`);
    return r;
  });
}

interface Measured extends LoadResult {
  /** The server process's CPU time (user + system) per answered request, warm-up included. */
  readonly serverCpuUsPerReq: number;
}

/** `load`, plus the CPU time the server process spent on it (steadier than req/s on a busy box). */
async function loadServer(
  client: BenchChild,
  server: BenchChild<Served>,
  opts: LoadOptions,
): Promise<Measured> {
  const before = await server.request<NodeJS.CpuUsage>('cpu');
  const r = await load(client, opts);
  const after = await server.request<NodeJS.CpuUsage>('cpu');
  const cpuUs = after.user - before.user + (after.system - before.system);
  return { ...r, serverCpuUsPerReq: cpuUs / (r.requests + (opts.warmupRequests ?? 0)) };
}

const median = (xs: readonly number[]): number =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
const f = formatNumber;
const loadNote = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');

/** Phase 1: the event route vs bare Express, alternating rounds. */
interface ReadCase {
  readonly label: string;
  readonly eventId: string;
}

/** The headers a bare route must repeat to answer like Verdict, minus the per-connection ones. */
function replayableHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const perConnection = new Set([
    'date',
    'connection',
    'keep-alive',
    'content-length',
    'transfer-encoding',
  ]);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h))
    if (!perConnection.has(k) && typeof v === 'string') out[k] = v;
  return out;
}

/**
 * Phase 1: `GET /v1/events/:eventId` for each case vs a bare Express route answering the same
 * bytes and headers, in rounds; within a round the order of the two servers alternates.
 */
async function readsVsBare(
  client: BenchChild,
  svc: BenchChild<Served>,
  dataDir: string,
  cases: readonly ReadCase[],
  opt: { roundMs: number; rounds: number },
): Promise<void> {
  const samples = await Promise.all(
    cases.map(async (c) => {
      const url = eventUrl(svc.ready.url, c.eventId);
      const r = await request(url);
      if (r.status !== 200) throw new Error(`GET ${url}: ${r.status}`);
      return { url, body: r.body, headers: replayableHeaders(r.headers) };
    }),
  );
  const routes = samples.map((smp, i) => {
    const bodyFile = join(dataDir, `bare-body-${i}.json`);
    writeFileSync(bodyFile, smp.body);
    return { path: `/x/${i}`, bodyFile, headers: smp.headers };
  });
  const bare = await BenchChild.start<Served>('scripts/bench/load/bare-express.ts', {
    BENCH_BARE_ROUTES: JSON.stringify(routes),
  });
  try {
    const opts = (u: string): LoadOptions => ({
      urls: [u],
      connections: CONNECTIONS,
      maxRequests: 1_000_000,
      maxDurationMs: opt.roundMs,
      warmupRequests: 2000,
    });
    const ours = cases.map((): Measured[] => []);
    const floor = cases.map((): Measured[] => []);
    const rows: string[][] = [];
    const row = (label: string, round: string, o: Stat, b: Stat, note: string) => [
      label,
      round,
      f(o.requestsPerSec),
      f(o.p50Ms),
      f(o.p99Ms),
      f(b.requestsPerSec),
      f(b.p50Ms),
      f(b.p99Ms),
      `${f((100 * o.requestsPerSec) / b.requestsPerSec)} %`,
      f(o.serverCpuUsPerReq),
      f(b.serverCpuUsPerReq),
      `${f((100 * b.serverCpuUsPerReq) / o.serverCpuUsPerReq)} %`,
      note,
    ];
    for (let round = 0; round < opt.rounds; round++) {
      for (const [i, c] of cases.entries()) {
        const bareUrl = `${bare.ready.url}${routes[i]?.path ?? ''}`;
        const verdictUrl = samples[i]?.url ?? '';
        // Alternate which server goes first, so a drift in machine load hits both alike.
        let o: Measured;
        let b: Measured;
        if ((round + i) % 2 === 0) {
          o = await loadServer(client, svc, opts(verdictUrl));
          b = await loadServer(client, bare, opts(bareUrl));
        } else {
          b = await loadServer(client, bare, opts(bareUrl));
          o = await loadServer(client, svc, opts(verdictUrl));
        }
        ours[i]?.push(o);
        floor[i]?.push(b);
        rows.push(row(c.label, String(round + 1), o, b, loadNote()));
      }
    }
    const med = (rs: readonly Measured[]): Stat => ({
      requestsPerSec: median(rs.map((r) => r.requestsPerSec)),
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      serverCpuUsPerReq: median(rs.map((r) => r.serverCpuUsPerReq)),
    });
    for (const [i, c] of cases.entries())
      rows.push(row(c.label, 'median', med(ours[i] ?? []), med(floor[i] ?? []), ''));
    const verdictMem = await svc.request<Memory>('memory');
    const bareMem = await bare.request<Memory>('memory');
    printTable(
      `api: GET /v1/events/:eventId vs a bare Express 5 route answering the same bytes and ` +
        `headers; ${CONNECTIONS} connections, ${opt.roundMs / 1000} s per server per round`,
      [
        'event',
        'round',
        'verdict req/s',
        'p50 ms',
        'p99 ms',
        'bare req/s',
        'p50 ms',
        'p99 ms',
        'verdict/bare',
        'verdict cpu µs/req',
        'bare cpu µs/req',
        'bare/verdict cpu',
        'load avg 1/5/15',
      ],
      rows,
    );
    console.log(
      '  verdict/bare: req/s ratio (the target, ≥ 80 %). cpu µs/req: CPU time of the server process per\n' +
        '  request; bare/verdict cpu is the req/s ratio the two would reach, each alone on a core: steadier\n' +
        '  than wall-clock req/s on a machine shared with other work.',
    );
    console.log(
      `  bodies: ${cases.map((c, i) => `${c.label} ${samples[i]?.body.length ?? 0} B`).join(', ')}; ` +
        `RSS after: verdict ${f(verdictMem.rssMiB)} MiB, bare ${f(bareMem.rssMiB)} MiB`,
    );
  } finally {
    await bare.stop();
  }
}

type Stat = Pick<Measured, 'requestsPerSec' | 'p50Ms' | 'p99Ms' | 'serverCpuUsPerReq'>;

interface DecisionRun {
  readonly latMs: number[];
  /** SQLite counts in the service during the decision request, then during the attestation read(s). */
  readonly decide: SqliteCounts[];
  readonly read: SqliteCounts[];
}

/**
 * Phase 2: one decision at a time on prepared contracts; the time from sending the decision to
 * the attestation being served by `GET /v1/events/:eventId/attestation`.
 */
async function decisions(
  svc: BenchChild<Served>,
  prepared: readonly PreparedContract[],
  path: 'accept' | 'mutual',
): Promise<DecisionRun> {
  const base = svc.ready.url;
  const run: DecisionRun = { latMs: [], decide: [], read: [] };
  for (const p of prepared) {
    const milestone = `${base}/v1/contracts/${p.contractId}/milestones/0`;
    const attUrl = `${eventUrl(base, p.eventId)}/attestation`;
    await svc.request('sqliteCounts'); // reset
    const t = performance.now();
    if (path === 'accept') await ok(`${milestone}/accept`, 'POST', undefined, p.tokens.client);
    else
      await ok(
        `${milestone}/accept-proposal`,
        'POST',
        { outcome: PROPOSAL_OUTCOME },
        p.tokens.client,
      );
    const tDecided = performance.now();
    const decide = await svc.request<SqliteCounts>('sqliteCounts');
    const tPoll = performance.now();
    // Bounded poll: the decision commits before its answer, so the first read should see it.
    let polls = 0;
    while ((await request(attUrl)).status !== 200) {
      if (++polls > 1000) throw new Error(`attestation of ${p.eventId} never became readable`);
    }
    // The IPC round trip for the counts sits between the two requests: not part of the latency.
    run.latMs.push(tDecided - t + (performance.now() - tPoll));
    run.decide.push(decide);
    run.read.push(await svc.request<SqliteCounts>('sqliteCounts'));
  }
  return run;
}

function decisionRows(name: string, r: DecisionRun): string[][] {
  const sorted = [...r.latMs].sort((a, b) => a - b);
  const range = (xs: number[]) => {
    const lo = Math.min(...xs);
    const hi = Math.max(...xs);
    return lo === hi ? String(lo) : `${lo}–${hi}`;
  };
  const cells = (cs: SqliteCounts[]) => [
    range(cs.map((c) => c.explicitTransactions)),
    range(cs.map((c) => c.savepoints)),
    range(cs.map((c) => c.autocommitWrites)),
    range(cs.map((c) => c.autocommitReads)),
  ];
  const total = r.decide.map(
    (c, i) =>
      c.explicitTransactions +
      c.autocommitWrites +
      c.autocommitReads +
      (r.read[i]?.explicitTransactions ?? 0) +
      (r.read[i]?.autocommitWrites ?? 0) +
      (r.read[i]?.autocommitReads ?? 0),
  );
  const writes = r.decide.map(
    (c, i) => c.explicitTransactions + c.autocommitWrites + (r.read[i]?.autocommitWrites ?? 0),
  );
  return [
    [
      name,
      String(r.latMs.length),
      f(percentile(sorted, 50)),
      f(percentile(sorted, 99)),
      'decision POST',
      ...cells(r.decide),
      range(writes),
      range(total),
    ],
    ['', '', '', '', 'attestation GET', ...cells(r.read), '', ''],
  ];
}

interface SizeResult {
  readonly events: number;
  readonly seedSec: number;
  readonly idle: Memory;
  readonly afterReads: Memory;
  readonly pages: number;
  readonly walkSec: number;
  readonly pageP50: number;
  readonly pageP99: number;
  readonly one: LoadResult;
  readonly many: LoadResult;
}

/** Phase 3 at one size: seed (service stopped), start, walk the list, read single events. */
async function atSize(
  client: BenchChild,
  dataDir: string,
  events: number,
  roundMs: number,
): Promise<SizeResult> {
  const seedStart = performance.now();
  const s = openSeedContext(dataDir);
  let ids: string[];
  try {
    seedClones(s.ctx, events);
    if (countEvents(s.ctx) !== events)
      throw new Error(`expected ${events} events, have ${countEvents(s.ctx)}`);
    // 8,192 distinct events read in turn: more than the service's 4,096-entry caches, so every
    // read misses them (a fair comparison between sizes: no size gets more cache hits).
    ids = sampleEventIds(s.ctx, 8192);
  } finally {
    s.close();
  }
  const seedSec = (performance.now() - seedStart) / 1000;
  const svc = await BenchChild.start<Served>(
    'scripts/bench/load/service.ts',
    benchServiceEnv(dataDir),
  );
  try {
    const base = svc.ready.url;
    const idle = await svc.request<Memory>('memory');
    const pageLat: number[] = [];
    let cursor: string | null = null;
    let listed = 0;
    const walkStart = performance.now();
    do {
      const t = performance.now();
      const page: { events: unknown[]; nextCursor: string | null } = await ok(
        `${base}/v1/events?limit=100${cursor === null ? '' : `&cursor=${cursor}`}`,
      );
      pageLat.push(performance.now() - t);
      listed += page.events.length;
      cursor = page.nextCursor;
    } while (cursor !== null && listed <= events);
    const walkSec = (performance.now() - walkStart) / 1000;
    if (listed !== events) throw new Error(`list walk saw ${listed} of ${events} events`);
    pageLat.sort((a, b) => a - b);
    const urls = ids.map((id) => eventUrl(base, id));
    const one = await load(client, {
      urls,
      connections: 1,
      maxRequests: 3000,
      maxDurationMs: roundMs,
      warmupRequests: 200,
    });
    const many = await load(client, {
      urls,
      connections: CONNECTIONS,
      maxRequests: 1_000_000,
      maxDurationMs: roundMs,
      warmupRequests: 2000,
    });
    const afterReads = await svc.request<Memory>('memory');
    return {
      events,
      seedSec,
      idle,
      afterReads,
      pages: pageLat.length,
      walkSec,
      pageP50: percentile(pageLat, 50),
      pageP99: percentile(pageLat, 99),
      one,
      many,
    };
  } finally {
    await svc.stop();
  }
}

async function run(): Promise<void> {
  const largest = intEnv('VERDICT_BENCH_EVENTS', 100_000, 10_000, 10_000_000);
  const nDecisions = intEnv('VERDICT_BENCH_DECISIONS', 200, 10, 100_000);
  const roundMs = intEnv('VERDICT_BENCH_ROUND_SEC', 3, 1, 600) * 1000;
  const rounds = intEnv('VERDICT_BENCH_ROUNDS', 5, 1, 100);
  // For iterating on one part: a comma list of reads, decisions, sizes (default: all three).
  const only = new Set((process.env['VERDICT_BENCH_ONLY'] ?? 'reads,decisions,sizes').split(','));
  const sizes = [...new Set([10_000, 100_000, largest])]
    .filter((n) => n <= largest)
    .sort((a, b) => a - b);
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}; load average at start ${loadNote()} (shared machine)`,
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'verdict-bench-api-'));
  const client = await BenchChild.start('scripts/bench/load/load-client.ts');
  let svc: BenchChild<Served> | undefined;
  try {
    // Real contracts, through the domain functions, before the service starts (it holds the lock).
    const prepStart = performance.now();
    const s = openSeedContext(dataDir);
    let prepared: ReturnType<typeof prepareContracts>;
    try {
      prepared = prepareContracts(
        s.ctx,
        { attested: 1, open: 1, delivered: nDecisions, proposed: nDecisions },
        PROPOSAL_OUTCOME,
      );
    } finally {
      s.close();
    }
    const real = 2 + 2 * nDecisions;
    console.log(
      `  ${real} real contracts (signed announcements) prepared in ${f((performance.now() - prepStart) / 1000)} s`,
    );
    svc = await BenchChild.start<Served>('scripts/bench/load/service.ts', benchServiceEnv(dataDir));
    // An attested event (final: what a wallet fetches to settle) and an open one (still changing).
    if (only.has('reads'))
      await readsVsBare(
        client,
        svc,
        dataDir,
        [
          { label: 'attested', eventId: prepared.attested[0]?.eventId ?? '' },
          { label: 'open', eventId: prepared.open[0]?.eventId ?? '' },
        ],
        { roundMs, rounds },
      );

    if (only.has('decisions')) await decisionPhase(svc, prepared);
    await svc.stop();
    svc = undefined;

    const results: SizeResult[] = [];
    if (only.has('sizes')) {
      for (const n of sizes) {
        const r = await atSize(client, dataDir, n, roundMs);
        results.push(r);
        // One line per size as it completes, so that a run cut short still reports what it did.
        console.log(
          `  ${n} events: seed ${f(r.seedSec)} s, single read p50 ${f(r.one.p50Ms)} ms, ` +
            `${CONNECTIONS} conn ${f(r.many.requestsPerSec)} req/s, RSS ${f(r.idle.rssMiB)} → ` +
            `${f(r.afterReads.rssMiB)} MiB; load average ${loadNote()}`,
        );
      }
      printSizes(results, real);
    }
    console.log(`  load average at end ${loadNote()}`);
  } finally {
    await svc?.stop();
    await client.stop();
    agent.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function decisionPhase(
  svc: BenchChild<Served>,
  prepared: ReturnType<typeof prepareContracts>,
): Promise<void> {
  await svc.request('countSqlite');
  const accept = await decisions(svc, prepared.delivered, 'accept');
  const mutual = await decisions(svc, prepared.proposed, 'mutual');
  printTable(
    `api: decision → attestation readable over HTTP (POST the decision, then GET …/attestation ` +
      `until 200; one at a time, from a separate process). SQLite transactions counted inside ` +
      `the service, min–max over the decisions`,
    [
      'decision',
      'n',
      'p50 ms',
      'p99 ms',
      'request',
      'explicit tx',
      'savepoints',
      'autocommit w',
      'autocommit r',
      'write tx',
      'all tx',
    ],
    [...decisionRows('client accept', accept), ...decisionRows('mutual settlement', mutual)],
  );
  console.log(
    '  explicit tx: db.transaction() at the outermost level (BEGIN … COMMIT); savepoints: nested\n' +
      '  db.transaction() inside it (part of the same transaction); autocommit w/r: a statement run outside any\n' +
      '  transaction, which SQLite wraps in an implicit transaction of its own. write tx = explicit + autocommit w;\n' +
      '  all tx = explicit + autocommit w + autocommit r, over both requests.\n' +
      `  load average ${loadNote()}`,
  );
}

function printSizes(results: readonly SizeResult[], real: number): void {
  if (results.length === 0) return;
  const first = results[0]!;
  printTable(
    `api: with N events stored (${real} real contracts made by createContract, the rest clones of one ` +
      `real contract's rows under new ids: see scripts/bench/load/seed.ts); single reads cycle ` +
      `through 8,192 distinct events spread over the table`,
    [
      'events',
      'seed s',
      'list pages',
      'walk s',
      'page p50 ms',
      'page p99 ms',
      '1 conn p50 ms',
      '1 conn p99 ms',
      `${CONNECTIONS} conn req/s`,
      'p50 ms',
      'p99 ms',
      'RSS idle MiB',
      'RSS after MiB',
    ],
    results.map((r) => [
      String(r.events),
      f(r.seedSec),
      String(r.pages),
      f(r.walkSec),
      f(r.pageP50),
      f(r.pageP99),
      f(r.one.p50Ms),
      f(r.one.p99Ms),
      f(r.many.requestsPerSec),
      f(r.many.p50Ms),
      f(r.many.p99Ms),
      f(r.idle.rssMiB),
      f(r.afterReads.rssMiB),
    ]),
  );
  for (const r of results.slice(1))
    console.log(
      `  ${r.events} vs ${first.events} events: single read p50 (1 conn) × ${f(r.one.p50Ms / first.one.p50Ms)}, ` +
        `req/s (${CONNECTIONS} conn) × ${f(r.many.requestsPerSec / first.many.requestsPerSec)}, ` +
        `list page p50 × ${f(r.pageP50 / first.pageP50)}`,
    );
  const last = results.at(-1)!;
  console.log(
    `  target 4 (issue 17), today's read path at ${last.events} events: single read p50 ` +
      `${f(last.one.p50Ms)} ms, ${CONNECTIONS}-connection ${f(last.many.requestsPerSec)} req/s, RSS ` +
      `${f(last.afterReads.rssMiB)} MiB; baseline (same run) ${first.events} events: ` +
      `${f(first.one.p50Ms)} ms, ${f(first.many.requestsPerSec)} req/s, ${f(first.afterReads.rssMiB)} MiB ` +
      `(a measurement: no threshold; ${last.events >= 1_000_000 ? 'met' : 'not met: 1M not measured in this run'})`,
  );
}

export const bench: Bench = {
  description:
    'oracle HTTP API: event reads vs bare Express (64 conns), decision→attestation latency and SQLite transactions, 10k/100k(/1M) events, RSS',
  run,
};
