/**
 * Hostile input against the real service process (issue 9 §2): every route, fixed nasty cases
 * plus fast-check requests; only 4xx JSON errors, never a 5xx, security headers on every answer,
 * the process stays up and its memory stays bounded. Body limits, timeouts and rate limits exist.
 * The long run is `tsx scripts/fuzz.ts --per-route 300`.
 */
import { connect } from 'node:net';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../oracle/http/access.ts';
import { call, contractRequest, startTestServer, type TestServer } from '../oracle/helpers.ts';
import { childEnv, rssKb, startServiceChild, tempDir, type ServiceChild } from './child.ts';
import {
  ARBITER_PASSWORD,
  enumerateRoutes,
  runFuzz,
  send,
  setupFixture,
  type Fixture,
  type RouteSpec,
} from './fuzz-routes.ts';

const PER_ROUTE = Number(process.env['VERDICT_FUZZ_PER_ROUTE'] ?? '15');

/** Every write limit off (issue 9's request rate, issue 19's byte rate and creation cost). */
export const NO_WRITE_LIMITS = {
  VERDICT_WRITE_RATE_PER_MIN: '0',
  VERDICT_WRITE_MB_PER_MIN: '0',
  VERDICT_CREATE_MILESTONES_PER_MIN: '0',
};

let child: ServiceChild;
let dataDir: string;
let fixture: Fixture;
let routes: RouteSpec[];

beforeAll(async () => {
  dataDir = tempDir('verdict-fuzz-');
  // No write limits here: the fuzzer must reach the handlers (the limits have their own tests,
  // and the run below with the limits on).
  child = await startServiceChild(childEnv(dataDir, NO_WRITE_LIMITS), { keepOutput: false });
  fixture = await setupFixture(child.url, dataDir);
  routes = await enumerateRoutes(child.url);
}, 60_000);

afterAll(async () => {
  await child.kill9();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Opens a connection that sends half a request line's headers and then nothing. */
function slowloris(url: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const sock = connect(Number(u.port), u.hostname, () => {
      sock.write('GET /v1/oracle HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
    });
    let got = '';
    sock.on('data', (b: Buffer) => (got += b.toString('latin1')));
    sock.on('error', () => undefined);
    sock.on('close', () => resolve(got));
  });
}

describe('hostile input', () => {
  it('covers every route of the role × route table', () => {
    const served = new Set(routes.map((r) => `${r.method} ${r.template}`));
    for (const r of Object.values(ROUTES)) expect(served).toContain(`${r.method} ${r.path}`);
    expect(routes.length).toBeGreaterThanOrEqual(40);
  });

  it(`fixed cases + ${PER_ROUTE} random requests per route: no 5xx, JSON errors, security headers, process up, memory bounded`, async () => {
    // A slow client in parallel: the server must drop it (headersTimeout), not wait forever.
    const slow = slowloris(child.url);
    const rssBefore = await rssKb(child.proc.pid);
    const seed = Number(process.env['VERDICT_FUZZ_SEED'] ?? Date.now() % 2 ** 31);
    const report = await runFuzz({
      url: child.url,
      fixture,
      routes,
      randomPerRoute: PER_ROUTE,
      seed,
    });
    const rssAfter = await rssKb(child.proc.pid);
    console.info(
      `fuzz (VERDICT_FUZZ_SEED=${seed}): ${report.requests} requests over ${report.routes} routes, statuses ${JSON.stringify(report.byStatus)}, RSS ${rssBefore ?? '?'} → ${rssAfter ?? '?'} kB, ${report.violations.length} violations`,
    );
    expect(report.violations).toEqual([]);
    expect(report.requests).toBeGreaterThan(routes.length * PER_ROUTE);
    expect(child.proc.exitCode).toBeNull();
    expect((await call(child.url, 'GET', '/healthz')).status).toBe(200);
    if (rssBefore !== undefined && rssAfter !== undefined)
      expect(rssAfter - rssBefore).toBeLessThan(256 * 1024);
    // The slow connection was closed by the server with a 408, not left open.
    expect(await slow).toMatch(/^HTTP\/1\.1 408/);
  }, 180_000);

  it('every write route has a body limit: 6 MB gets a 413 JSON error, the service stays up', async () => {
    const big = Buffer.alloc(6 * 1024 * 1024, 0x61);
    const posts = routes.filter((r) => r.method === 'POST');
    // The fuzzer may have logged the arbiter out: a fresh session.
    const login = await fetch(`${child.url}/arbiter/api/login`, {
      method: 'POST',
      headers: { origin: child.url, 'content-type': 'application/json' },
      body: JSON.stringify({ id: fixture.arbiterId, password: ARBITER_PASSWORD }),
    });
    const session = {
      cookie: login.headers
        .getSetCookie()
        .map((c) => c.split(';')[0] ?? '')
        .join('; '),
      csrf: ((await login.json()) as { csrfToken: string }).csrfToken,
    };
    const statuses: Record<string, number> = {};
    for (const r of posts) {
      const path = r.template
        .replace(':id', fixture.contractId)
        .replace(
          ':index',
          r.template.includes('/ci') ? '2' : r.template.includes('/dispute') ? '1' : '0',
        )
        .replace(':kind', 'offer')
        .replace(':arbiterId', 'fuzz-target')
        .replace(':disputeId', String(fixture.disputeId))
        .replace(':jti', fixture.ciJti);
      const auth = r.template.startsWith('/arbiter')
        ? {
            cookie: session.cookie,
            origin: child.url,
            'x-csrf-token': session.csrf,
          }
        : r.template.endsWith('/ci')
          ? { authorization: `Bearer ${fixture.tokens.ci}` }
          : r.template.startsWith('/v1/arbiters')
            ? { authorization: `Bearer ${fixture.tokens.admin}` }
            : {
                authorization: `Bearer ${r.template.endsWith('/deliver') ? fixture.tokens.freelancer : fixture.tokens.client}`,
              };
      const reply = await send(child.url, {
        method: 'POST',
        path,
        headers: { ...auth, 'content-type': 'application/json' },
        body: big,
        label: r.template,
      });
      statuses[r.template] = reply.status;
    }
    console.info(`6 MB bodies: ${JSON.stringify(statuses)}`);
    // Routes without a body parser (disable, revoke, logout) never read it: any answer but a 5xx.
    // Every route that parses a body stops reading at its limit: 413.
    const unread = /\/(disable|revoke|logout)$/;
    for (const [route, status] of Object.entries(statuses)) {
      expect(status, route).toBeLessThan(500);
      if (!unread.test(route)) expect(status, route).toBe(413);
    }
    expect(child.proc.exitCode).toBeNull();
  }, 120_000);
});

describe('hostile input with the write limits on (issue 19)', () => {
  it('the same law holds with the default request, byte and creation-cost limits', async () => {
    const dir = tempDir('verdict-fuzz-limits-');
    const limited = await startServiceChild(childEnv(dir), { keepOutput: false });
    try {
      const fx = await setupFixture(limited.url, dir);
      const seed = Number(process.env['VERDICT_FUZZ_SEED'] ?? Date.now() % 2 ** 31);
      const report = await runFuzz({
        url: limited.url,
        fixture: fx,
        routes: await enumerateRoutes(limited.url),
        randomPerRoute: Math.max(1, Math.floor(PER_ROUTE / 3)),
        seed,
      });
      console.info(
        `fuzz, limits on (VERDICT_FUZZ_SEED=${seed}): ${report.requests} requests, statuses ${JSON.stringify(report.byStatus)}, ${report.violations.length} violations`,
      );
      expect(report.violations).toEqual([]);
      expect(limited.proc.exitCode).toBeNull();
    } finally {
      await limited.kill9();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('rate limits', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ env: { VERDICT_WRITE_RATE_PER_MIN: '20' } });
  });
  afterAll(() => s.dispose());

  it('writes from one address beyond the limit get 429 rate_limited with Retry-After; reads still work', async () => {
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 25; i++) {
      const r = await call(s.url, 'POST', '/v1/contracts', { body: contractRequest(s.clock.t) });
      statuses.push(r.status);
      if (r.status === 429) limited ??= r;
    }
    expect(statuses.slice(0, 20).every((x) => x === 201)).toBe(true);
    expect(statuses.slice(20)).toContain(429);
    expect((limited?.body as { error: { code: string } }).error.code).toBe('rate_limited');
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await call(s.url, 'GET', '/v1/oracle')).status).toBe(200);
  });

  it('arbiter logins are throttled after repeated failures (write limit off)', async () => {
    const t = await startTestServer({ env: { VERDICT_WRITE_RATE_PER_MIN: '0' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const r = await call(t.url, 'POST', '/arbiter/api/login', {
          headers: { origin: t.url },
          body: { id: 'nobody', password: `guess ${i}` },
        });
        statuses.push(r.status);
      }
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses.slice(5)).toEqual([429, 429, 429]);
    } finally {
      await t.dispose();
    }
  });
});
