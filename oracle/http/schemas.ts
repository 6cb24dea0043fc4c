/**
 * Response shapes of the API as zod schemas: `openapi.ts` turns them into the OpenAPI document and
 * the tests validate real responses against that document.
 */
import { z } from 'zod';
import { auditEntrySchema } from '../domain/audit-log.ts';

const hex = z.string().regex(/^[0-9a-f]*$/);
const outcome = z.union([z.string(), z.number().int()]);

export const errorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: 'Error' });

const descriptorJson = z.union([
  z.object({ enumEvent: z.object({ outcomes: z.array(z.string()) }) }),
  z.object({
    digitDecompositionEvent: z.object({
      base: z.number().int(),
      isSigned: z.boolean(),
      unit: z.string(),
      precision: z.number().int(),
      nbDigits: z.number().int(),
    }),
  }),
]);

/** rust-dlc's serde form of `OracleAnnouncement` (what kormir serves and ddk reads). */
export const rustDlcAnnouncement = z
  .object({
    announcementSignature: hex,
    oraclePublicKey: hex,
    oracleEvent: z.object({
      oracleNonces: z.array(hex),
      eventMaturityEpoch: z.number().int(),
      eventDescriptor: descriptorJson,
      eventId: z.string(),
    }),
  })
  .meta({ id: 'RustDlcAnnouncement' });

export const rustDlcAttestation = z
  .object({
    eventId: z.string(),
    oraclePublicKey: hex,
    signatures: z.array(hex),
    outcomes: z.array(z.string()),
  })
  .meta({ id: 'RustDlcAttestation' });

export const announcementJson = rustDlcAnnouncement
  .extend({ hex })
  .meta({ id: 'AnnouncementJson' });
export const attestationJson = rustDlcAttestation.extend({ hex }).meta({ id: 'AttestationJson' });

export const milestoneStatus = z.enum(['open', 'delivered', 'disputed', 'attested']);
/**
 * An event's `status` (issue 19 §11): the milestone's state for the contract's parties and the
 * operator; for everyone else `open` (not attested yet) or `attested`, nothing about deliveries
 * or disputes.
 */
const eventStatus = milestoneStatus.meta({
  description:
    "For the public `open` (not attested yet) or `attested`; for the contract's parties and the operator (their token) the milestone's state: `open`, `delivered`, `disputed` or `attested`",
});

export const oracleInfo = z
  .object({
    name: z.string(),
    publicKey: hex,
    hashConvention: z.literal('tagged'),
    attestationLayout: z.literal('spec'),
    eventIdFormat: z.string(),
    outcomeShapes: z.object({
      enum: z.array(z.string()),
      share: z.object({
        base: z.number(),
        nbDigits: z.number(),
        isSigned: z.boolean(),
        unit: z.string(),
        precision: z.number(),
      }),
    }),
    contractCreation: z.enum(['open', 'admin']),
    counts: z.object({
      contracts: z.number(),
      announcements: z.number(),
      attestations: z.number(),
    }),
  })
  .meta({ id: 'OracleInfo' });

export const attestationView = z
  .object({
    eventId: z.string(),
    outcome,
    attestedAt: z.number().int(),
    attestationHex: hex,
    attestation: attestationJson,
  })
  .meta({ id: 'Attestation' });

export const eventView = z
  .object({
    eventId: z.string(),
    contractId: z.string(),
    milestoneIndex: z.number().int(),
    status: eventStatus,
    maturityEpochSec: z.number().int(),
    announcementHex: hex,
    announcement: announcementJson,
    attestationHex: hex.optional(),
    outcome: outcome.optional(),
  })
  .meta({ id: 'Event' });

export const eventSummary = z
  .object({
    eventId: z.string(),
    status: eventStatus,
    maturityEpochSec: z.number().int(),
    announcementHex: hex,
    attestationHex: hex.optional(),
  })
  .meta({ id: 'EventSummary' });

export const eventList = z
  .object({ events: z.array(eventSummary), nextCursor: z.string().nullable() })
  .meta({ id: 'EventList' });

export const milestoneView = z
  .object({
    index: z.number().int(),
    title: z.string(),
    description: z
      .string()
      .optional()
      .describe("The deliverable, from the terms (absent when the terms don't give one)"),
    acceptanceCriteria: z
      .array(z.string())
      .optional()
      .describe(
        "How the delivery is judged, from the terms (absent when the terms don't give any)",
      ),
    amountSat: z.string(),
    outcomeKind: z.enum(['enum', 'share']),
    eventId: z.string(),
    status: milestoneStatus,
    deliveryDeadline: z.number().int(),
    reviewEndsAt: z.number().int().nullable(),
    delivery: z
      .object({
        deliveredAt: z.number().int(),
        commitSha: z.string().optional(),
        artifactDigest: z.string().optional(),
        note: z.string().optional(),
      })
      .nullable(),
    proposal: z
      .object({ byRole: z.enum(['client', 'freelancer']), outcome, at: z.number().int() })
      .nullable(),
    dispute: z
      .object({
        openedAt: z.number().int(),
        byRole: z.enum(['client', 'freelancer']),
        reason: z.string(),
        evidenceEndsAt: z.number().int(),
        votingEndsAt: z.number().int(),
        panel: z
          .object({
            round: z.number().int(),
            seats: z.number().int(),
            seated: z.number().int(),
            quorum: z.number().int(),
            short: z.boolean(),
            notice: z.string().nullable(),
          })
          .optional()
          .describe(
            "The current round's panel: `short` when fewer arbiters are seated than the terms ask (empty seats are filled as arbiters join, until the evidence phase ends); `notice` says so in words",
          ),
      })
      .nullable(),
    decision: z
      .object({ outcome, reason: z.string(), decidedAt: z.number().int(), decidedBy: z.string() })
      .nullable(),
    allowedActions: z.array(z.string()),
  })
  .meta({ id: 'Milestone' });

export const contractView = z
  .object({
    id: z.string(),
    title: z.string().nullable(),
    termsHash: hex,
    createdAt: z.number().int(),
    client: z.object({ id: z.string(), name: z.string() }),
    freelancer: z.object({ id: z.string(), name: z.string() }),
    yourRole: z.enum(['client', 'freelancer', 'admin']),
    milestones: z.array(milestoneView),
  })
  .meta({ id: 'Contract' });

const agreementState = z.enum(['pending', 'accepted', 'declined']);
/** Issue 15: each party's answer to the terms (final once given). */
export const agreementView = z
  .object({ client: agreementState, freelancer: agreementState })
  .meta({ id: 'Agreement' });

/** `GET /v1/contracts/:id` and the agreement's answer: the contract with both answers. */
export const contractWithAgreementView = contractView
  .extend({ agreement: agreementView })
  .meta({ id: 'ContractWithAgreement' });

/** Issue 15: what a create would hash; the contract id is assigned at creation. */
export const contractPreview = z
  .object({
    canonicalJson: z.string(),
    terms: z.record(z.string(), z.unknown()),
    termsHash: z.null(),
  })
  .meta({ id: 'ContractPreview' });

export const createdContract = z
  .object({
    contract: contractView,
    tokens: z.object({ client: z.string(), freelancer: z.string() }),
    warning: z.string(),
  })
  .meta({ id: 'CreatedContract' });

export const termsView = z
  .object({ termsHash: hex, canonicalJson: z.string(), terms: z.record(z.string(), z.unknown()) })
  .meta({ id: 'Terms' });

export const auditLogView = z
  .object({ contractId: z.string(), headHash: hex, entries: z.array(auditEntrySchema) })
  .meta({ id: 'AuditLog' });

/**
 * The one answer of every milestone lifecycle write (deliver, accept, propose, accept-proposal,
 * dispute): the milestone after the write, and — when the write decided it — the attestation and
 * whether this call created it (false: the same outcome was attested before).
 */
export const milestoneActionView = z
  .object({
    milestone: milestoneView,
    attestation: attestationView.optional(),
    created: z.boolean().optional(),
  })
  .meta({ id: 'MilestoneAction' });

/**
 * The public face of a contract's audit log (issue 19 §11): the hash chain without its content,
 * so that anyone who kept a head hash can check that the log still extends it.
 */
export const auditChainView = z
  .object({
    contractId: z.string(),
    headHash: hex,
    entries: z.array(
      z.object({
        seq: z.number().int().min(0),
        prevHash: z.string().regex(/^[0-9a-f]{64}$/),
        hash: z.string().regex(/^[0-9a-f]{64}$/),
      }),
    ),
  })
  .meta({ id: 'AuditChain' });

export const decisionView = z
  .object({ milestone: milestoneView, attestation: attestationView, created: z.boolean() })
  .meta({ id: 'Decision' });

export const dlcMessageView = z
  .object({
    kind: z.enum(['offer', 'accept', 'sign']),
    senderRole: z.enum(['client', 'freelancer']),
    hex,
    postedAt: z.number().int(),
  })
  .meta({ id: 'DlcMessage' });

/** ddk's `kormir::storage::OracleEventData` (snake_case: the struct has no serde rename). */
export const kormirEventData = z
  .object({
    event_id: z.string(),
    announcement: rustDlcAnnouncement,
    indexes: z.array(z.number().int().nonnegative()),
    signatures: z.array(z.tuple([z.string(), hex])),
    announcement_event_id: z.string().nullable(),
    attestation_event_id: z.string().nullable(),
  })
  .meta({ id: 'KormirEventData' });

export const healthView = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
