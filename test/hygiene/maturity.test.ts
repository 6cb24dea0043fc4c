/**
 * Issue 19 §9: a far delivery deadline plus long windows must be refused at the edge with a
 * stable 400, not overflow the announcement's u32 maturity (it was a 500
 * `maturityEpochSec must be a u32`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EVENT_MATURITY_EPOCH_SEC } from '../../oracle/domain/terms.ts';
import {
  call,
  contractRequest,
  DAY,
  expectError,
  expectOk,
  startTestServer,
  type CreatedContract,
  type ErrorBody,
  type TestServer,
} from '../oracle/helpers.ts';

const TEN_YEARS = 10 * 365 * DAY;
/** The largest deadline the input schema takes. */
const LAST_DEADLINE = 2 ** 32 - 1 - 40 * 365 * DAY;

describe('event maturity bound (issue 19 §9)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s.dispose());

  it('refuses the last deadline with the longest windows and an appeal: 400 maturity_out_of_range', async () => {
    const r = await call<ErrorBody>(s.url, 'POST', '/v1/contracts', {
      body: contractRequest(s.clock.t, [
        {},
        {
          deliveryDeadline: LAST_DEADLINE,
          reviewWindowSec: TEN_YEARS,
          dispute: {
            evidenceWindowSec: TEN_YEARS,
            votingWindowSec: TEN_YEARS,
            appealAllowed: true,
          },
        },
      ]),
    });
    expectError(r, 400, 'maturity_out_of_range');
    expect(r.body.error.details).toMatchObject({
      path: 'milestones.1',
      maxMaturityEpochSec: MAX_EVENT_MATURITY_EPOCH_SEC,
    });
    expect(r.body.error.message).toMatch(/deadline plus the review, evidence and voting windows/);
  });

  it('announces exactly at the bound and refuses one second past it', async () => {
    // The last deadline, an appeal (two rounds), and a review window that lands on the bound.
    const dispute = {
      evidenceWindowSec: 3000 * DAY,
      votingWindowSec: 3000 * DAY,
      appealAllowed: true,
    };
    const reviewWindowSec = MAX_EVENT_MATURITY_EPOCH_SEC - LAST_DEADLINE - 2 * 6000 * DAY;
    const ok = expectOk(
      await call<CreatedContract>(s.url, 'POST', '/v1/contracts', {
        body: contractRequest(s.clock.t, [
          { deliveryDeadline: LAST_DEADLINE, reviewWindowSec, dispute },
        ]),
      }),
      201,
    );
    const eventId = ok.contract.milestones[0]?.eventId ?? '';
    const ev = expectOk(
      await call<{ maturityEpochSec: number }>(
        s.url,
        'GET',
        `/v1/events/${encodeURIComponent(eventId)}`,
      ),
    );
    expect(ev.maturityEpochSec).toBe(MAX_EVENT_MATURITY_EPOCH_SEC);
    const over = await call(s.url, 'POST', '/v1/contracts', {
      body: contractRequest(s.clock.t, [
        { deliveryDeadline: LAST_DEADLINE, reviewWindowSec: reviewWindowSec + 1, dispute },
      ]),
    });
    expectError(over, 400, 'maturity_out_of_range');
  });
});
