/**
 * The API bench's building blocks on a small scale (no timing assertions): the load generator,
 * the SQLite transaction counter, the seeding functions, and the helper processes it drives.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../oracle/data-dir.ts';
import { BenchChild } from '../../scripts/bench/load/child.ts';
import { percentile, runHttpLoad, type LoadResult } from '../../scripts/bench/load/http-load.ts';
import {
  benchServiceEnv,
  countEvents,
  openSeedContext,
  prepareContracts,
  sampleEventIds,
  seedClones,
  seedReal,
} from '../../scripts/bench/load/seed.ts';
import { installSqliteCounter, takeSqliteCounts } from '../../scripts/bench/load/sqlite-counter.ts';

describe('percentile', () => {
  it('is the nearest rank of an ascending array', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('runHttpLoad', () => {
  let server: http.Server;
  let base = '';
  let served = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      served++;
      res.statusCode = req.url === '/missing' ? 404 : 200;
      res.end('hello');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('stops at maxRequests, after the warm-up, and counts latencies', async () => {
    served = 0;
    const r = await runHttpLoad({
      urls: [`${base}/a`, `${base}/b`],
      connections: 4,
      maxRequests: 50,
      maxDurationMs: 60_000,
      warmupRequests: 10,
    });
    expect(r.requests).toBe(50);
    expect(served).toBe(60);
    expect(r.failures).toBe(0);
    expect(r.bodyBytes).toBe(5);
    expect(r.p50Ms).toBeLessThanOrEqual(r.p99Ms);
    expect(r.p99Ms).toBeLessThanOrEqual(r.maxMs);
  });

  it('stops at maxDurationMs', async () => {
    const r = await runHttpLoad({
      urls: [`${base}/a`],
      connections: 2,
      maxRequests: 1e9,
      maxDurationMs: 200,
    });
    expect(r.requests).toBeGreaterThan(0);
    expect(r.requests).toBeLessThan(1e9);
  });

  it('counts non-200 answers as failures', async () => {
    const r = await runHttpLoad({
      urls: [`${base}/missing`],
      connections: 1,
      maxRequests: 3,
      maxDurationMs: 60_000,
    });
    expect(r.failures).toBe(3);
    expect(r.firstFailure).toContain('404');
  });

  it('refuses addresses other than loopback', async () => {
    await expect(
      runHttpLoad({
        urls: ['http://192.0.2.1/'],
        connections: 1,
        maxRequests: 1,
        maxDurationMs: 1,
      }),
    ).rejects.toThrow(/loopback/);
  });
});

describe('sqlite counter', () => {
  it('counts outer transactions, savepoints, and autocommit reads and writes', () => {
    installSqliteCounter();
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (x INTEGER)');
    const ins = db.prepare('INSERT INTO t (x) VALUES (?)');
    const sel = db.prepare('SELECT count(*) FROM t');
    takeSqliteCounts();
    db.transaction(() => {
      ins.run(1);
      db.transaction(() => ins.run(2))();
      sel.get();
    })();
    ins.run(3);
    sel.get();
    sel.get();
    expect(takeSqliteCounts()).toEqual({
      explicitTransactions: 1,
      savepoints: 1,
      autocommitWrites: 1,
      autocommitReads: 2,
    });
    expect(takeSqliteCounts().explicitTransactions).toBe(0);
    db.close();
  });
});

describe('seeding and helper processes', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'verdict-bench-test-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('seeds real contracts, prepared ones and clones', () => {
    const s = openSeedContext(dataDir);
    try {
      seedReal(s.ctx, 2);
      const p = prepareContracts(s.ctx, { open: 1, delivered: 1, proposed: 1, attested: 1 }, 60);
      expect(s.ctx.stores.milestoneByEvent(p.open[0]?.eventId ?? '')?.state).toBe('open');
      expect(s.ctx.stores.milestoneByEvent(p.delivered[0]?.eventId ?? '')?.state).toBe('delivered');
      expect(s.ctx.stores.milestoneByEvent(p.attested[0]?.eventId ?? '')?.state).toBe('attested');
      expect(s.ctx.stores.milestoneByEvent(p.proposed[0]?.eventId ?? '')?.proposal_json).toContain(
        '60',
      );
      expect(countEvents(s.ctx)).toBe(6);
      expect(seedClones(s.ctx, 20)).toBe(14);
      expect(countEvents(s.ctx)).toBe(20);
      const ids = sampleEventIds(s.ctx, 8);
      expect(new Set(ids).size).toBe(8);
    } finally {
      s.close();
    }
  });

  it('serves the seeded events from the service process, loaded from the load-client process', async () => {
    const svc = await BenchChild.start<{ url: string }>(
      'scripts/bench/load/service.ts',
      benchServiceEnv(dataDir),
    );
    const client = await BenchChild.start('scripts/bench/load/load-client.ts');
    try {
      const urls = storedEventIds().map(
        (id) => `${svc.ready.url}/v1/events/${encodeURIComponent(id)}`,
      );
      await svc.request('countSqlite');
      const r = await client.request<LoadResult>('load', {
        urls,
        connections: 2,
        maxRequests: 20,
        maxDurationMs: 60_000,
      });
      expect(r.requests).toBe(20);
      expect(r.failures).toBe(0);
      const counts = await svc.request<{ explicitTransactions: number }>('sqliteCounts');
      expect(counts.explicitTransactions).toBeGreaterThan(0);
      const mem = await svc.request<{ rssMiB: number }>('memory');
      expect(mem.rssMiB).toBeGreaterThan(0);
    } finally {
      await client.stop();
      await svc.stop();
    }
  }, 120_000);

  /** Event ids straight from the database file (the service holds the data dir's lock). */
  function storedEventIds(): string[] {
    const db = new Database(paths(dataDir).db, { readonly: true });
    try {
      return db
        .prepare('SELECT event_id FROM milestones ORDER BY id LIMIT 10')
        .pluck()
        .all() as string[];
    } finally {
      db.close();
    }
  }
});
