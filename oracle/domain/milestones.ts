/**
 * The milestone lifecycle (DESIGN.md "The milestone lifecycle"). Every transition is one SQLite
 * transaction that also appends the contract's audit entry; a decision also writes the
 * attestation in that same transaction.
 */
import { z } from 'zod';
import type { AppContext, DisputeResolver } from '../context.ts';
import type { AttestationRow, MilestoneRow, MilestoneState } from '../db/stores.ts';
import { AppError, ConflictError, ForbiddenError, NotFoundError } from '../errors.ts';
import { appendAudit } from './audit-log.ts';
import { sha256Hex, type JsonValue } from './canonical-json.ts';
import { getContract } from './contracts.ts';
import { acceptedOutcome, normalizeOutcome, type Outcome } from './outcomes.ts';
import type { MilestoneTerms, Terms } from './terms.ts';

export type PartyRole = 'client' | 'freelancer';

/** Who acts on a milestone. `actor` strings in the audit log are `<role>:<party id>`. */
export interface PartyActor {
  readonly role: PartyRole;
  readonly partyId: string;
}

export function actorString(a: PartyActor): string {
  return `${a.role}:${a.partyId}`;
}

export const deliverySchema = z.object({
  commitSha: z.string().optional(),
  artifactDigest: z.string().optional(),
  note: z.string().optional(),
});
export const proposalSchema = z.object({
  byRole: z.enum(['client', 'freelancer']),
  partyId: z.string(),
  outcome: z.string(),
  at: z.number().int(),
});
export type Proposal = z.infer<typeof proposalSchema>;
export const disputeInfoSchema = z.object({
  byRole: z.enum(['client', 'freelancer']),
  partyId: z.string(),
  reason: z.string(),
});

export interface MilestoneRef {
  readonly contractId: string;
  readonly index: number;
}

export interface Decision {
  readonly milestone: MilestoneRow;
  readonly attestation: AttestationRow;
  /** False when the same outcome had already been attested (an idempotent repeat). */
  readonly created: boolean;
}

function loadMilestone(
  ctx: AppContext,
  ref: MilestoneRef,
): { m: MilestoneRow; terms: Terms; mt: MilestoneTerms } {
  const { terms } = getContract(ctx, ref.contractId);
  const m = ctx.stores.milestoneByIndex(ref.contractId, ref.index);
  const mt = terms.milestones[ref.index];
  if (m === undefined || mt === undefined) {
    throw new NotFoundError(
      'milestone_not_found',
      `contract ${ref.contractId} has no milestone ${ref.index}`,
    );
  }
  return { m, terms, mt };
}

function requireState(m: MilestoneRow, allowed: readonly MilestoneState[], action: string): void {
  if (!allowed.includes(m.state)) {
    throw new ConflictError(
      'invalid_transition',
      `cannot ${action} a milestone that is ${m.state}`,
      {
        state: m.state,
        allowed: [...allowed],
      },
    );
  }
}

function requireRole(actor: PartyActor, role: PartyRole, action: string): void {
  if (actor.role !== role) throw new ForbiddenError('wrong_role', `only the ${role} can ${action}`);
}

function termsOf(ctx: AppContext, m: MilestoneRow): MilestoneTerms {
  const mt = getContract(ctx, m.contract_id).terms.milestones[m.idx];
  if (mt === undefined) throw new Error(`terms of ${m.contract_id} lack milestone ${m.idx}`);
  return mt;
}

export interface DecideParams {
  readonly milestoneId: number;
  readonly outcome: Outcome;
  /** `accepted`, `mutual`, `default_on_silence`, `default_on_no_delivery`, `dispute_fallback`, `panel`, `ci`, ... */
  readonly reason: string;
  readonly actor: string;
  /** The states this decision may be taken from; checked inside the transaction. Default: any undecided state. */
  readonly allowedStates?: readonly MilestoneState[];
  readonly details?: { readonly [k: string]: JsonValue };
}

/**
 * THE single way anything decides a milestone: a client's acceptance, a mutual settlement, a
 * scheduler default, the arbitration panel's verdict, a decisive CI pass. In one transaction:
 * re-read the milestone, attest (at most once per event), mark it attested, append the audit
 * entry. Deciding an attested milestone again with the same outcome returns the stored
 * attestation; with another outcome it throws `event_already_attested`.
 */
export function decideMilestone(ctx: AppContext, p: DecideParams): Decision {
  const result = ctx.db.transaction((): Decision => {
    const m = ctx.stores.milestoneById(p.milestoneId);
    if (m === undefined)
      throw new NotFoundError('milestone_not_found', `no milestone ${p.milestoneId}`);
    const mt = termsOf(ctx, m);
    if (
      normalizeOutcome(mt.outcome, mt.outcome === 'share' ? Number(p.outcome) : p.outcome) !==
      p.outcome
    ) {
      throw new AppError(
        'invalid_outcome',
        `${p.outcome} is not an outcome of this ${mt.outcome} milestone`,
      );
    }
    if (m.state === 'attested') {
      // attestOnce returns the stored row for the same outcome and throws for another.
      const { row } = ctx.engine.attestOnce(ctx.stores, {
        eventId: m.event_id,
        kind: mt.outcome,
        outcome: p.outcome,
        nowEpochSec: ctx.now(),
      });
      return { milestone: m, attestation: row, created: false };
    }
    requireState(m, p.allowedStates ?? ['open', 'delivered', 'disputed'], 'decide');
    const now = ctx.now();
    const { row } = ctx.engine.attestOnce(ctx.stores, {
      eventId: m.event_id,
      kind: mt.outcome,
      outcome: p.outcome,
      nowEpochSec: now,
    });
    const decided: MilestoneRow = {
      ...m,
      state: 'attested',
      decided_outcome: p.outcome,
      decided_reason: p.reason,
      decided_by: p.actor,
      decided_at: now,
    };
    ctx.stores.updateMilestone(decided);
    appendAudit(ctx.stores, {
      contractId: m.contract_id,
      at: now,
      actor: p.actor,
      action: 'decided',
      milestoneIndex: m.idx,
      details: {
        ...(p.details ?? {}),
        reason: p.reason,
        outcome: p.outcome,
        eventId: m.event_id,
        fromState: m.state,
        attestationSha256: sha256Hex(row.tlv),
      },
    });
    return { milestone: decided, attestation: row, created: true };
  })();
  if (result.created) {
    ctx.metrics.decisions.inc({ reason: p.reason });
    ctx.metrics.attestations.inc();
    ctx.logger.info(
      { eventId: result.milestone.event_id, milestoneId: p.milestoneId, reason: p.reason },
      'milestone decided and attested',
    );
  }
  return result;
}

function transition(
  ctx: AppContext,
  m: MilestoneRow,
  next: MilestoneRow,
  audit: { actor: string; action: string; details: { readonly [k: string]: JsonValue } },
): MilestoneRow {
  ctx.stores.updateMilestone(next);
  appendAudit(ctx.stores, {
    contractId: m.contract_id,
    at: ctx.now(),
    actor: audit.actor,
    action: audit.action,
    milestoneIndex: m.idx,
    details: audit.details,
  });
  ctx.metrics.transitions.inc({ action: audit.action });
  return next;
}

export const deliverInput = z
  .strictObject({
    commitSha: z
      .string()
      .regex(/^([0-9a-f]{40}|[0-9a-f]{64})$/, 'a 40- or 64-hex-digit git commit id')
      .optional(),
    artifactDigest: z
      .string()
      .regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 hex digits>')
      .optional(),
    note: z.string().max(4000).optional(),
  })
  .refine((d) => d.commitSha !== undefined || d.artifactDigest !== undefined, {
    message: 'give a commitSha or an artifactDigest',
  });

/** The freelancer delivers: `open` → `delivered`, opening the review window. */
export function deliverMilestone(
  ctx: AppContext,
  ref: MilestoneRef,
  actor: PartyActor,
  delivery: z.infer<typeof deliverInput>,
): MilestoneRow {
  requireRole(actor, 'freelancer', 'deliver');
  return ctx.db.transaction(() => {
    const { m, mt } = loadMilestone(ctx, ref);
    requireState(m, ['open'], 'deliver');
    const now = ctx.now();
    if (now > m.delivery_deadline) {
      throw new ConflictError('deadline_passed', 'the delivery deadline has passed', {
        deliveryDeadline: m.delivery_deadline,
      });
    }
    const d: { [k: string]: JsonValue } = {};
    if (delivery.commitSha !== undefined) d['commitSha'] = delivery.commitSha;
    if (delivery.artifactDigest !== undefined) d['artifactDigest'] = delivery.artifactDigest;
    if (delivery.note !== undefined) d['note'] = delivery.note;
    return transition(
      ctx,
      m,
      {
        ...m,
        state: 'delivered',
        delivered_at: now,
        delivery_json: JSON.stringify(d),
        review_ends_at: now + mt.reviewWindowSec,
      },
      {
        actor: actorString(actor),
        action: 'delivered',
        details: { ...d, reviewEndsAt: now + mt.reviewWindowSec },
      },
    );
  })();
}

/** The client accepts the delivery (also possible during a dispute: conceding it). */
export function acceptMilestone(ctx: AppContext, ref: MilestoneRef, actor: PartyActor): Decision {
  requireRole(actor, 'client', 'accept');
  return ctx.db.transaction(() => {
    const { m, mt } = loadMilestone(ctx, ref);
    return decideMilestone(ctx, {
      milestoneId: m.id,
      outcome: acceptedOutcome(mt.outcome),
      reason: 'accepted',
      actor: actorString(actor),
      allowedStates: ['delivered', 'disputed'],
    });
  })();
}

/** One party proposes a mutual outcome; it replaces any earlier proposal. */
export function proposeOutcome(
  ctx: AppContext,
  ref: MilestoneRef,
  actor: PartyActor,
  rawOutcome: unknown,
): MilestoneRow {
  return ctx.db.transaction(() => {
    const { m, mt } = loadMilestone(ctx, ref);
    const outcome = parseOutcome(mt, rawOutcome);
    requireState(m, ['open', 'delivered', 'disputed'], 'propose an outcome for');
    const proposal: Proposal = {
      byRole: actor.role,
      partyId: actor.partyId,
      outcome,
      at: ctx.now(),
    };
    return transition(
      ctx,
      m,
      { ...m, proposal_json: JSON.stringify(proposal) },
      { actor: actorString(actor), action: 'outcome_proposed', details: { outcome } },
    );
  })();
}

/** The other party accepts the standing proposal, naming its outcome: a mutual settlement. */
export function acceptProposal(
  ctx: AppContext,
  ref: MilestoneRef,
  actor: PartyActor,
  rawOutcome: unknown,
): Decision {
  return ctx.db.transaction(() => {
    const { m, mt } = loadMilestone(ctx, ref);
    const outcome = parseOutcome(mt, rawOutcome);
    if (m.state !== 'attested') {
      const proposal =
        m.proposal_json === null ? undefined : proposalSchema.parse(JSON.parse(m.proposal_json));
      if (proposal === undefined || proposal.outcome !== outcome) {
        throw new ConflictError(
          'no_matching_proposal',
          'there is no standing proposal with this outcome',
          {
            proposed: proposal?.outcome ?? null,
          },
        );
      }
      if (proposal.byRole === actor.role) {
        throw new ForbiddenError('wrong_role', 'a proposal must be accepted by the other party');
      }
    }
    return decideMilestone(ctx, {
      milestoneId: m.id,
      outcome,
      reason: 'mutual',
      actor: actorString(actor),
      allowedStates: ['open', 'delivered', 'disputed'],
    });
  })();
}

export const disputeInput = z.strictObject({ reason: z.string().min(1).max(4000) });

/**
 * Either party disputes the delivery within the review window: `delivered` → `disputed`, with the
 * evidence and voting deadlines of the terms. Nothing else happens here: the arbitration module
 * seats the panel and later calls {@link decideMilestone} with the panel's verdict.
 */
export function openDispute(
  ctx: AppContext,
  ref: MilestoneRef,
  actor: PartyActor,
  reason: string,
): MilestoneRow {
  return ctx.db.transaction(() => {
    const { m, mt } = loadMilestone(ctx, ref);
    requireState(m, ['delivered'], 'dispute');
    const now = ctx.now();
    if (m.review_ends_at === null || now >= m.review_ends_at) {
      throw new ConflictError('window_closed', 'the review window has closed', {
        reviewEndsAt: m.review_ends_at,
      });
    }
    const evidenceEndsAt = now + mt.dispute.evidenceWindowSec;
    const votingEndsAt = evidenceEndsAt + mt.dispute.votingWindowSec;
    const disputed = transition(
      ctx,
      m,
      {
        ...m,
        state: 'disputed',
        disputed_at: now,
        dispute_json: JSON.stringify({ byRole: actor.role, partyId: actor.partyId, reason }),
        evidence_ends_at: evidenceEndsAt,
        voting_ends_at: votingEndsAt,
      },
      {
        actor: actorString(actor),
        action: 'dispute_opened',
        details: { reason, evidenceEndsAt, votingEndsAt },
      },
    );
    // Issue 6: arbitration seats the panel in this same transaction.
    ctx.disputeOpened?.(ctx, disputed, actorString(actor));
    return disputed;
  })();
}

function parseOutcome(mt: MilestoneTerms, raw: unknown): Outcome {
  const o = normalizeOutcome(mt.outcome, raw);
  if (o === undefined) {
    throw new AppError(
      'invalid_outcome',
      mt.outcome === 'enum'
        ? 'outcome must be "accepted" or "rejected"'
        : 'outcome must be an integer 0..100',
    );
  }
  return o;
}

/** Without an arbitration module: when voting closes undecided, the terms' fallback applies. */
export const fallbackDisputeResolver: DisputeResolver = (ctx, m) => ({
  outcome: termsOf(ctx, m).dispute.fallbackOutcome,
  reason: 'dispute_fallback',
});

/**
 * Applies every deadline written in the terms that has passed at `ctx.now()`: no delivery by the
 * deadline, silence through the review window, a closed voting window. Idempotent: each decision
 * re-checks the state inside its transaction, so a second run (or a race with a party) is harmless.
 */
export function applyDueDeadlines(ctx: AppContext, batch = 500): number {
  const now = ctx.now();
  let applied = 0;
  const attempt = (m: MilestoneRow, f: () => void) => {
    try {
      f();
      applied += 1;
    } catch (e) {
      if (e instanceof AppError && e.status === 409) return; // a party got there first
      ctx.logger.error({ err: e, eventId: m.event_id }, 'applying a deadline failed');
    }
  };
  for (const m of ctx.stores.dueNoDelivery(now, batch)) {
    attempt(m, () =>
      decideMilestone(ctx, {
        milestoneId: m.id,
        outcome: termsOf(ctx, m).defaultOnNoDelivery,
        reason: 'default_on_no_delivery',
        actor: 'scheduler',
        allowedStates: ['open'],
      }),
    );
  }
  for (const m of ctx.stores.dueSilence(now, batch)) {
    attempt(m, () =>
      decideMilestone(ctx, {
        milestoneId: m.id,
        outcome: termsOf(ctx, m).defaultOnSilence,
        reason: 'default_on_silence',
        actor: 'scheduler',
        allowedStates: ['delivered'],
      }),
    );
  }
  for (const m of ctx.stores.dueVotingClosed(now, batch)) {
    const verdict = ctx.disputeResolver(ctx, m);
    if (verdict === null) continue;
    attempt(m, () =>
      decideMilestone(ctx, {
        milestoneId: m.id,
        outcome: verdict.outcome,
        reason: verdict.reason,
        actor: 'scheduler',
        allowedStates: ['disputed'],
        ...(verdict.details === undefined ? {} : { details: verdict.details }),
      }),
    );
  }
  return applied;
}
