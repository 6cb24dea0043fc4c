import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../oracle/domain/audit-log.ts';
import { decideMilestone } from '../../oracle/domain/milestones.ts';
import {
  call,
  createContract,
  DAY,
  eventPath,
  expectError,
  expectOk,
  milestoneUrl,
  startTestServer,
  type AttestationView,
  type AuditLogView,
  type ContractView,
  type CreatedContract,
  type DecisionView,
  type MilestoneActionView,
  type EventView,
  type MilestoneView,
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

async function deliver(c: CreatedContract, index = 0): Promise<MilestoneView> {
  const r = expectOk(
    await call<MilestoneActionView>(s.url, 'POST', milestoneUrl(c.contract.id, index, 'deliver'), {
      token: c.tokens.freelancer,
      body: { commitSha: 'ab'.repeat(20), note: 'done' },
    }),
  );
  // Issue 13: every lifecycle write answers { milestone, attestation?, created? }.
  expect(r.attestation).toBeUndefined();
  return r.milestone;
}

/** The event as the operator sees it: with the milestone's state (issue 19 §11). */
async function event(eventId: string): Promise<EventView> {
  return expectOk(
    await call<EventView>(s.url, 'GET', `/v1/events/${eventPath(eventId)}`, {
      token: s.ctx.tokens.issueAdminToken(600),
    }),
  );
}

/** Reads the attestation, checks it against the announcement with both libraries, returns it. */
async function attestedOutcome(eventId: string): Promise<AttestationView> {
  const ev = await event(eventId);
  expect(ev.status).toBe('attested');
  const att = expectOk(
    await call<AttestationView>(s.url, 'GET', `/v1/events/${eventPath(eventId)}/attestation`),
  );
  expect(att.attestationHex).toBe(ev.attestationHex);
  expectAttestationVerifies(ev.announcementHex, att.attestationHex);
  return att;
}

async function expectLogVerifies(contractId: string): Promise<AuditLogView> {
  const log = expectOk(
    await call<AuditLogView>(s.url, 'GET', `/v1/contracts/${contractId}/log`, {
      token: s.ctx.tokens.issueAdminToken(600),
    }),
  );
  expect(verifyAuditChain(log.entries, contractId)).toMatchObject({
    ok: true,
    headHash: log.headHash,
  });
  return log;
}

async function contractView(c: CreatedContract, token = c.tokens.client): Promise<ContractView> {
  return expectOk(
    await call<ContractView>(s.url, 'GET', `/v1/contracts/${c.contract.id}`, { token }),
  );
}

describe('milestone lifecycle', () => {
  it('announces one event per milestone with the DESIGN.md id and a maturity covering every window', async () => {
    const c = await createContract(s, [{ outcome: 'share' }, { outcome: 'enum' }]);
    expect(c.contract.milestones).toHaveLength(2);
    const terms = expectOk(
      await call<{ termsHash: string; canonicalJson: string }>(
        s.url,
        'GET',
        `/v1/contracts/${c.contract.id}/terms`,
        { token: c.tokens.freelancer },
      ),
    );
    for (const m of c.contract.milestones) {
      expect(m.eventId).toBe(`verdict/${c.contract.id}/${m.index}/${terms.termsHash.slice(0, 16)}`);
      const ev = await event(m.eventId);
      expect(ev.status).toBe('open');
      // 7 days to deliver + 3 review + 3 evidence + 3 voting (defaults)
      expect(ev.maturityEpochSec).toBe(s.clock.t + 16 * DAY);
      expect(ev.announcement.oracleEvent.eventId).toBe(m.eventId);
    }
    const share = await event(c.contract.milestones[0]!.eventId);
    expect(share.announcement.oracleEvent.eventDescriptor).toEqual({
      digitDecompositionEvent: {
        base: 2,
        isSigned: false,
        unit: 'percent',
        precision: 0,
        nbDigits: 7,
      },
    });
    expect(share.announcement.oracleEvent.oracleNonces).toHaveLength(7);
    const en = await event(c.contract.milestones[1]!.eventId);
    expect(en.announcement.oracleEvent.eventDescriptor).toEqual({
      enumEvent: { outcomes: ['accepted', 'rejected'] },
    });
    // The terms are canonical: sorted keys, no whitespace, amounts as strings.
    expect(terms.canonicalJson).not.toMatch(/\s"|":\s/);
    expect(terms.canonicalJson).toContain('"amountSat":"150000"');
  });

  it('accept: deliver then client accepts → attested 100 (share) and accepted (enum)', async () => {
    const c = await createContract(s, [{ outcome: 'share' }, { outcome: 'enum' }]);
    for (const index of [0, 1]) {
      const delivered = await deliver(c, index);
      expect(delivered.status).toBe('delivered');
      expect(delivered.reviewEndsAt).toBe(s.clock.t + 3 * DAY);
      const d = expectOk(
        await call<DecisionView>(s.url, 'POST', milestoneUrl(c.contract.id, index, 'accept'), {
          token: c.tokens.client,
        }),
      );
      expect(d.created).toBe(true);
      expect(d.milestone.decision?.reason).toBe('accepted');
    }
    expect((await attestedOutcome(c.contract.milestones[0]!.eventId)).outcome).toBe(100);
    expect((await attestedOutcome(c.contract.milestones[1]!.eventId)).outcome).toBe('accepted');
    // Accepting again returns the same attestation.
    const again = expectOk(
      await call<DecisionView>(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'accept'), {
        token: c.tokens.client,
      }),
    );
    expect(again.created).toBe(false);
    const log = await expectLogVerifies(c.contract.id);
    expect(log.entries.map((e) => e.action)).toEqual([
      'contract_created',
      'delivered',
      'decided',
      'delivered',
      'decided',
    ]);
  });

  it('mutual settlement: one party proposes, the other accepts the same outcome', async () => {
    const c = await createContract(s);
    await deliver(c);
    const { milestone: p } = expectOk(
      await call<MilestoneActionView>(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'propose'), {
        token: c.tokens.freelancer,
        body: { outcome: 40 },
      }),
    );
    expect(p.proposal).toMatchObject({ byRole: 'freelancer', outcome: 40 });
    const view = await contractView(c);
    expect(view.milestones[0]!.allowedActions).toContain('accept-proposal');
    // The proposer cannot accept their own proposal; another outcome does not match.
    expectError(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'accept-proposal'), {
        token: c.tokens.freelancer,
        body: { outcome: 40 },
      }),
      403,
      'wrong_role',
    );
    expectError(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'accept-proposal'), {
        token: c.tokens.client,
        body: { outcome: 41 },
      }),
      409,
      'no_matching_proposal',
    );
    const d = expectOk(
      await call<DecisionView>(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'accept-proposal'), {
        token: c.tokens.client,
        body: { outcome: 40 },
      }),
    );
    expect(d.milestone.decision).toMatchObject({
      outcome: 40,
      reason: 'mutual',
      decidedBy: 'client:alice',
    });
    expect((await attestedOutcome(d.milestone.eventId)).outcome).toBe(40);
    await expectLogVerifies(c.contract.id);
  });

  it('default on silence: the review window ends without a word → defaultOnSilence', async () => {
    const c = await createContract(s, [{ defaultOnSilence: 90 }]);
    await deliver(c);
    const eventId = c.contract.milestones[0]!.eventId;
    s.clock.advance(3 * DAY - 1);
    s.scheduler.tick();
    expect((await event(eventId)).status).toBe('delivered');
    s.clock.advance(1);
    s.scheduler.tick();
    s.scheduler.tick(); // idempotent
    expect((await event(eventId)).status).toBe('attested');
    const att = await attestedOutcome(c.contract.milestones[0]!.eventId);
    expect(att.outcome).toBe(90);
    const view = await contractView(c);
    expect(view.milestones[0]!.decision).toMatchObject({
      reason: 'default_on_silence',
      decidedBy: 'scheduler',
    });
    await expectLogVerifies(c.contract.id);
  });

  it('default on no delivery: the deadline passes with nothing delivered → defaultOnNoDelivery', async () => {
    const c = await createContract(s, [{ outcome: 'enum' }]);
    s.clock.advance(7 * DAY);
    s.scheduler.tick(); // the deadline itself still allows delivery
    expect((await event(c.contract.milestones[0]!.eventId)).status).toBe('open');
    s.clock.advance(1);
    expectError(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'deliver'), {
        token: c.tokens.freelancer,
        body: { artifactDigest: `sha256:${'0'.repeat(64)}` },
      }),
      409,
      'deadline_passed',
    );
    s.scheduler.tick();
    expect((await attestedOutcome(c.contract.milestones[0]!.eventId)).outcome).toBe('rejected');
    await expectLogVerifies(c.contract.id);
  });

  it('dispute: either party within the window → disputed, nothing attested; decideMilestone is the seam', async () => {
    const c = await createContract(s, [{}, {}]);
    await deliver(c, 0);
    await deliver(c, 1);
    const { milestone: m } = expectOk(
      await call<MilestoneActionView>(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'dispute'), {
        token: c.tokens.client,
        body: { reason: 'the logo is blue, we agreed on green' },
      }),
    );
    expect(m.status).toBe('disputed');
    expect(m.dispute).toMatchObject({
      byRole: 'client',
      evidenceEndsAt: s.clock.t + 3 * DAY,
      votingEndsAt: s.clock.t + 6 * DAY,
    });
    expectError(
      await call(s.url, 'GET', `/v1/events/${eventPath(m.eventId)}/attestation`),
      404,
      'not_attested',
    );
    // Past the review window a dispute comes too late; silence decides milestone 1 instead.
    s.clock.advance(3 * DAY);
    expectError(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 1, 'dispute'), {
        token: c.tokens.freelancer,
        body: { reason: 'x' },
      }),
      409,
      'window_closed',
    );
    s.scheduler.tick();
    expect((await attestedOutcome(c.contract.milestones[1]!.eventId)).outcome).toBe(100);
    expect((await event(m.eventId)).status).toBe('disputed');
    // The arbitration panel's verdict enters through decideMilestone.
    const ms = s.ctx.stores.milestoneByEvent(m.eventId)!;
    const d = decideMilestone(s.ctx, {
      milestoneId: ms.id,
      outcome: '65',
      reason: 'panel',
      actor: 'arbitration',
      allowedStates: ['disputed'],
    });
    expect(d.created).toBe(true);
    expect((await attestedOutcome(m.eventId)).outcome).toBe(65);
    expect(() =>
      decideMilestone(s.ctx, {
        milestoneId: ms.id,
        outcome: '10',
        reason: 'panel',
        actor: 'arbitration',
      }),
    ).toThrow(/already attested/);
    await expectLogVerifies(c.contract.id);
  });

  it('dispute with no verdict by the end of voting → the terms fallback outcome', async () => {
    const c = await createContract(s, [
      { dispute: { fallbackOutcome: 30, evidenceWindowSec: DAY, votingWindowSec: DAY } },
    ]);
    await deliver(c);
    expectOk(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'dispute'), {
        token: c.tokens.freelancer,
        body: { reason: 'no answer' },
      }),
    );
    s.clock.advance(2 * DAY - 1);
    s.scheduler.tick();
    expect((await event(c.contract.milestones[0]!.eventId)).status).toBe('disputed');
    s.clock.advance(1);
    s.scheduler.tick();
    expect((await attestedOutcome(c.contract.milestones[0]!.eventId)).outcome).toBe(30);
  });

  it('the client may concede a dispute by accepting', async () => {
    const c = await createContract(s);
    await deliver(c);
    expectOk(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'dispute'), {
        token: c.tokens.freelancer,
        body: { reason: 'r' },
      }),
    );
    const d = expectOk(
      await call<DecisionView>(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'accept'), {
        token: c.tokens.client,
      }),
    );
    expect(d.milestone.decision?.reason).toBe('accepted');
  });

  it('a decided milestone refuses every further transition', async () => {
    const c = await createContract(s);
    await deliver(c);
    expectOk(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'accept'), {
        token: c.tokens.client,
      }),
    );
    expectError(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'deliver'), {
        token: c.tokens.freelancer,
        body: { commitSha: 'c'.repeat(40) },
      }),
      409,
      'invalid_transition',
    );
    expectError(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'dispute'), {
        token: c.tokens.freelancer,
        body: { reason: 'late' },
      }),
      409,
      'invalid_transition',
    );
    expectError(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'propose'), {
        token: c.tokens.freelancer,
        body: { outcome: 50 },
      }),
      409,
      'invalid_transition',
    );
    expectError(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'accept-proposal'), {
        token: c.tokens.freelancer,
        body: { outcome: 50 },
      }),
      409,
      'event_already_attested',
    );
  });

  it('the database refuses to rewrite or delete signed history', () => {
    const db = s.ctx.db;
    expect(() => db.prepare('DELETE FROM attestations').run()).toThrow(/never deleted/);
    expect(() => db.prepare("UPDATE attestations SET outcome = '0'").run()).toThrow(/immutable/);
    expect(() => db.prepare('DELETE FROM announcements').run()).toThrow(/never deleted/);
    expect(() => db.prepare("UPDATE audit_log SET actor = 'x'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    expect(() =>
      db.prepare("UPDATE milestones SET decided_outcome = '1' WHERE state = 'attested'").run(),
    ).toThrow(/final/);
  });
});

describe('scheduler catch-up', () => {
  it('applies at start-up the deadlines that passed while the service was down', async () => {
    const first = await startTestServer();
    const c = await createContract(first);
    await first.close();
    first.clock.advance(8 * DAY);
    const second = await startTestServer({ dataDir: first.dataDir, clock: first.clock });
    try {
      const ev = expectOk(
        await call<EventView>(
          second.url,
          'GET',
          `/v1/events/${eventPath(c.contract.milestones[0]!.eventId)}`,
        ),
      );
      expect(ev.status).toBe('attested');
      expect(ev.outcome).toBe(0);
    } finally {
      await second.dispose();
    }
  });
});
