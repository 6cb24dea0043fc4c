/**
 * Issue 13 §9 and §10 over real HTTP on a real SQLite file: a dispute opened before any arbiter is
 * active gets its panel as arbiters accept their invites (or at the next scheduler tick) while the
 * evidence phase lasts, and everyone is told while it is short; voting closes as soon as every
 * seated arbiter has voted, and the outcome then attests as it would at the deadline.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acceptInvite as acceptInviteDomain } from '../../oracle/arbitration/accounts.ts';
import { ArbitrationStore } from '../../oracle/arbitration/store.ts';
import type { AuditEntry } from '../../oracle/domain/audit-log.ts';
import {
  call,
  createContract,
  DAY,
  expectOk,
  milestoneUrl,
  startTestServer,
  type MilestoneView,
  type TestServer,
} from '../oracle/helpers.ts';
import {
  acceptInvite,
  activeArbiters,
  adminToken,
  COMMIT,
  disputedContract,
  disputeIdFor,
  invite,
  login,
  panelOf,
  partyView,
  PASSWORD,
  vote,
  type DisputeTermsInput,
} from './helpers.ts';

let s: TestServer;
beforeEach(async () => {
  s = await startTestServer();
});
afterEach(async () => {
  await s.dispose();
});

interface ShortPanel {
  contractId: string;
  milestoneIndex: number;
  seats: number;
  seated: number;
}

async function shortPanels(): Promise<ShortPanel[]> {
  return expectOk(
    await call<{ shortPanels: ShortPanel[] }>(s.url, 'GET', '/v1/arbiters', {
      token: adminToken(s),
    }),
  ).shortPanels;
}

async function shortGauge(): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('verdict_dispute_panels_short '));
  return Number(line?.split(' ')[1]);
}

/** Delivers and disputes milestone 0, returning the dispute reply (the milestone view). */
async function deliverAndDispute(dispute: DisputeTermsInput) {
  const c = await createContract(s, [
    { dispute: { evidenceWindowSec: DAY, votingWindowSec: DAY, ...dispute } },
  ]);
  expectOk(
    await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'deliver'), {
      token: c.tokens.freelancer,
      body: { commitSha: COMMIT },
    }),
  );
  const { milestone: reply } = expectOk(
    await call<{ milestone: MilestoneView }>(
      s.url,
      'POST',
      milestoneUrl(c.contract.id, 0, 'dispute'),
      { token: c.tokens.client, body: { reason: 'not what we agreed' } },
    ),
  );
  return { c, reply };
}

/** The contract's audit log, read with a party's token (its content is the parties'). */
async function log(contractId: string, token: string): Promise<AuditEntry[]> {
  return expectOk(
    await call<{ entries: AuditEntry[] }>(s.url, 'GET', `/v1/contracts/${contractId}/log`, {
      token,
    }),
  ).entries;
}

describe('a dispute opened before arbiters are active (issue 13 §9)', () => {
  it('is told its panel is short, then seated as arbiters accept, until the evidence phase ends', async () => {
    const { c, reply } = await deliverAndDispute({ panel: { poolSize: 3 }, quorum: 2 });
    // The parties are told in the dispute's reply.
    expect(reply.dispute?.panel).toMatchObject({ seats: 3, seated: 0, short: true });
    expect(reply.dispute?.panel?.notice).toMatch(/^No arbiter is seated yet/);
    // The operator: the arbiter listing and the metric.
    expect(await shortPanels()).toMatchObject([
      { contractId: c.contract.id, milestoneIndex: 0, seats: 3, seated: 0 },
    ]);
    expect(await shortGauge()).toBe(1);
    expect(await panelOf(s, c)).toEqual([]);

    // Arbiters accept their invites: each is seated at once.
    await activeArbiters(s, ['late1']);
    expect(await panelOf(s, c)).toEqual(['late1']);
    const contract = expectOk(
      await call<{ milestones: MilestoneView[] }>(s.url, 'GET', `/v1/contracts/${c.contract.id}`, {
        token: c.tokens.freelancer,
      }),
    );
    expect(contract.milestones[0]!.dispute?.panel).toMatchObject({ seated: 1, short: true });
    expect(contract.milestones[0]!.dispute?.panel?.notice).toMatch(/^Only 1 of 3 arbiters/);
    expect(expectOk(await partyView(s, c, 'client')).rounds[0]).toMatchObject({
      panelShort: true,
    });
    await activeArbiters(s, ['late2', 'late3', 'late4']);
    expect((await panelOf(s, c)).sort()).toEqual(['late1', 'late2', 'late3']);
    expect(await shortPanels()).toEqual([]);
    expect(await shortGauge()).toBe(0);
    const full = expectOk(await partyView(s, c, 'client'));
    expect(full.rounds[0]).toMatchObject({ panelShort: false });
    const entries = await log(c.contract.id, c.tokens.client);
    expect(entries.filter((e) => e.action === 'dispute_panel_filled')).toHaveLength(3);

    // The late panel hears the dispute: two votes reach the quorum.
    s.clock.advance(DAY);
    const sessions = await Promise.all(['late1', 'late2'].map((id) => login(s, id)));
    const disputeId = await disputeIdFor(s, sessions[0]!, c.contract.id);
    for (const x of sessions) expect((await vote(s, x, disputeId, 80)).status).toBe(204);
    s.clock.advance(DAY);
    s.scheduler.tick();
    const after = expectOk(await partyView(s, c, 'client'));
    expect(after.milestone).toMatchObject({ state: 'attested', decidedOutcome: '80' });
    expect(after.rounds[0]!.result).toMatchObject({ rule: 'median' });
  });

  it('a scheduler tick seats an arbiter activated elsewhere; no seat is filled once voting opened', async () => {
    const { c } = await deliverAndDispute({ panel: { arbiters: ['fixed1', 'fixed2'] }, quorum: 1 });
    const first = await invite(s, 'fixed1');
    // Activated without the HTTP route (as by another process on the same database).
    await acceptInviteDomain(
      { store: new ArbitrationStore(s.ctx.db), now: s.clock.now },
      { token: first.token, password: PASSWORD },
    );
    expect(await panelOf(s, c)).toEqual([]);
    s.scheduler.tick();
    expect(await panelOf(s, c)).toEqual(['fixed1']);
    // An arbiter the terms do not name is never seated on a fixed panel.
    await activeArbiters(s, ['stranger']);
    expect(await panelOf(s, c)).toEqual(['fixed1']);

    // The evidence phase is over: the second fixed arbiter arrives too late to sit.
    s.clock.advance(DAY);
    const second = await invite(s, 'fixed2');
    await acceptInvite(s, second.token);
    s.scheduler.tick();
    expect(await panelOf(s, c)).toEqual(['fixed1']);
    expect(await shortPanels()).toMatchObject([{ seats: 2, seated: 1 }]);
  });
});

describe('voting closes when every seated arbiter has voted (issue 13 §10)', () => {
  it('stays sealed and open until the last vote, then closes and attests before the deadline', async () => {
    await activeArbiters(s, ['v1', 'v2', 'v3']);
    const c = await disputedContract(s, { dispute: { panel: { poolSize: 3 }, quorum: 2 } });
    const panel = await panelOf(s, c);
    expect(panel).toHaveLength(3);
    s.clock.advance(DAY);
    const sessions = await Promise.all(panel.map((id) => login(s, id)));
    const disputeId = await disputeIdFor(s, sessions[0]!, c.contract.id);
    expect((await vote(s, sessions[0]!, disputeId, 30, 'thirty')).status).toBe(204);
    expect((await vote(s, sessions[1]!, disputeId, 50, 'fifty')).status).toBe(204);
    // Two of three voted: still open, still sealed, even after a tick.
    s.scheduler.tick();
    const open = expectOk(await partyView(s, c, 'client'));
    expect(open.rounds[0]).toMatchObject({ phase: 'voting', result: null });
    expect(JSON.stringify(open)).not.toContain('thirty');
    expect(open.milestone.state).toBe('disputed');

    // The third vote closes the round at once: no tick, the deadline a day away.
    expect((await vote(s, sessions[2]!, disputeId, 90, 'ninety')).status).toBe(204);
    const closed = expectOk(await partyView(s, c, 'freelancer'));
    expect(closed.rounds[0]).toMatchObject({
      phase: 'closed',
      closedEarly: true,
      result: { outcome: '50', rule: 'median' },
    });
    expect(closed.milestone).toMatchObject({ state: 'attested', decidedOutcome: '50' });
    expect(closed.attestation).toMatchObject({ outcome: '50' });
    // A vote after the close is refused like a late one.
    expect((await vote(s, sessions[0]!, disputeId, 100)).status).toBe(409);
    const close = (await log(c.contract.id, c.tokens.client)).find(
      (e) => e.action === 'dispute_round_closed',
    );
    expect(close?.details).toMatchObject({ closedBy: 'all_voted', outcome: '50' });
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toContain('verdict_dispute_rounds_closed_total{reason="all_voted"} 1');
  });

  it('with an appeal allowed, the appeal window runs from the early close; a tick then attests', async () => {
    await activeArbiters(s, ['w1']);
    const c = await disputedContract(s, {
      dispute: {
        panel: { arbiters: ['w1'] },
        quorum: 1,
        votingWindowSec: 3 * DAY,
        appealAllowed: true,
      },
    });
    s.clock.advance(DAY);
    const w1 = await login(s, 'w1');
    const disputeId = await disputeIdFor(s, w1, c.contract.id);
    expect((await vote(s, w1, disputeId, 70)).status).toBe(204);
    const v = expectOk(await partyView(s, c, 'client'));
    expect(v.rounds[0]).toMatchObject({ closedEarly: true, result: { outcome: '70' } });
    expect(v.milestone.state).toBe('disputed');
    // The appeal window is one evidence window (a day) from the close, not from the deadline.
    expect((v as unknown as { appeal: { deadline: number } }).appeal.deadline).toBe(
      s.clock.now() + DAY,
    );
    s.clock.advance(DAY);
    s.scheduler.tick(); // two days before the voting deadline
    expect(expectOk(await partyView(s, c, 'client')).milestone).toMatchObject({
      state: 'attested',
      decidedOutcome: '70',
    });
  });
});
