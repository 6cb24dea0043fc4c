/**
 * Issue 19 §4: what one contract, milestone and address can make the service store. Each case
 * failed before the bounds: re-posted relay messages were all kept, evidence and CI statements
 * had no total, the write limit counted requests and not bytes, and there was no free-space floor.
 * Real service, real SQLite file, real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestResultStatement } from '../../oracle/ci/statement.ts';
import { QUOTAS } from '../../oracle/domain/quotas.ts';
import { disputedContract } from '../arbitration/helpers.ts';
import {
  createContract as createCiContract,
  deliver,
  submit,
  TOKEN_POLICY,
} from '../ci/helpers.ts';
import {
  call,
  createContract,
  expectError,
  expectOk,
  milestoneUrl,
  startTestServer,
  type TestServer,
} from '../oracle/helpers.ts';

const MSG_BYTES = 1024;
/** An `offer_dlc` of exactly `bytes` bytes (type 42778, then filler: the relay checks the type only). */
const offerHex = (bytes: number, fill = 0) =>
  'a71a' +
  (fill % 256)
    .toString(16)
    .padStart(2, '0')
    .repeat(bytes - 2);

describe('storage bounds (issue 19 §4)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({
      env: { VERDICT_DLC_MESSAGE_MAX_BYTES: String(MSG_BYTES), VERDICT_WRITE_MB_PER_MIN: '0' },
    });
  });
  afterAll(async () => {
    await s.dispose();
  });

  it('the relay keeps the latest message per kind and bounds re-posts per milestone and bytes per contract', async () => {
    const c = await createContract(
      s,
      Array.from({ length: 20 }, () => ({})),
    );
    const post = (index: number, fill: number) =>
      call(s.url, 'POST', milestoneUrl(c.contract.id, index, 'dlc/offer'), {
        token: c.tokens.client,
        body: { hex: offerHex(MSG_BYTES, fill) },
      });
    for (let i = 0; i < QUOTAS.dlcPostsPerKindPerMilestone; i++) expectOk(await post(0, i), 201);
    const over = await post(0, 99);
    expectError(over, 409, 'quota_exceeded');
    expect((over.body as { error: { details: { scope: string } } }).error.details.scope).toBe(
      'dlc_posts_per_kind',
    );
    // One stored row, the latest post; the audit log has every post's digest.
    const got = expectOk(
      await call<{ hex: string }>(s.url, 'GET', milestoneUrl(c.contract.id, 0, 'dlc/offer'), {
        token: c.tokens.freelancer,
      }),
    );
    expect(got.hex).toBe(offerHex(MSG_BYTES, QUOTAS.dlcPostsPerKindPerMilestone - 1));
    const stored = s.ctx.db
      .prepare('SELECT count(*) AS n, sum(length(bytes)) AS b FROM dlc_relay')
      .get() as { n: number; b: number };
    expect(stored).toEqual({ n: 1, b: MSG_BYTES });
    const log = expectOk(
      await call<{ entries: { action: string }[] }>(
        s.url,
        'GET',
        `/v1/contracts/${c.contract.id}/log`,
        { token: c.tokens.client },
      ),
    );
    expect(log.entries.filter((e) => e.action === 'dlc_offer_posted')).toHaveLength(
      QUOTAS.dlcPostsPerKindPerMilestone,
    );
    // Per contract: dlcContractBytesFactor messages of the maximum size in all.
    for (let m = 1; m < QUOTAS.dlcContractBytesFactor; m++) expectOk(await post(m, m), 201);
    const full = await post(QUOTAS.dlcContractBytesFactor, 1);
    expectError(full, 409, 'quota_exceeded');
    expect((full.body as { error: { details: { scope: string } } }).error.details.scope).toBe(
      'dlc_bytes_per_contract',
    );
  });

  it('evidence per milestone is bounded in bytes', async () => {
    const c = await disputedContract(s);
    const file = Buffer.alloc(2 * 1024 * 1024, 7);
    const add = (n: number) =>
      call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'dispute/evidence'), {
        token: c.tokens.client,
        body: {
          kind: 'file',
          fileName: `f${n}.bin`,
          contentType: 'application/octet-stream',
          contentBase64: Buffer.concat([file, Buffer.from([n])])
            .subarray(1)
            .toString('base64'),
        },
      });
    const fits = Math.floor(QUOTAS.evidenceBytesPerMilestone / file.length);
    for (let i = 0; i < fits; i++) expectOk(await add(i), 201);
    expectError(await add(fits), 409, 'quota_exceeded');
  });

  it('CI statements per milestone are bounded in bytes, and the list pages through them without a 500', async () => {
    const c = await createCiContract(s, [
      { outcome: 'enum', ci: { ...TOKEN_POLICY, decisive: false } },
    ]);
    await deliver(s, c, 0);
    const issued = expectOk(
      await call<{ token: string }>(s.url, 'POST', `/v1/contracts/${c.id}/milestones/0/ci/tokens`, {
        token: c.tokens.client,
        body: {},
      }),
      201,
    );
    // ~1.04 MB statements: 16 fit in the 16 MiB bound, the 17th does not.
    const big = (n: number) =>
      buildTestResultStatement({
        commit: '0123456789abcdef0123456789abcdef01234567',
        result: 'PASSED',
        passedTests: Array.from(
          { length: 20_000 },
          (_, i) => `suite ${n} > case number ${i} passes`,
        ),
        failedTests: [],
      });
    const size = JSON.stringify(big(0)).length;
    let fits = 0;
    for (;;) {
      const r = await submit(s, c, 0, issued.token, big(fits));
      if (r.status !== 201) {
        expectError(r, 409, 'quota_exceeded');
        break;
      }
      fits += 1;
      expect(fits).toBeLessThanOrEqual(QUOTAS.ciStatementBytesPerMilestone / size + 1);
    }
    expect(fits).toBeGreaterThanOrEqual(Math.floor(QUOTAS.ciStatementBytesPerMilestone / size) - 1);

    // Every result exactly once, in order, in pages bounded in statement bytes.
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor === null ? '' : `?cursor=${cursor}`;
      const page = expectOk(
        await call<{
          results: { resultId: number; statement: unknown }[];
          nextCursor: string | null;
        }>(s.url, 'GET', `/v1/contracts/${c.id}/milestones/0/ci${q}`, {
          token: c.tokens.freelancer,
        }),
      );
      const bytes = page.results.reduce((n, r) => n + JSON.stringify(r.statement).length, 0);
      expect(bytes).toBeLessThanOrEqual(4 * 1024 * 1024 + size);
      seen.push(...page.results.map((r) => r.resultId));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 100);
    expect(seen).toHaveLength(fits);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(new Set(seen).size).toBe(fits);
    expect(pages).toBeGreaterThan(1);
    // A cursor of another list is refused.
    expectError(
      await call(s.url, 'GET', `/v1/contracts/${c.id}/milestones/0/ci?cursor=bTE`, {
        token: c.tokens.client,
      }),
      400,
      'invalid_request',
    );
  }, 120_000);
});

describe('byte rate and free-space floor (issue 19 §4)', () => {
  it('the write limit counts bytes per address, not only requests', async () => {
    const s = await startTestServer({ env: { VERDICT_WRITE_MB_PER_MIN: '1' } });
    try {
      const c = await createContract(s);
      const post = () =>
        call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'dlc/offer'), {
          token: c.tokens.client,
          body: { hex: offerHex(700 * 1024) },
        });
      expectOk(await post(), 201);
      const second = await post();
      expectError(second, 429, 'rate_limited');
      expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await s.dispose();
    }
  });

  it('below the free-space floor bulky writes get 507 insufficient_storage; decisions still work', async () => {
    const first = await startTestServer();
    const c = await createContract(first);
    await first.close();
    // The same data dir, restarted with a floor above any disk's free space.
    const s = await startTestServer({
      dataDir: first.dataDir,
      clock: first.clock,
      env: { VERDICT_MIN_FREE_DISK_MB: '10000000' },
    });
    try {
      const created = await call(s.url, 'POST', '/v1/contracts', { body: {} });
      expectError(created, 507, 'insufficient_storage');
      expect(created.headers.get('content-security-policy')).not.toBeNull();
      expectError(
        await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'dlc/offer'), {
          token: c.tokens.client,
          body: { hex: offerHex(64) },
        }),
        507,
        'insufficient_storage',
      );
      expectOk(
        await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'deliver'), {
          token: c.tokens.freelancer,
          body: { commitSha: 'a'.repeat(40) },
        }),
      );
      expectOk(
        await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'accept'), {
          token: c.tokens.client,
          body: {},
        }),
      );
    } finally {
      await s.dispose();
    }
  });
});
