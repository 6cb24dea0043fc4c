import { z } from 'zod';
import { identityKey } from '../arbitration/panel.ts';
import { ciPolicySchema } from '../ci/policy.ts';
import { canonicalJson, sha256Hex, type JsonValue } from './canonical-json.ts';
import { normalizeOutcome, type Outcome, type OutcomeKind } from './outcomes.ts';
import { QUOTAS } from './quotas.ts';

const MAX_SAT = 21_000_000n * 100_000_000n;
const DAY = 86_400;

const partyId = z
  .string()
  .regex(/^[A-Za-z0-9._@:-]{1,64}$/, 'ids are 1-64 characters of A-Z a-z 0-9 . _ @ : -');

const partySchema = z.strictObject({
  id: partyId,
  name: z.string().min(1).max(100),
});

const amountSat = z
  .string()
  // `abort`: zod 4 runs later checks after a failed one, and BigInt() throws on non-digits.
  .regex(/^[1-9]\d{0,15}$/, { message: 'a positive decimal string of satoshis', abort: true })
  .refine((s) => BigInt(s) <= MAX_SAT, 'more than 21 million bitcoin');

const outcomeInput = z.union([z.string(), z.number()]);
const durationSec = z
  .number()
  .int()
  .min(0)
  .max(10 * 365 * DAY);

const disputeInput = z.strictObject({
  panel: z
    .union([
      z.strictObject({ arbiters: z.array(partyId).min(1).max(15) }),
      z.strictObject({ poolSize: z.number().int().min(1).max(15) }),
    ])
    .default({ poolSize: 3 }),
  quorum: z.number().int().min(1).max(15).optional(),
  evidenceWindowSec: durationSec.default(3 * DAY),
  votingWindowSec: durationSec.min(60).default(3 * DAY),
  fallbackOutcome: outcomeInput.optional(),
  appealAllowed: z.boolean().default(false),
});

/** Bounds of a milestone's scope (issue 13 §12): enough for a brief, small enough to hash and show. */
export const SCOPE_LIMITS = {
  descriptionChars: 4000,
  criteria: 30,
  criterionChars: 500,
} as const;

const milestoneInput = z.strictObject({
  title: z.string().min(1).max(200),
  /** What is to be delivered, in words the arbiters will read. Part of the terms hash. */
  description: z
    .string()
    .trim()
    .min(1)
    .max(SCOPE_LIMITS.descriptionChars)
    .optional()
    .describe('What is to be delivered (the arbiters read it). Part of the terms hash'),
  /** How the client will judge the delivery, one criterion per entry. Part of the terms hash. */
  acceptanceCriteria: z
    .array(z.string().trim().min(1).max(SCOPE_LIMITS.criterionChars))
    .min(1)
    .max(SCOPE_LIMITS.criteria)
    .optional()
    .describe(
      'How the delivery is judged, one criterion per entry (the arbiters read them). Part of the terms hash',
    ),
  amountSat,
  outcome: z.enum(['enum', 'share']).default('share'),
  deliveryDeadline: z
    .number()
    .int()
    .positive()
    .max(2 ** 32 - 1 - 40 * 365 * DAY),
  reviewWindowSec: durationSec.min(60),
  defaultOnSilence: outcomeInput.optional(),
  defaultOnNoDelivery: outcomeInput.optional(),
  dispute: disputeInput.default({
    panel: { poolSize: 3 },
    evidenceWindowSec: 3 * DAY,
    votingWindowSec: 3 * DAY,
    appealAllowed: false,
  }),
  // Issue 7's CI policy (oracle/ci/policy.ts): validated here, part of the terms and therefore
  // of the terms hash.
  ci: ciPolicySchema.optional(),
});

/** `POST /v1/contracts` body. */
export const createContractInput = z.strictObject({
  title: z.string().min(1).max(200).optional(),
  client: partySchema,
  freelancer: partySchema,
  // Issue 19 §6: each milestone is an announcement to sign at creation; 20 covers real contracts.
  milestones: z.array(milestoneInput).min(1).max(QUOTAS.milestonesPerContract),
});
export type CreateContractInput = z.infer<typeof createContractInput>;

export interface DisputeTerms {
  readonly panel: { readonly arbiters: readonly string[] } | { readonly poolSize: number };
  readonly quorum: number;
  readonly evidenceWindowSec: number;
  readonly votingWindowSec: number;
  readonly fallbackOutcome: Outcome;
  readonly appealAllowed: boolean;
}

export interface MilestoneTerms {
  readonly index: number;
  readonly title: string;
  /** Absent in contracts made before issue 13 §12: absent fields stay out of the canonical JSON. */
  readonly description?: string;
  readonly acceptanceCriteria?: readonly string[];
  readonly amountSat: bigint;
  readonly outcome: OutcomeKind;
  readonly deliveryDeadline: number;
  readonly reviewWindowSec: number;
  readonly defaultOnSilence: Outcome;
  readonly defaultOnNoDelivery: Outcome;
  readonly dispute: DisputeTerms;
  readonly ci?: Readonly<Record<string, unknown>>;
}

export interface Party {
  readonly id: string;
  readonly name: string;
}

/** The agreed terms of a contract: what the terms hash, and so every event id, commits to. */
export interface Terms {
  readonly version: 1;
  readonly contractId: string;
  readonly oraclePublicKey: string;
  readonly title: string | undefined;
  readonly client: Party;
  readonly freelancer: Party;
  readonly milestones: readonly MilestoneTerms[];
}

export class TermsError extends Error {
  constructor(
    message: string,
    readonly path: string,
    /** Set where the failure has its own error code (otherwise `invalid_request`). */
    readonly code?: 'maturity_out_of_range',
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'TermsError';
  }
}

/**
 * The latest event maturity the service announces (issue 19 §9). The announcement's
 * `event_maturity_epoch` is a u32, and the parties' refund locktime (an nLockTime, also a u32)
 * comes after it by a margin (7 days by default, `src/party/milestone-terms.ts`): one year of
 * headroom below 2^32 - 1 leaves any sane margin room.
 */
export const MAX_EVENT_MATURITY_EPOCH_SEC = 2 ** 32 - 1 - 366 * DAY;

function outcomeOrDefault(
  kind: OutcomeKind,
  raw: string | number | undefined,
  fallback: Outcome,
  path: string,
): Outcome {
  if (raw === undefined) return fallback;
  const o = normalizeOutcome(kind, raw);
  if (o === undefined) {
    throw new TermsError(
      kind === 'enum' ? 'must be "accepted" or "rejected"' : 'must be an integer 0..100',
      path,
    );
  }
  return o;
}

/**
 * Fills the defaults and checks what the schema cannot: outcomes valid for their kind, a quorum
 * the panel can reach, the two parties distinct, no arbiter a party.
 * @throws TermsError
 */
export function buildTerms(
  input: CreateContractInput,
  contractId: string,
  oraclePublicKey: string,
): Terms {
  if (input.client.id === input.freelancer.id) {
    throw new TermsError('client and freelancer must be different parties', 'freelancer.id');
  }
  const milestones = input.milestones.map((m, index): MilestoneTerms => {
    const kind = m.outcome;
    const at = `milestones.${index}`;
    const panelSize =
      'arbiters' in m.dispute.panel ? m.dispute.panel.arbiters.length : m.dispute.panel.poolSize;
    if ('arbiters' in m.dispute.panel) {
      const arbiters = m.dispute.panel.arbiters;
      if (new Set(arbiters).size !== arbiters.length) {
        throw new TermsError('an arbiter is listed twice', `${at}.dispute.panel.arbiters`);
      }
      // Issue 19 §12d: compared as the panel's conflict check compares (NFKC + case folding).
      const partyKeys = new Set([identityKey(input.client.id), identityKey(input.freelancer.id)]);
      if (arbiters.some((a) => partyKeys.has(identityKey(a)))) {
        throw new TermsError('a party cannot sit on its own panel', `${at}.dispute.panel.arbiters`);
      }
    }
    const quorum = m.dispute.quorum ?? Math.floor(panelSize / 2) + 1;
    if (quorum > panelSize) {
      throw new TermsError(
        `quorum ${quorum} exceeds the panel size ${panelSize}`,
        `${at}.dispute.quorum`,
      );
    }
    const terms: MilestoneTerms = {
      index,
      title: m.title,
      amountSat: BigInt(m.amountSat),
      outcome: kind,
      deliveryDeadline: m.deliveryDeadline,
      reviewWindowSec: m.reviewWindowSec,
      defaultOnSilence: outcomeOrDefault(
        kind,
        m.defaultOnSilence,
        kind === 'enum' ? 'accepted' : '100',
        `${at}.defaultOnSilence`,
      ),
      defaultOnNoDelivery: outcomeOrDefault(
        kind,
        m.defaultOnNoDelivery,
        kind === 'enum' ? 'rejected' : '0',
        `${at}.defaultOnNoDelivery`,
      ),
      dispute: {
        panel: m.dispute.panel,
        quorum,
        evidenceWindowSec: m.dispute.evidenceWindowSec,
        votingWindowSec: m.dispute.votingWindowSec,
        fallbackOutcome: outcomeOrDefault(
          kind,
          m.dispute.fallbackOutcome,
          kind === 'enum' ? 'rejected' : '50',
          `${at}.dispute.fallbackOutcome`,
        ),
        appealAllowed: m.dispute.appealAllowed,
      },
    };
    // Issue 19 §9: the deadline plus every window that feeds the maturity must fit in the
    // announcement's u32 (a far deadline with long windows used to overflow it: a 500).
    const maturityEpochSec = eventMaturityEpochSec(terms);
    if (maturityEpochSec > MAX_EVENT_MATURITY_EPOCH_SEC) {
      throw new TermsError(
        `the delivery deadline plus the review, evidence and voting windows (twice with an appeal) ends at ${maturityEpochSec}, past the latest event maturity ${MAX_EVENT_MATURITY_EPOCH_SEC}: bring the deadline closer or the windows shorter`,
        at,
        'maturity_out_of_range',
        { maturityEpochSec, maxMaturityEpochSec: MAX_EVENT_MATURITY_EPOCH_SEC },
      );
    }
    return {
      ...terms,
      ...(m.description === undefined ? {} : { description: m.description }),
      ...(m.acceptanceCriteria === undefined ? {} : { acceptanceCriteria: m.acceptanceCriteria }),
      ...(m.ci === undefined ? {} : { ci: m.ci }),
    };
  });
  return {
    version: 1,
    contractId,
    oraclePublicKey,
    title: input.title,
    client: input.client,
    freelancer: input.freelancer,
    milestones,
  };
}

/** One dispute round: evidence, then voting. */
export function disputeRoundSec(m: MilestoneTerms): number {
  return m.dispute.evidenceWindowSec + m.dispute.votingWindowSec;
}

/**
 * The latest time at which the terms can decide the milestone: delivery at the deadline, a
 * dispute opened at the end of the review window, its full round, and an appeal round if allowed.
 * This is the event's maturity, so the DLC's refund locktime comes after it.
 */
export function eventMaturityEpochSec(m: MilestoneTerms): number {
  return (
    m.deliveryDeadline + m.reviewWindowSec + disputeRoundSec(m) * (m.dispute.appealAllowed ? 2 : 1)
  );
}

/** Terms as canonical-JSON-ready data: amounts as decimal strings, outcomes in canonical form. */
export function termsToJson(t: Terms): JsonValue {
  const json: { [k: string]: JsonValue } = {
    version: t.version,
    contractId: t.contractId,
    oraclePublicKey: t.oraclePublicKey,
    client: { id: t.client.id, name: t.client.name },
    freelancer: { id: t.freelancer.id, name: t.freelancer.name },
    milestones: t.milestones.map((m) => {
      const mj: { [k: string]: JsonValue } = {
        index: m.index,
        title: m.title,
        amountSat: m.amountSat.toString(),
        outcome: m.outcome,
        deliveryDeadline: m.deliveryDeadline,
        reviewWindowSec: m.reviewWindowSec,
        defaultOnSilence: m.defaultOnSilence,
        defaultOnNoDelivery: m.defaultOnNoDelivery,
        dispute: {
          panel:
            'arbiters' in m.dispute.panel
              ? { arbiters: [...m.dispute.panel.arbiters] }
              : { poolSize: m.dispute.panel.poolSize },
          quorum: m.dispute.quorum,
          evidenceWindowSec: m.dispute.evidenceWindowSec,
          votingWindowSec: m.dispute.votingWindowSec,
          fallbackOutcome: m.dispute.fallbackOutcome,
          appealAllowed: m.dispute.appealAllowed,
        },
      };
      // Optional parts are omitted when absent, so that terms made before they existed keep
      // their exact canonical JSON, terms hash and event ids.
      if (m.description !== undefined) mj['description'] = m.description;
      if (m.acceptanceCriteria !== undefined) mj['acceptanceCriteria'] = [...m.acceptanceCriteria];
      if (m.ci !== undefined) mj['ci'] = m.ci as JsonValue;
      return mj;
    }),
  };
  if (t.title !== undefined) json['title'] = t.title;
  return json;
}

const storedTermsSchema = z.object({
  version: z.literal(1),
  contractId: z.string(),
  oraclePublicKey: z.string(),
  title: z.string().optional(),
  client: z.object({ id: z.string(), name: z.string() }),
  freelancer: z.object({ id: z.string(), name: z.string() }),
  milestones: z.array(
    z.object({
      index: z.number().int(),
      title: z.string(),
      description: z.string().optional(),
      acceptanceCriteria: z.array(z.string()).optional(),
      amountSat: z.string().regex(/^\d+$/),
      outcome: z.enum(['enum', 'share']),
      deliveryDeadline: z.number().int(),
      reviewWindowSec: z.number().int(),
      defaultOnSilence: z.string(),
      defaultOnNoDelivery: z.string(),
      dispute: z.object({
        panel: z.union([
          z.object({ arbiters: z.array(z.string()) }),
          z.object({ poolSize: z.number().int() }),
        ]),
        quorum: z.number().int(),
        evidenceWindowSec: z.number().int(),
        votingWindowSec: z.number().int(),
        fallbackOutcome: z.string(),
        appealAllowed: z.boolean(),
      }),
      ci: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
});

/** Reads terms back from their stored canonical JSON (validated: a database row is an edge too). */
export function termsFromJson(text: string): Terms {
  const p = storedTermsSchema.parse(JSON.parse(text));
  return {
    version: 1,
    contractId: p.contractId,
    oraclePublicKey: p.oraclePublicKey,
    title: p.title,
    client: p.client,
    freelancer: p.freelancer,
    milestones: p.milestones.map((m) => {
      const base: MilestoneTerms = {
        index: m.index,
        title: m.title,
        amountSat: BigInt(m.amountSat),
        outcome: m.outcome,
        deliveryDeadline: m.deliveryDeadline,
        reviewWindowSec: m.reviewWindowSec,
        defaultOnSilence: m.defaultOnSilence,
        defaultOnNoDelivery: m.defaultOnNoDelivery,
        dispute: m.dispute,
      };
      return {
        ...base,
        ...(m.description === undefined ? {} : { description: m.description }),
        ...(m.acceptanceCriteria === undefined ? {} : { acceptanceCriteria: m.acceptanceCriteria }),
        ...(m.ci === undefined ? {} : { ci: m.ci }),
      };
    }),
  };
}

export function canonicalTerms(t: Terms): { json: string; hash: string } {
  const json = canonicalJson(termsToJson(t));
  return { json, hash: sha256Hex(json) };
}

/** DESIGN.md "Events and outcomes": `verdict/<contract id>/<milestone index>/<first 16 hex of the terms hash>`. */
export function eventIdFor(contractId: string, index: number, termsHash: string): string {
  return `verdict/${contractId}/${index}/${termsHash.slice(0, 16)}`;
}
