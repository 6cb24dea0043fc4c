/**
 * Disputes (DESIGN.md "Disputes", issue 6 §2): seating the panel when a dispute opens, evidence,
 * sealed votes, the close and its tally, the appeal round, and the verdict handed to
 * `decideMilestone` through the service's `disputeResolver` seam.
 */
import { createHash } from 'node:crypto';
import { bytesToHex } from '@noble/hashes/utils.js';
import { z } from 'zod';
import type { AppContext, DisputeResolver } from '../context.ts';
import type { MilestoneRow } from '../db/stores.ts';
import { appendAudit } from '../domain/audit-log.ts';
import type { JsonValue } from '../domain/canonical-json.ts';
import { checkQuota, QUOTAS } from '../domain/quotas.ts';
import { getContract } from '../domain/contracts.ts';
import {
  actorString,
  decideMilestone,
  disputeInfoSchema,
  type PartyActor,
} from '../domain/milestones.ts';
import type { MilestoneTerms, Terms } from '../domain/terms.ts';
import { AppError, NotFoundError } from '../errors.ts';
import { linkedIdentitiesOf } from './accounts.ts';
import { tallyView, type DisputeViewJson } from './api-schemas.ts';
import { aggregateVotes } from './aggregate.ts';
import { appealNotAllowed, evidenceClosed, notOnPanel, votingNotOpen } from './errors.ts';
import { choosePanel, type PartyIdentity, type PoolArbiter } from './panel.ts';
import { phaseAt, secondsLeft, type DisputePhase } from './phases.ts';
import { isValidOutcome, roundRules } from './rules.ts';
import type { ArbitrationStore, DisputeRow, EvidenceRow } from './store.ts';

export interface Arbitration {
  readonly ctx: AppContext;
  readonly store: ArbitrationStore;
  /** Uniform integer in [0, bound): the panel draw's randomness (a CSPRNG unless a test pins it). */
  readonly randomIndex?: (bound: number) => number;
}

/** Attachments above this size are refused (the JSON body carrying them is limited accordingly). */
export const MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024;

/** Content types served inline-safe as themselves; anything else is served as octet-stream. */
const SAFE_CONTENT_TYPES = new Set([
  'text/plain',
  'application/pdf',
  'image/png',
  'image/jpeg',
  'application/json',
  'application/zip',
  'application/gzip',
]);

export function servedContentType(declared: string): string {
  return SAFE_CONTENT_TYPES.has(declared) ? declared : 'application/octet-stream';
}

function milestoneTermsOf(ctx: AppContext, m: MilestoneRow): { terms: Terms; mt: MilestoneTerms } {
  const { terms } = getContract(ctx, m.contract_id);
  const mt = terms.milestones[m.idx];
  if (mt === undefined) throw new Error(`terms of ${m.contract_id} lack milestone ${m.idx}`);
  return { terms, mt };
}

function partiesOf(terms: Terms): PartyIdentity[] {
  return [
    { role: 'client', identifiers: [terms.client.id, terms.client.name] },
    { role: 'freelancer', identifiers: [terms.freelancer.id, terms.freelancer.name] },
  ];
}

function pool(a: Arbitration): PoolArbiter[] {
  return a.store.arbiters().map((r) => ({
    id: r.id,
    username: r.id,
    displayName: r.display_name,
    status: r.status,
    linkedIdentities: linkedIdentitiesOf(r),
  }));
}

function audit(
  a: Arbitration,
  m: MilestoneRow,
  actor: string,
  action: string,
  details: { [k: string]: JsonValue },
): void {
  appendAudit(a.ctx.stores, {
    contractId: m.contract_id,
    at: a.ctx.now(),
    actor,
    action,
    milestoneIndex: m.idx,
    details,
  });
}

function seatPanel(
  a: Arbitration,
  m: MilestoneRow,
  row: Omit<DisputeRow, 'id' | 'closed_at' | 'outcome' | 'rule' | 'tally_json'>,
  fixed: readonly string[] | undefined,
  exclude: ReadonlySet<string>,
  terms: Terms,
  actor: string,
): DisputeRow {
  const drawn = choosePanel({
    pool: pool(a),
    parties: partiesOf(terms),
    fixed,
    size: row.seats,
    exclude,
    ...(a.randomIndex === undefined ? {} : { randomIndex: a.randomIndex }),
  });
  const id = a.store.insertDispute(row);
  drawn.arbiterIds.forEach((arbiterId, i) => a.store.insertPanelSeat(id, arbiterId, i + 1));
  audit(a, m, actor, 'dispute_panel_seated', {
    round: row.round,
    panel: [...drawn.arbiterIds],
    seats: row.seats,
    quorum: row.quorum,
    unfilled: drawn.unfilled.map((u) => ({ arbiterId: u.arbiterId ?? null, reason: u.reason })),
    evidenceEndsAt: row.evidence_ends_at,
    votingEndsAt: row.voting_ends_at,
  });
  if (drawn.unfilled.length > 0) {
    // Issue 13 §9: the empty seats are filled as arbiters become eligible (fillShortPanels) while
    // the evidence phase lasts; until then the operator is told here, in the metric
    // verdict_dispute_panels_short and in `verdict arbiter list`.
    a.ctx.logger.warn(
      {
        milestoneId: m.id,
        contractId: m.contract_id,
        round: row.round,
        seated: drawn.arbiterIds.length,
        seats: row.seats,
        unfilled: drawn.unfilled.length,
      },
      'panel seated short: invite arbiters (verdict arbiter invite) before the evidence phase ends',
    );
  }
  const seated = a.store.dispute(id);
  if (seated === undefined) throw new Error('dispute row vanished');
  return seated;
}

/**
 * Seats the first panel of a milestone that has just become `disputed`. Runs inside
 * `openDispute`'s transaction (the service calls it through `ctx.disputeOpened`), so the dispute
 * and its panel commit together. The round's deadlines are the milestone's.
 */
export function seatFirstRound(a: Arbitration, m: MilestoneRow, actor: string): DisputeRow {
  if (!a.ctx.db.inTransaction)
    throw new Error('seatFirstRound must run inside the dispute transaction');
  if (m.disputed_at === null || m.evidence_ends_at === null || m.voting_ends_at === null) {
    throw new Error(`milestone ${m.id} is not disputed`);
  }
  const { terms, mt } = milestoneTermsOf(a.ctx, m);
  const rules = roundRules(mt.dispute, 1);
  return seatPanel(
    a,
    m,
    {
      milestone_id: m.id,
      round: 1,
      opened_by: actor,
      opened_at: m.disputed_at,
      evidence_ends_at: m.evidence_ends_at,
      voting_ends_at: m.voting_ends_at,
      seats: rules.seats,
      quorum: rules.quorum,
      fallback_outcome: rules.fallbackOutcome,
    },
    rules.fixed,
    new Set(),
    terms,
    actor,
  );
}

/** The stored tally, parsed (a database row is an edge too). */
function tallyOf(row: DisputeRow): z.output<typeof tallyView> | null {
  return row.tally_json === null ? null : tallyView.parse(JSON.parse(row.tally_json));
}

/** Why a round closed: its voting deadline passed, or every seated arbiter had voted. */
export type CloseReason = 'deadline' | 'all_voted';

/**
 * Records the close of an open round: aggregates the counting votes with the terms' rules and
 * stores the result with its audit entry. Runs inside the caller's transaction.
 */
function closeRound(a: Arbitration, d: DisputeRow, m: MilestoneRow, reason: CloseReason): void {
  if (!a.ctx.db.inTransaction) throw new Error('closeRound must run inside a transaction');
  const { mt } = milestoneTermsOf(a.ctx, m);
  const votes = a.store.currentVotes(d.id);
  const tally = aggregateVotes(
    mt.outcome,
    votes.map((v) => v.outcome),
    {
      quorum: d.quorum,
      fallbackOutcome: d.fallback_outcome,
      shareEvenRule: 'lower',
      enumTieRule: 'fallback',
    },
  );
  if (
    !a.store.closeDispute({
      id: d.id,
      closed_at: a.ctx.now(),
      outcome: tally.outcome,
      rule: tally.rule,
      tally_json: JSON.stringify(tally),
    })
  ) {
    return; // closed by someone else in between: nothing to record twice
  }
  // The votes are public from here on; the log records them with the result.
  audit(a, m, 'arbitration', 'dispute_round_closed', {
    round: d.round,
    closedBy: reason,
    outcome: tally.outcome,
    rule: tally.rule,
    votes: votes.map((v) => ({ arbiterId: v.arbiter_id, outcome: v.outcome })),
  });
  a.ctx.metrics.disputeRoundsClosed.inc({ reason });
  if (reason === 'all_voted') {
    a.ctx.logger.info(
      { milestoneId: m.id, round: d.round, votes: votes.length },
      'dispute round closed early: every seated arbiter voted',
    );
  }
}

/**
 * Closes a round whose voting deadline has passed: aggregates the counting votes with the terms'
 * rules and records the result, with its audit entry, in one transaction. Idempotent.
 */
export function closeRoundIfDue(a: Arbitration, disputeId: number): DisputeRow {
  return a.ctx.db.transaction(() => {
    const d = a.store.dispute(disputeId);
    if (d === undefined) throw new NotFoundError('not_found', `no dispute ${disputeId}`);
    if (d.closed_at !== null || a.ctx.now() < d.voting_ends_at) return d;
    const m = a.ctx.stores.milestoneById(d.milestone_id);
    if (m === undefined) throw new Error(`dispute ${d.id} without milestone`);
    closeRound(a, d, m, 'deadline');
    const closed = a.store.dispute(d.id);
    if (closed === undefined) throw new Error('dispute row vanished');
    return closed;
  })();
}

/**
 * End of the window in which an appeal of a closed first round may be requested: one evidence
 * window after the close (a round closed early, when every seated arbiter had voted, opens its
 * appeal window early too). Before the close: the latest it can be.
 */
export function appealDeadline(first: DisputeRow, mt: MilestoneTerms): number {
  return (first.closed_at ?? first.voting_ends_at) + mt.dispute.evidenceWindowSec;
}

/**
 * The arbitration module's `disputeResolver`: once the current round has closed (and any appeal
 * window has passed), its outcome is the verdict: the panel's, or the terms' fallback when quorum
 * was missed. Returns null while a round or an appeal window is still running.
 */
export function disputeResolver(a: Arbitration): DisputeResolver {
  return (ctx, m) => {
    const rounds = a.store.disputesOfMilestone(m.id);
    const latest = rounds.at(-1);
    const { mt } = milestoneTermsOf(ctx, m);
    if (latest === undefined) {
      // A dispute opened before arbitration was installed has no panel: the terms' fallback.
      return {
        outcome: mt.dispute.fallbackOutcome,
        reason: 'dispute_fallback',
        details: { why: 'no panel seated' },
      };
    }
    const d = closeRoundIfDue(a, latest.id);
    if (d.closed_at === null || d.outcome === null) return null;
    if (d.round === 1 && mt.dispute.appealAllowed && ctx.now() < appealDeadline(d, mt)) return null;
    return {
      outcome: d.outcome,
      reason: d.rule === 'no_quorum_fallback' ? 'dispute_fallback' : 'panel',
      details: { round: d.round, rule: d.rule ?? '' },
    };
  };
}

/**
 * What the scheduler would do for this milestone now: close a due round and, if the verdict is
 * final, decide. Called when a dispute is read and when a round closes early, so that a page shows
 * the attestation as soon as the verdict is final instead of at the next scheduler tick.
 * Idempotent like the scheduler.
 */
export function settleIfDue(a: Arbitration, milestoneId: number): void {
  const m = a.ctx.stores.milestoneById(milestoneId);
  const rounds = a.store.disputesOfMilestone(milestoneId);
  if (m === undefined || m.state !== 'disputed' || m.voting_ends_at === null) {
    for (const d of rounds) closeRoundIfDue(a, d.id);
    return;
  }
  // Before the voting deadline only a round that closed early (every seat voted) can be final.
  if (a.ctx.now() < m.voting_ends_at && (rounds.at(-1)?.closed_at ?? null) === null) return;
  const verdict = a.ctx.disputeResolver(a.ctx, m);
  if (verdict === null) return;
  try {
    decideMilestone(a.ctx, {
      milestoneId: m.id,
      outcome: verdict.outcome,
      reason: verdict.reason,
      actor: 'arbitration',
      allowedStates: ['disputed'],
      ...(verdict.details === undefined ? {} : { details: verdict.details }),
    });
  } catch (e) {
    if (e instanceof AppError && e.status === 409) return; // the scheduler or a party got there first
    throw e;
  }
}

/**
 * Seats arbiters in the empty seats of a round still in its evidence phase: a dispute opened while
 * too few arbiters were active (none, at first) gets its panel as soon as eligible arbiters exist.
 * The same draw as at the open (the terms' fixed members, or the pool without conflicts and, on
 * appeal, without the first panel). Returns the number of seats filled.
 */
function fillRound(a: Arbitration, disputeId: number): number {
  return a.ctx.db.transaction(() => {
    const d = a.store.dispute(disputeId);
    if (d === undefined || d.closed_at !== null) return 0;
    if (phaseAt(timesOf(d), a.ctx.now()) !== 'evidence') return 0;
    const m = a.ctx.stores.milestoneById(d.milestone_id);
    if (m === undefined || m.state !== 'disputed') return 0;
    const { terms, mt } = milestoneTermsOf(a.ctx, m);
    const seated = a.store.panel(d.id);
    if (seated.length >= d.seats) return 0;
    const rules = roundRules(mt.dispute, d.round);
    const exclude = new Set(seated);
    if (d.round === 2) {
      const r1 = a.store.disputesOfMilestone(m.id)[0];
      if (r1 !== undefined) for (const id of a.store.panel(r1.id)) exclude.add(id);
    }
    const drawn = choosePanel({
      pool: pool(a),
      parties: partiesOf(terms),
      fixed: rules.fixed?.filter((id) => !exclude.has(id)),
      size: d.seats - seated.length,
      exclude,
      ...(a.randomIndex === undefined ? {} : { randomIndex: a.randomIndex }),
    });
    if (drawn.arbiterIds.length === 0) return 0;
    drawn.arbiterIds.forEach((arbiterId, i) =>
      a.store.insertPanelSeat(d.id, arbiterId, seated.length + i + 1),
    );
    const panel = a.store.panel(d.id);
    audit(a, m, 'arbitration', 'dispute_panel_filled', {
      round: d.round,
      added: [...drawn.arbiterIds],
      panel,
      seats: d.seats,
    });
    a.ctx.metrics.disputeSeatsFilledLate.inc({}, drawn.arbiterIds.length);
    a.ctx.logger.info(
      {
        milestoneId: m.id,
        contractId: m.contract_id,
        round: d.round,
        added: drawn.arbiterIds,
        seated: panel.length,
        seats: d.seats,
      },
      panel.length < d.seats ? 'short panel filled in part' : 'short panel filled',
    );
    return drawn.arbiterIds.length;
  })();
}

/** Fills every short panel that can still take seats (an arbiter activated, or a scheduler tick). */
export function fillShortPanels(a: Arbitration): number {
  let filled = 0;
  for (const d of a.store.roundsToFill(a.ctx.now())) filled += fillRound(a, d.id);
  return filled;
}

/**
 * The arbitration part of a scheduler tick: fill short panels, then decide the milestones whose
 * round closed early once their verdict is final (the scheduler's own pass only looks at
 * milestones whose voting deadline has passed). Returns the number of decisions made.
 */
export function arbitrationTick(a: Arbitration): number {
  fillShortPanels(a);
  let decided = 0;
  for (const id of a.store.milestonesWithClosedRound()) {
    settleIfDue(a, id);
    if (a.ctx.stores.milestoneById(id)?.state === 'attested') decided += 1;
  }
  return decided;
}

/** Open rounds seated with fewer arbiters than their seats, for the operator. */
export function shortPanels(a: Arbitration) {
  return a.store.shortRounds(a.ctx.now()).map((r) => ({
    disputeId: r.dispute_id,
    contractId: r.contract_id,
    milestoneIndex: r.milestone_index,
    round: r.round,
    seats: r.seats,
    seated: r.seated,
    quorum: r.quorum,
    evidenceEndsAt: r.evidence_ends_at,
    votingEndsAt: r.voting_ends_at,
  }));
}

export const appealInput = z.strictObject({ reason: z.string().trim().min(1).max(4000) });

/**
 * Either party appeals a closed first round, within the appeal window: a second round with a
 * larger panel drawn from the pool without the first panel (rules.ts). Its phases are anchored at
 * the first round's close, so the appeal ends before the event's maturity.
 */
export function requestAppeal(
  a: Arbitration,
  milestoneId: number,
  actor: PartyActor,
  reason: string,
): DisputeRow {
  const first = a.store.disputesOfMilestone(milestoneId)[0];
  if (first !== undefined) closeRoundIfDue(a, first.id);
  return a.ctx.db.transaction(() => {
    const m = a.ctx.stores.milestoneById(milestoneId);
    if (m === undefined)
      throw new NotFoundError('milestone_not_found', `no milestone ${milestoneId}`);
    const { terms, mt } = milestoneTermsOf(a.ctx, m);
    const rounds = a.store.disputesOfMilestone(m.id);
    const r1 = rounds[0];
    if (!mt.dispute.appealAllowed) throw appealNotAllowed('the terms do not allow an appeal');
    if (m.state !== 'disputed' || r1 === undefined)
      throw appealNotAllowed('the milestone is not in dispute', { state: m.state });
    if (rounds.length > 1) throw appealNotAllowed('the dispute has already been appealed');
    if (r1.closed_at === null)
      throw appealNotAllowed('the first round has not closed yet', {
        votingEndsAt: r1.voting_ends_at,
      });
    const now = a.ctx.now();
    const deadline = appealDeadline(r1, mt);
    if (now >= deadline)
      throw appealNotAllowed('the appeal window has closed', { appealDeadline: deadline });
    const rules = roundRules(mt.dispute, 2);
    const d = seatPanel(
      a,
      m,
      {
        milestone_id: m.id,
        round: 2,
        opened_by: actorString(actor),
        opened_at: now,
        evidence_ends_at: deadline,
        voting_ends_at: deadline + mt.dispute.votingWindowSec,
        seats: rules.seats,
        quorum: rules.quorum,
        fallback_outcome: rules.fallbackOutcome,
      },
      undefined,
      new Set(a.store.panel(r1.id)),
      terms,
      actorString(actor),
    );
    audit(a, m, actorString(actor), 'dispute_appealed', { reason, round: 2 });
    return d;
  })();
}

export const voteInput = z.strictObject({
  outcome: z.union([z.string(), z.number().int()]).transform((v) => String(v)),
  rationale: z.string().trim().min(1, 'a rationale is required').max(10_000),
});

/**
 * A panel member casts or changes a sealed vote during the voting phase. The audit entry records
 * that a vote was cast, never its content (the log is public). The vote that completes the panel
 * (every seated arbiter has a vote) closes the round at once; the votes stay sealed until then.
 */
export function castVote(
  a: Arbitration,
  arbiterId: string,
  disputeId: number,
  input: z.output<typeof voteInput>,
): { closed: boolean } {
  const closed = a.ctx.db.transaction(() => {
    const d = a.store.dispute(disputeId);
    if (d === undefined) throw new NotFoundError('not_found', `no dispute ${disputeId}`);
    if (!a.store.panel(d.id).includes(arbiterId)) throw notOnPanel();
    const now = a.ctx.now();
    const phase = phaseAt(timesOf(d), now);
    if (phase !== 'voting')
      throw votingNotOpen(phase, {
        votingEndsAt: d.voting_ends_at,
        evidenceEndsAt: d.evidence_ends_at,
      });
    const m = a.ctx.stores.milestoneById(d.milestone_id);
    if (m === undefined) throw new Error(`dispute ${d.id} without milestone`);
    if (m.state !== 'disputed') throw votingNotOpen(`milestone ${m.state}`);
    const { mt } = milestoneTermsOf(a.ctx, m);
    if (!isValidOutcome(mt.outcome, input.outcome)) {
      throw new AppError(
        'invalid_outcome',
        mt.outcome === 'enum'
          ? 'outcome must be "accepted" or "rejected"'
          : 'outcome must be an integer 0..100',
      );
    }
    a.store.insertVote({
      dispute_id: d.id,
      arbiter_id: arbiterId,
      outcome: input.outcome,
      rationale: input.rationale,
      cast_at: now,
    });
    audit(a, m, `arbiter:${arbiterId}`, 'dispute_vote_cast', { round: d.round });
    // Every seated arbiter has voted: nothing is left to wait for, so the round closes now.
    const voted = new Set(a.store.currentVotes(d.id).map((v) => v.arbiter_id));
    const panel = a.store.panel(d.id);
    if (panel.length === 0 || !panel.every((id) => voted.has(id))) return false;
    closeRound(a, d, m, 'all_voted');
    return true;
  })();
  if (closed) {
    const d = a.store.dispute(disputeId);
    // The vote and the close are committed; the decision follows as it would at the deadline. If
    // it fails here the scheduler's next tick decides (arbitrationTick), so the vote still stands.
    try {
      if (d !== undefined) settleIfDue(a, d.milestone_id);
    } catch (err) {
      a.ctx.logger.error({ err, disputeId }, 'deciding after an early close failed');
    }
  }
  return { closed };
}

export const evidenceInput = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('statement'), text: z.string().trim().min(1).max(20_000) }),
  z.strictObject({
    kind: z.literal('link'),
    url: z.url({ protocol: /^https?$/ }).max(2000),
    text: z.string().trim().max(2000).default(''),
  }),
  z.strictObject({
    kind: z.literal('file'),
    fileName: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .refine(
        (n) => !/[/\\"]/.test(n) && ![...n].some((ch) => ch.charCodeAt(0) < 0x20),
        'a plain file name',
      ),
    contentType: z
      .string()
      .max(100)
      .regex(/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/, 'a MIME type without parameters'),
    contentBase64: z.base64().max(Math.ceil(MAX_ATTACHMENT_BYTES / 3) * 4 + 4),
    text: z.string().trim().max(2000).default(''),
  }),
]);
export type EvidenceInput = z.output<typeof evidenceInput>;

/** A party adds evidence to the current round during its evidence phase. */
export function addEvidence(
  a: Arbitration,
  milestoneId: number,
  actor: PartyActor,
  input: EvidenceInput,
): EvidenceRow {
  let bytes: Uint8Array | undefined;
  let sha256: string | null = null;
  if (input.kind === 'file') {
    bytes = new Uint8Array(Buffer.from(input.contentBase64, 'base64'));
    if (bytes.length > MAX_ATTACHMENT_BYTES) {
      throw new AppError(
        'payload_too_large',
        `attachments are limited to ${MAX_ATTACHMENT_BYTES} bytes`,
      );
    }
    sha256 = createHash('sha256').update(bytes).digest('hex');
  }
  return a.ctx.db.transaction(() => {
    const m = a.ctx.stores.milestoneById(milestoneId);
    if (m === undefined)
      throw new NotFoundError('milestone_not_found', `no milestone ${milestoneId}`);
    const d = a.store.disputesOfMilestone(m.id).at(-1);
    if (d === undefined || m.state !== 'disputed') {
      throw new AppError('invalid_transition', 'the milestone is not in dispute', {
        state: m.state,
      });
    }
    const phase = phaseAt(timesOf(d), a.ctx.now());
    if (phase !== 'evidence') throw evidenceClosed(phase, { evidenceEndsAt: d.evidence_ends_at });
    // Issue 19 §4: a milestone's evidence is bounded in items and bytes.
    const usage = a.store.evidenceUsage(m.id);
    checkQuota('evidence_items_per_milestone', QUOTAS.evidenceItemsPerMilestone, usage.items, 1);
    checkQuota(
      'evidence_bytes_per_milestone',
      QUOTAS.evidenceBytesPerMilestone,
      usage.bytes,
      (bytes?.length ?? 0) + input.text.length + (input.kind === 'link' ? input.url.length : 0),
    );
    if (bytes !== undefined && sha256 !== null) a.store.insertBlob(sha256, bytes);
    const id = a.store.insertEvidence({
      dispute_id: d.id,
      party_role: actor.role,
      kind: input.kind,
      body: input.kind === 'statement' ? input.text : input.text,
      url: input.kind === 'link' ? input.url : null,
      file_name: input.kind === 'file' ? input.fileName : null,
      content_type: input.kind === 'file' ? input.contentType : null,
      size_bytes: bytes === undefined ? null : bytes.length,
      sha256,
      created_at: a.ctx.now(),
    });
    const textDigest = createHash('sha256')
      .update(input.kind === 'link' ? input.url + '\n' + input.text : input.text)
      .digest('hex');
    audit(a, m, actorString(actor), 'dispute_evidence_added', {
      round: d.round,
      evidenceId: id,
      kind: input.kind,
      textSha256: textDigest,
      fileSha256: sha256,
    });
    const row = a.store.evidence(id);
    if (row === undefined) throw new Error('evidence row vanished');
    return row;
  })();
}

/** The bytes of a file attachment of the milestone, for a viewer already allowed to see it. */
export function attachmentOf(
  a: Arbitration,
  milestoneId: number,
  evidenceId: number,
): { row: EvidenceRow; bytes: Uint8Array } {
  const row = a.store.evidence(evidenceId);
  const d = row === undefined ? undefined : a.store.dispute(row.dispute_id);
  if (
    row === undefined ||
    d === undefined ||
    d.milestone_id !== milestoneId ||
    row.sha256 === null
  ) {
    throw new NotFoundError('not_found', `no attachment ${evidenceId}`);
  }
  const bytes = a.store.blob(row.sha256);
  if (bytes === undefined) throw new Error(`attachment ${evidenceId} lost its bytes`);
  return { row, bytes };
}

function timesOf(d: DisputeRow) {
  return {
    openedAtSec: d.opened_at,
    evidenceEndsAtSec: d.evidence_ends_at,
    votingEndsAtSec: d.voting_ends_at,
    closedAtSec: d.closed_at,
  };
}

export type Viewer =
  | { readonly kind: 'arbiter'; readonly arbiterId: string }
  | { readonly kind: 'party'; readonly role: 'client' | 'freelancer' }
  | { readonly kind: 'admin' };

/** The rounds an arbiter sits on (their queue). */
export function queueOf(a: Arbitration, arbiterId: string) {
  const now = a.ctx.now();
  return a.store.disputesOfArbiter(arbiterId).map((d) => {
    const m = a.ctx.stores.milestoneById(d.milestone_id);
    if (m === undefined) throw new Error(`dispute ${d.id} without milestone`);
    const { terms, mt } = milestoneTermsOf(a.ctx, m);
    const phase: DisputePhase = phaseAt(timesOf(d), now);
    return {
      disputeId: d.id,
      round: d.round,
      contractId: m.contract_id,
      contractTitle: terms.title ?? null,
      milestoneIndex: m.idx,
      milestoneTitle: mt.title,
      amountSat: mt.amountSat.toString(),
      outcomeKind: mt.outcome,
      phase,
      secondsLeft: secondsLeft(timesOf(d), now),
      evidenceEndsAt: d.evidence_ends_at,
      votingEndsAt: d.voting_ends_at,
      voted: a.store.currentVotes(d.id).some((v) => v.arbiter_id === arbiterId),
      outcome: d.outcome,
    };
  });
}

/**
 * Everything about a disputed milestone that `viewer` may see. Votes are sealed: before a round
 * closes its votes appear nowhere, except an arbiter's own vote to that arbiter (so it can be
 * reviewed and changed). After the close, every vote with its rationale.
 */
export function disputeView(a: Arbitration, milestoneId: number, viewer: Viewer): DisputeViewJson {
  settleIfDue(a, milestoneId);
  const m = a.ctx.stores.milestoneById(milestoneId);
  if (m === undefined)
    throw new NotFoundError('milestone_not_found', `no milestone ${milestoneId}`);
  const rounds = a.store.disputesOfMilestone(m.id);
  if (rounds.length === 0) throw new NotFoundError('not_found', 'this milestone has no dispute');
  if (
    viewer.kind === 'arbiter' &&
    !rounds.some((d) => a.store.panel(d.id).includes(viewer.arbiterId))
  ) {
    throw notOnPanel();
  }
  const { terms, mt } = milestoneTermsOf(a.ctx, m);
  const now = a.ctx.now();
  const names = new Map(a.store.arbiters().map((r) => [r.id, r.display_name]));
  const announcement = a.ctx.stores.getAnnouncement(m.event_id);
  const attestation = a.ctx.stores.getAttestation(m.event_id);
  const dispute =
    m.dispute_json === null ? null : disputeInfoSchema.parse(JSON.parse(m.dispute_json));
  const first = rounds[0];
  return {
    contract: {
      id: terms.contractId,
      title: terms.title ?? null,
      client: terms.client,
      freelancer: terms.freelancer,
      termsHash: getContract(a.ctx, m.contract_id).row.terms_hash,
    },
    milestone: {
      id: m.id,
      index: m.idx,
      title: mt.title,
      description: mt.description ?? null,
      acceptanceCriteria: [...(mt.acceptanceCriteria ?? [])],
      amountSat: mt.amountSat.toString(),
      outcomeKind: mt.outcome,
      state: m.state,
      eventId: m.event_id,
      deliveryDeadline: m.delivery_deadline,
      deliveredAt: m.delivered_at,
      delivery:
        m.delivery_json === null ? null : (JSON.parse(m.delivery_json) as Record<string, string>),
      ciResults: a.store.ciResults(m.id).map((c) => ({
        receivedAt: c.received_at,
        commitSha: c.commit_sha,
        result: c.result,
        passed: c.passed_count,
        warned: c.warned_count,
        failed: c.failed_count,
        runUrl: c.run_url,
        policyMet: c.policy_met === 1,
      })),
      disputedAt: m.disputed_at,
      dispute,
      decidedOutcome: m.decided_outcome,
      decidedReason: m.decided_reason,
      disputeTerms: {
        ...mt.dispute,
        panel:
          'arbiters' in mt.dispute.panel
            ? { arbiters: [...mt.dispute.panel.arbiters] }
            : { poolSize: mt.dispute.panel.poolSize },
      },
    },
    appeal: {
      allowed: mt.dispute.appealAllowed,
      deadline: first !== undefined && mt.dispute.appealAllowed ? appealDeadline(first, mt) : null,
      requested: rounds.length > 1,
    },
    rounds: rounds.map((d) => {
      const panel = a.store.panel(d.id);
      const votes = a.store.currentVotes(d.id);
      const own =
        viewer.kind === 'arbiter'
          ? votes.find((v) => v.arbiter_id === viewer.arbiterId)
          : undefined;
      const tally = tallyOf(d);
      return {
        disputeId: d.id,
        round: d.round,
        phase: phaseAt(timesOf(d), now),
        secondsLeft: secondsLeft(timesOf(d), now),
        openedAt: d.opened_at,
        evidenceEndsAt: d.evidence_ends_at,
        votingEndsAt: d.voting_ends_at,
        seats: d.seats,
        quorum: d.quorum,
        fallbackOutcome: d.fallback_outcome,
        panel: panel.map((id) => ({ id, displayName: names.get(id) ?? id })),
        panelShort: panel.length < d.seats,
        closedEarly: d.closed_at !== null && d.closed_at < d.voting_ends_at,
        youSit: viewer.kind === 'arbiter' && panel.includes(viewer.arbiterId),
        myVote:
          own === undefined
            ? null
            : { outcome: own.outcome, rationale: own.rationale, castAt: own.cast_at },
        result:
          d.closed_at === null || tally === null
            ? null
            : {
                closedAt: d.closed_at,
                outcome: d.outcome,
                rule: d.rule,
                tally,
                votes: votes.map((v) => ({
                  arbiterId: v.arbiter_id,
                  displayName: names.get(v.arbiter_id) ?? v.arbiter_id,
                  outcome: v.outcome,
                  rationale: v.rationale,
                  castAt: v.cast_at,
                })),
              },
      };
    }),
    evidence: a.store.evidenceOfMilestone(m.id).map((e) => ({
      id: e.id,
      round: rounds.find((d) => d.id === e.dispute_id)?.round ?? null,
      partyRole: e.party_role,
      kind: e.kind,
      text: e.body,
      url: e.url,
      fileName: e.file_name,
      contentType: e.content_type,
      sizeBytes: e.size_bytes,
      sha256: e.sha256,
      createdAt: e.created_at,
    })),
    announcementHex: announcement === undefined ? null : bytesToHex(announcement.tlv),
    attestation:
      attestation === undefined
        ? null
        : { outcome: attestation.outcome, hex: bytesToHex(attestation.tlv) },
    now,
  };
}
export type DisputeView = DisputeViewJson;
