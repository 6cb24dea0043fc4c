/**
 * Issue 6 acceptance, service side: every dispute path over real HTTP against the real app on an
 * ephemeral port and a real SQLite file, with the clock moved by hand.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAttestation, attestedValue } from '../../src/dlc/attestation.ts';
import { announcementFromHex, attestationFromHex } from '../../src/dlc/oracle-codec.ts';
import { verifyAuditChain, type AuditEntry } from '../../oracle/domain/audit-log.ts';
import {
  call,
  DAY,
  expectError,
  expectOk,
  milestoneUrl,
  startTestServer,
  type TestServer,
} from '../oracle/helpers.ts';
import {
  activeArbiters,
  adminToken,
  disputedContract,
  disputeIdFor,
  fresh,
  panelOf,
  partyView,
  uiCall,
  vote,
  type DisputePage,
  type Session,
} from './helpers.ts';

let s: TestServer;
beforeEach(async () => {
  s = await startTestServer();
});
afterEach(async () => {
  await s.dispose();
});

const byId = (sessions: Session[]) => new Map(sessions.map((x) => [x.id, x]));

async function arbiterView(session: Session, disputeId: number) {
  return uiCall<DisputePage>(s, 'GET', `/disputes/${disputeId}`, {
    session: await fresh(s, session),
  });
}

async function expectAttested(eventId: string, outcome: string): Promise<void> {
  const ev = expectOk(
    await call<{ announcementHex: string; attestationHex?: string }>(
      s.url,
      'GET',
      `/v1/events/${encodeURIComponent(eventId)}`,
    ),
  );
  expect(ev.attestationHex).toBeDefined();
  const ann = announcementFromHex(ev.announcementHex);
  const att = attestationFromHex(ev.attestationHex ?? '');
  expect(verifyAttestation(ann, att)).toBe(true);
  expect(String(attestedValue(ann, att))).toBe(outcome);
}

async function expectLogVerifies(contractId: string): Promise<AuditEntry[]> {
  const log = expectOk(
    await call<{ entries: AuditEntry[]; headHash: string }>(
      s.url,
      'GET',
      `/v1/contracts/${contractId}/log`,
      { token: adminToken(s) },
    ),
  );
  const verdict = verifyAuditChain(log.entries, contractId);
  expect(verdict).toMatchObject({ ok: true, headHash: log.headHash });
  return log.entries;
}

describe('disputes', () => {
  it('share: three votes 40/60/70 → the median 60 is attested; votes sealed until the close, then public', async () => {
    const arbiters = await activeArbiters(s, ['a1', 'a2', 'a3', 'a4']);
    const c = await disputedContract(s, { dispute: { panel: { poolSize: 3 }, quorum: 2 } });
    const panel = await panelOf(s, c);
    expect(panel).toHaveLength(3);
    const sessions = byId(arbiters);
    const seated = panel.map((id) => sessions.get(id)!);
    const outsider = arbiters.find((a) => !panel.includes(a.id))!;
    const disputeId = await disputeIdFor(s, seated[0]!, c.contract.id);

    // Evidence phase: no voting yet.
    expectError(await vote(s, seated[0]!, disputeId, 50), 409, 'voting_closed');
    s.clock.advance(DAY);
    const [x, y, z] = seated as [Session, Session, Session];
    expect((await vote(s, x, disputeId, 10, 'first thought')).status).toBe(204);
    expect((await vote(s, x, disputeId, 40, 'the layout is half done')).status).toBe(204); // changed
    expect((await vote(s, y, disputeId, 60, 'most features work')).status).toBe(204);

    // Sealed: nobody but the voter sees a vote before the close.
    const ownView = expectOk(await arbiterView(x, disputeId));
    expect(ownView.rounds[0]!.myVote).toMatchObject({ outcome: '40' });
    expect(ownView.rounds[0]!.result).toBeNull();
    const otherView = expectOk(await arbiterView(y, disputeId));
    expect(otherView.rounds[0]!.myVote).toMatchObject({ outcome: '60' });
    for (const raw of [
      JSON.stringify(otherView),
      JSON.stringify(expectOk(await partyView(s, c, 'client'))),
      JSON.stringify(expectOk(await partyView(s, c, 'freelancer'))),
      JSON.stringify(
        expectOk(
          await call(s.url, 'GET', milestoneUrl(c.contract.id, 0, 'dispute'), {
            token: adminToken(s),
          }),
        ),
      ),
      JSON.stringify(
        expectOk(
          await call(s.url, 'GET', `/v1/contracts/${c.contract.id}/log`, {
            token: c.tokens.client,
          }),
        ),
      ),
      JSON.stringify(
        expectOk(
          await call(s.url, 'GET', `/v1/contracts/${c.contract.id}`, { token: c.tokens.client }),
        ),
      ),
    ]) {
      expect(raw).not.toContain('the layout is half done');
      expect(raw).not.toContain('only polish missing');
      if (raw !== JSON.stringify(otherView)) expect(raw).not.toContain('most features work');
    }
    expect(expectOk(await partyView(s, c, 'client')).rounds[0]!.result).toBeNull();
    // An arbiter not on the panel cannot read the dispute nor vote.
    expectError(await arbiterView(outsider, disputeId), 403, 'not_on_panel');
    expectError(await vote(s, outsider, disputeId, 100), 403, 'not_on_panel');

    // Two of three voted: a tick a second before the deadline changes nothing.
    s.clock.advance(DAY - 1);
    s.scheduler.tick();
    expect(expectOk(await partyView(s, c, 'client')).milestone.state).toBe('disputed');
    // The last seated arbiter votes: the round closes at once (issue 13 §10); later votes are late.
    expect((await vote(s, z, disputeId, '70', 'only polish missing')).status).toBe(204);
    expectError(await vote(s, x, disputeId, 90), 409, 'voting_closed');
    await expectAttested(c.contract.milestones[0]!.eventId, '60');

    const after = expectOk(await partyView(s, c, 'freelancer'));
    expect(after.milestone).toMatchObject({ state: 'attested', decidedOutcome: '60' });
    expect(after.rounds[0]!.result).toMatchObject({ outcome: '60', rule: 'median' });
    expect(after.rounds[0]!.result!.votes.map((v) => [v.outcome, v.rationale]).sort()).toEqual([
      ['40', 'the layout is half done'],
      ['60', 'most features work'],
      ['70', 'only polish missing'],
    ]);
    expect(after.attestation).toMatchObject({ outcome: '60' });
    const entries = await expectLogVerifies(c.contract.id);
    expect(entries.map((e) => e.action)).toEqual(
      expect.arrayContaining([
        'dispute_panel_seated',
        'dispute_vote_cast',
        'dispute_round_closed',
        'decided',
      ]),
    );
  });

  it('enum tie (1 accept, 1 reject) → the terms fallback; an even share panel takes the lower median', async () => {
    const arbiters = await activeArbiters(s, ['e1', 'e2', 'e3', 'e4']);
    const [e1, e2, e3, e4] = arbiters as [Session, Session, Session, Session];
    const enumC = await disputedContract(s, {
      outcome: 'enum',
      dispute: { panel: { arbiters: ['e1', 'e2'] }, quorum: 2, fallbackOutcome: 'accepted' },
    });
    const shareC = await disputedContract(s, {
      dispute: { panel: { arbiters: ['e1', 'e2', 'e3', 'e4'] }, quorum: 4 },
    });
    expect(await panelOf(s, enumC)).toEqual(['e1', 'e2']);
    s.clock.advance(DAY);
    const d1 = await disputeIdFor(s, e1, enumC.contract.id);
    expect((await vote(s, e1, d1, 'accepted')).status).toBe(204);
    expectError(await vote(s, e1, d1, 'maybe'), 400, 'invalid_outcome');
    expect((await vote(s, e2, d1, 'rejected')).status).toBe(204);
    expectError(await vote(s, e3, d1, 'rejected'), 403, 'not_on_panel');
    const d2 = await disputeIdFor(s, e1, shareC.contract.id);
    for (const [a, v] of [
      [e1, 10],
      [e2, 40],
      [e3, 20],
      [e4, 30],
    ] as const) {
      expect((await vote(s, a, d2, v)).status).toBe(204);
    }
    s.clock.advance(DAY);
    s.scheduler.tick();
    await expectAttested(enumC.contract.milestones[0]!.eventId, 'accepted');
    expect(expectOk(await partyView(s, enumC, 'client')).rounds[0]!.result).toMatchObject({
      outcome: 'accepted',
      rule: 'tie_fallback',
    });
    // Votes 10, 20, 30, 40: the lower median is 20.
    await expectAttested(shareC.contract.milestones[0]!.eventId, '20');
  });

  it('no quorum by the deadline → the terms fallback outcome', async () => {
    const arbiters = await activeArbiters(s, ['q1', 'q2', 'q3']);
    const c = await disputedContract(s, {
      dispute: { panel: { poolSize: 3 }, quorum: 2, fallbackOutcome: 25 },
    });
    s.clock.advance(DAY);
    const d = await disputeIdFor(s, arbiters[0]!, c.contract.id);
    expect((await vote(s, arbiters[0]!, d, 90)).status).toBe(204);
    s.clock.advance(DAY);
    s.scheduler.tick();
    await expectAttested(c.contract.milestones[0]!.eventId, '25');
    const v = expectOk(await partyView(s, c, 'client'));
    expect(v.rounds[0]!.result).toMatchObject({ outcome: '25', rule: 'no_quorum_fallback' });
    expect(v.rounds[0]!.result!.votes).toHaveLength(1);
  });

  it('appeal: a larger panel without the first one decides; no appeal → round 1 stands after the window', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `p${i}`);
    const sessions = byId(await activeArbiters(s, ids));
    const c = await disputedContract(s, {
      milestones: 2,
      dispute: { panel: { poolSize: 3 }, quorum: 2, appealAllowed: true },
    });
    s.clock.advance(DAY);
    for (const index of [0, 1]) {
      // Two of three vote (quorum 2): the round runs to its deadline.
      for (const id of (await panelOf(s, c, index)).slice(0, 2)) {
        const a = sessions.get(id)!;
        expect((await vote(s, a, await disputeIdFor(s, a, c.contract.id, index), 30)).status).toBe(
          204,
        );
      }
    }
    // Appeal too early: round 1 has not closed.
    expectError(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'dispute/appeal'), {
        token: c.tokens.freelancer,
        body: { reason: 'too early' },
      }),
      409,
      'appeal_not_allowed',
    );
    s.clock.advance(DAY);
    s.scheduler.tick();
    // Round 1 closed with 30, but nothing is attested while the appeal window runs.
    const closed = expectOk(await partyView(s, c, 'freelancer'));
    expect(closed.rounds[0]!.result).toMatchObject({ outcome: '30' });
    expect(closed.milestone.state).toBe('disputed');
    const appeal = expectOk(
      await call<{ round: number; disputeId: number }>(
        s.url,
        'POST',
        milestoneUrl(c.contract.id, 0, 'dispute/appeal'),
        {
          token: c.tokens.freelancer,
          body: { reason: 'the panel missed the second delivery' },
        },
      ),
      201,
    );
    expect(appeal.round).toBe(2);
    expectError(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'dispute/appeal'), {
        token: c.tokens.client,
        body: { reason: 'again' },
      }),
      409,
      'appeal_not_allowed',
    );
    const first = await panelOf(s, c, 0, 1);
    const second = await panelOf(s, c, 0, 2);
    expect(second).toHaveLength(7);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
    // Appeal evidence phase, then voting: five of seven vote (quorum 4).
    expectOk(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'dispute/evidence'), {
        token: c.tokens.freelancer,
        body: { kind: 'statement', text: 'see the second commit' },
      }),
      201,
    );
    s.clock.advance(DAY);
    s.scheduler.tick();
    // Milestone 1 was not appealed: its round-1 verdict applies once the window has passed.
    await expectAttested(c.contract.milestones[1]!.eventId, '30');
    const votes = [70, 80, 80, 90, 100];
    for (const [i, id] of second.slice(0, 5).entries()) {
      const a = sessions.get(id)!;
      expect((await vote(s, a, appeal.disputeId, votes[i]!)).status).toBe(204);
    }
    // A first-round arbiter does not sit on the appeal.
    expectError(await vote(s, sessions.get(first[0]!)!, appeal.disputeId, 0), 403, 'not_on_panel');
    s.clock.advance(DAY);
    s.scheduler.tick();
    await expectAttested(c.contract.milestones[0]!.eventId, '80');
    const v = expectOk(await partyView(s, c, 'client'));
    expect(v.rounds.map((r) => r.result?.outcome)).toEqual(['30', '80']);
    await expectLogVerifies(c.contract.id);
  });

  it('an appeal is refused when the terms do not allow one', async () => {
    await activeArbiters(s, ['n1', 'n2', 'n3']);
    const c = await disputedContract(s, { dispute: { panel: { poolSize: 3 } } });
    s.clock.advance(2 * DAY);
    expectError(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'dispute/appeal'), {
        token: c.tokens.client,
        body: { reason: 'x' },
      }),
      409,
      'appeal_not_allowed',
    );
  });

  it('a party, or an arbiter linked to a party, is never drawn onto its own panel', async () => {
    // "alice" is the client's id, "Bob" the freelancer's name; "carol" is linked to bob's email.
    const conflicted = ['alice', 'BOB', 'carol'];
    const fair = ['f1', 'f2', 'f3', 'f4', 'f5', 'f6'];
    await activeArbiters(s, [...conflicted, ...fair], { carol: ['bob'], BOB: [] });
    const c = await disputedContract(s, { milestones: 12, dispute: { panel: { poolSize: 3 } } });
    const drawn = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const panel = await panelOf(s, c, i);
      expect(panel).toHaveLength(3);
      for (const id of panel) drawn.add(id);
    }
    for (const id of conflicted) expect(drawn.has(id)).toBe(false);
    // The draw is random: twelve panels of three from six did not all pick the same three.
    expect(drawn.size).toBeGreaterThan(3);
  });

  it('evidence: statements, links and files with their SHA-256; served as downloads; only in the evidence phase', async () => {
    const [a] = await activeArbiters(s, ['v1']);
    const c = await disputedContract(s, { dispute: { panel: { arbiters: ['v1'] }, quorum: 1 } });
    const ev = (role: 'client' | 'freelancer', body: unknown) =>
      call<{ evidence: { id: number; sha256: string | null; sizeBytes: number | null } }>(
        s.url,
        'POST',
        milestoneUrl(c.contract.id, 0, 'dispute/evidence'),
        { token: c.tokens[role], body },
      );
    const html = '<script>alert(1)</script><b>bold</b>';
    expectOk(await ev('client', { kind: 'statement', text: html }), 201);
    expectOk(
      await ev('freelancer', { kind: 'link', url: 'https://example.com/pr/1', text: 'the PR' }),
      201,
    );
    expectError(
      await ev('client', { kind: 'link', url: 'javascript:alert(1)' }),
      400,
      'invalid_request',
    );
    const file = expectOk(
      await ev('freelancer', {
        kind: 'file',
        fileName: 'report.html',
        contentType: 'text/html',
        contentBase64: Buffer.from(html).toString('base64'),
      }),
      201,
    );
    expect(file.evidence.sha256).toBe(createHash('sha256').update(html).digest('hex'));
    const big = Buffer.alloc(2 * 1024 * 1024 + 1, 1).toString('base64');
    expectError(
      await ev('client', {
        kind: 'file',
        fileName: 'big.bin',
        contentType: 'application/octet-stream',
        contentBase64: big,
      }),
      413,
      'payload_too_large',
    );
    // Downloads: never rendered, never sniffed.
    for (const res of [
      await fetch(
        `${s.url}${milestoneUrl(c.contract.id, 0, `dispute/evidence/${file.evidence.id}/file`)}`,
        {
          headers: { authorization: `Bearer ${c.tokens.client}` },
        },
      ),
      await fetch(
        `${s.url}/arbiter/api/disputes/${await disputeIdFor(s, a!, c.contract.id)}/evidence/${file.evidence.id}/file`,
        {
          headers: { cookie: (await fresh(s, a!)).cookie },
        },
      ),
    ]) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="report.html"/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await res.text()).toBe(html);
    }
    const v = expectOk(await partyView(s, c, 'freelancer'));
    expect(v.evidence.map((e) => [e.partyRole, e.kind])).toEqual([
      ['client', 'statement'],
      ['freelancer', 'link'],
      ['freelancer', 'file'],
    ]);
    expect(v.evidence[0]!.text).toBe(html);
    s.clock.advance(DAY);
    expectError(await ev('client', { kind: 'statement', text: 'late' }), 409, 'window_closed');
  });
});
