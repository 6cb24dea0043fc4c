import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  createContract,
  eventPath,
  expectOk,
  milestoneUrl,
  startTestServer,
  type AttestationView,
  type DecisionView,
  type ErrorBody,
  type TestServer,
} from './helpers.ts';
import { expectAttestationVerifies } from './verify.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.dispose();
});

describe('concurrent conflicting decisions', () => {
  it('200 at once on one milestone → exactly one attestation; every other answer is a 409 or that attestation', async () => {
    const c = await createContract(s);
    const id = c.contract.id;
    const eventId = c.contract.milestones[0]!.eventId;
    expectOk(
      await call(s.url, 'POST', milestoneUrl(id, 0, 'deliver'), {
        token: c.tokens.freelancer,
        body: { commitSha: '9'.repeat(40) },
      }),
    );
    expectOk(
      await call(s.url, 'POST', milestoneUrl(id, 0, 'propose'), {
        token: c.tokens.freelancer,
        body: { outcome: 40 },
      }),
    );
    // Half the client's requests accept (100 %), half accept the freelancer's proposal (40 %).
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        i % 2 === 0
          ? call<DecisionView | ErrorBody>(s.url, 'POST', milestoneUrl(id, 0, 'accept'), {
              token: c.tokens.client,
            })
          : call<DecisionView | ErrorBody>(s.url, 'POST', milestoneUrl(id, 0, 'accept-proposal'), {
              token: c.tokens.client,
              body: { outcome: 40 },
            }),
      ),
    );
    const stored = expectOk(
      await call<AttestationView>(s.url, 'GET', `/v1/events/${eventPath(eventId)}/attestation`),
    );
    let successes = 0;
    let created = 0;
    for (const r of replies) {
      if (r.status === 200) {
        const d = r.body as DecisionView;
        expect(d.attestation.attestationHex).toBe(stored.attestationHex);
        successes += 1;
        if (d.created) created += 1;
      } else {
        expect(r.status).toBe(409);
        expect((r.body as ErrorBody).error.code).toBe('event_already_attested');
      }
    }
    expect(created).toBe(1);
    expect(successes).toBeGreaterThanOrEqual(1);
    expect(
      s.ctx.db.prepare('SELECT count(*) AS n FROM attestations WHERE event_id = ?').get(eventId),
    ).toEqual({ n: 1 });
    const decided = s.ctx.stores.auditOfContract(id).filter((e) => e.action === 'decided');
    expect(decided).toHaveLength(1);
    const ev = expectOk(
      await call<{ announcementHex: string }>(s.url, 'GET', `/v1/events/${eventPath(eventId)}`),
    );
    expectAttestationVerifies(ev.announcementHex, stored.attestationHex);
  });
});
