/**
 * Issue 19 §6: contract creation costs CPU per milestone (one announcement to sign each), so it is
 * limited by cost per address, and a contract has at most `QUOTAS.milestonesPerContract`
 * milestones. The operator is not limited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUOTAS } from '../../oracle/domain/quotas.ts';
import {
  call,
  contractRequest,
  expectError,
  expectOk,
  startTestServer,
  type TestServer,
} from '../oracle/helpers.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ env: { VERDICT_CREATE_MILESTONES_PER_MIN: '30' } });
});
afterAll(async () => {
  await s.dispose();
});

const create = (milestones: number, token?: string) =>
  call(s.url, 'POST', '/v1/contracts', {
    body: contractRequest(
      s.clock.t,
      Array.from({ length: milestones }, () => ({})),
    ),
    ...(token === undefined ? {} : { token }),
  });

describe('contract creation cost (issue 19 §6)', () => {
  it(`caps milestones per contract at ${QUOTAS.milestonesPerContract}`, async () => {
    const r = await create(QUOTAS.milestonesPerContract + 1);
    expectError(r, 400, 'invalid_request');
  });

  it('limits milestones created per minute per address; the operator is exempt', async () => {
    expectOk(await create(20), 201);
    const second = await create(20);
    expectError(second, 429, 'rate_limited');
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    // A small contract still fits in what is left of the minute's budget.
    expectOk(await create(5), 201);
    const admin = s.ctx.tokens.issueAdminToken(3600);
    expectOk(await create(20, admin), 201);
    expectOk(await create(20, admin), 201);
  });
});
