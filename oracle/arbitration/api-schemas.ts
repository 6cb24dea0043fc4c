/**
 * The shapes of arbitration's JSON replies, as zod schemas: the routes' return types are these
 * (so the compiler keeps code and documentation together), and `openapi.ts` documents them.
 */
import { z } from 'zod';

const int = z.number().int();
const party = z.object({ id: z.string(), name: z.string() });
const role = z.enum(['client', 'freelancer']);

export const arbiterSummaryView = z
  .object({
    id: z.string(),
    displayName: z.string(),
    status: z.enum(['invited', 'active', 'disabled']),
    linkedIdentities: z.array(z.string()),
    createdAt: int,
    disabledAt: int.nullable(),
  })
  .strict();

export const shortPanelView = z
  .object({
    disputeId: int,
    contractId: z.string(),
    milestoneIndex: int,
    round: int,
    seats: int,
    seated: int,
    quorum: int,
    evidenceEndsAt: int,
    votingEndsAt: int,
  })
  .strict();

export const arbiterListView = z
  .object({
    arbiters: z.array(arbiterSummaryView),
    shortPanels: z
      .array(shortPanelView)
      .describe(
        'Open dispute rounds with empty seats: filled as arbiters accept their invites, until the evidence phase ends',
      ),
  })
  .strict();
export const arbiterView = z.object({ arbiter: arbiterSummaryView }).strict();

export const issuedInviteView = z
  .object({
    arbiter: arbiterSummaryView,
    token: z
      .string()
      .describe('The single-use invite secret: shown once, stored only as its SHA-256'),
    expiresAt: int,
    inviteUrl: z.string(),
  })
  .strict();

export const tallyView = z
  .object({
    kind: z.enum(['enum', 'share']),
    votes: int,
    quorum: int,
    counts: z.record(z.string(), int),
    sorted: z.array(int),
    outcome: z.string(),
    rule: z.enum(['median', 'majority', 'tie_rule', 'tie_fallback', 'no_quorum_fallback']),
  })
  .strict();

const roundView = z
  .object({
    disputeId: int,
    round: int,
    phase: z.enum(['evidence', 'voting', 'closed']),
    secondsLeft: int,
    openedAt: int,
    evidenceEndsAt: int,
    votingEndsAt: int,
    seats: int,
    quorum: int,
    fallbackOutcome: z.string(),
    panel: z.array(z.object({ id: z.string(), displayName: z.string() }).strict()),
    panelShort: z
      .boolean()
      .describe(
        'Fewer arbiters seated than `seats`: empty seats are filled as arbiters join, until the evidence phase ends',
      ),
    closedEarly: z
      .boolean()
      .describe('The round closed before its voting deadline because every seated arbiter voted'),
    youSit: z.boolean(),
    myVote: z
      .object({ outcome: z.string(), rationale: z.string(), castAt: int })
      .strict()
      .nullable()
      .describe("The viewing arbiter's own sealed vote; null for everyone else"),
    result: z
      .object({
        closedAt: int,
        outcome: z.string().nullable(),
        rule: tallyView.shape.rule.nullable(),
        tally: tallyView,
        votes: z.array(
          z
            .object({
              arbiterId: z.string(),
              displayName: z.string(),
              outcome: z.string(),
              rationale: z.string(),
              castAt: int,
            })
            .strict(),
        ),
      })
      .strict()
      .nullable()
      .describe('Null until the round closes: votes are sealed until then'),
  })
  .strict();

export const evidenceItemView = z
  .object({
    id: int,
    round: int.nullable(),
    partyRole: role,
    kind: z.enum(['statement', 'link', 'file']),
    text: z.string(),
    url: z.string().nullable(),
    fileName: z.string().nullable(),
    contentType: z.string().nullable(),
    sizeBytes: int.nullable(),
    sha256: z.string().nullable(),
    createdAt: int,
  })
  .strict();

export const disputeViewSchema = z
  .object({
    contract: z
      .object({
        id: z.string(),
        title: z.string().nullable(),
        client: party,
        freelancer: party,
        termsHash: z.string(),
      })
      .strict(),
    milestone: z
      .object({
        id: int,
        index: int,
        title: z.string(),
        description: z.string().nullable().describe('The deliverable, from the terms'),
        acceptanceCriteria: z
          .array(z.string())
          .describe('How the delivery is judged, from the terms (empty when they give none)'),
        amountSat: z.string(),
        outcomeKind: z.enum(['enum', 'share']),
        state: z.enum(['open', 'delivered', 'disputed', 'attested']),
        eventId: z.string(),
        deliveryDeadline: int,
        deliveredAt: int.nullable(),
        delivery: z.record(z.string(), z.string()).nullable(),
        ciResults: z.array(
          z
            .object({
              receivedAt: int,
              commitSha: z.string(),
              result: z.enum(['PASSED', 'WARNED', 'FAILED']),
              passed: int,
              warned: int,
              failed: int,
              runUrl: z.string().nullable(),
              policyMet: z.boolean(),
            })
            .strict(),
        ),
        disputedAt: int.nullable(),
        dispute: z
          .object({ byRole: role, partyId: z.string(), reason: z.string() })
          .strict()
          .nullable(),
        decidedOutcome: z.string().nullable(),
        decidedReason: z.string().nullable(),
        disputeTerms: z.object({
          panel: z.union([
            z.object({ arbiters: z.array(z.string()) }),
            z.object({ poolSize: int }),
          ]),
          quorum: int,
          evidenceWindowSec: int,
          votingWindowSec: int,
          fallbackOutcome: z.string(),
          appealAllowed: z.boolean(),
        }),
      })
      .strict(),
    appeal: z
      .object({ allowed: z.boolean(), deadline: int.nullable(), requested: z.boolean() })
      .strict(),
    rounds: z.array(roundView),
    evidence: z.array(evidenceItemView),
    announcementHex: z.string().nullable(),
    attestation: z.object({ outcome: z.string(), hex: z.string() }).strict().nullable(),
    now: int,
  })
  .strict();
export type DisputeViewJson = z.output<typeof disputeViewSchema>;

export const evidenceCreatedView = z
  .object({
    evidence: z
      .object({
        id: int,
        kind: z.enum(['statement', 'link', 'file']),
        sha256: z.string().nullable(),
        sizeBytes: int.nullable(),
      })
      .strict(),
  })
  .strict();

export const appealCreatedView = z
  .object({ disputeId: int, round: int, evidenceEndsAt: int, votingEndsAt: int })
  .strict();
