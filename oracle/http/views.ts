/** Domain rows → the JSON the API serves (shapes in `schemas.ts`). */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { z } from 'zod';
import {
  announcementToJson,
  attestationToJson,
  decodeAnnouncement,
  decodeAttestation,
} from '../../src/dlc/oracle-codec.ts';
import type { AnnouncementRow, AttestationRow, EventListRow, MilestoneRow } from '../db/stores.ts';
import {
  deliverySchema,
  disputeInfoSchema,
  proposalSchema,
  type PartyRole,
} from '../domain/milestones.ts';
import { outcomeToJson } from '../domain/outcomes.ts';
import type { MilestoneTerms, Terms } from '../domain/terms.ts';
import type * as S from './schemas.ts';
import { Lru } from '../domain/lru.ts';

export function attestationViewOf(
  kind: MilestoneTerms['outcome'],
  row: AttestationRow,
): z.infer<typeof S.attestationView> {
  const att = decodeAttestation(row.tlv);
  return {
    eventId: row.event_id,
    outcome: outcomeToJson(kind, row.outcome),
    attestedAt: row.created_at,
    attestationHex: bytesToHex(row.tlv),
    attestation: attestationToJson(att) as z.infer<typeof S.attestationJson>,
  };
}

/** Decoded announcement JSON by its TLV's event id: announcements never change. */
const announcementJsonCache = new Lru<string, z.infer<typeof S.announcementJson>>(4096);

function announcementJsonOf(ann: AnnouncementRow): z.infer<typeof S.announcementJson> {
  let json = announcementJsonCache.get(ann.event_id);
  if (json === undefined) {
    json = announcementToJson(decodeAnnouncement(ann.tlv)) as z.infer<typeof S.announcementJson>;
    announcementJsonCache.set(ann.event_id, json);
  }
  return json;
}

/**
 * What an event's status says to whom (issue 19 §11): the milestone's state to the contract's
 * parties and the operator (`full`), only `open` (not attested yet) or `attested` to everyone else: no
 * delivery or dispute shows.
 */
function statusFor(
  state: MilestoneRow['state'],
  full: boolean,
): z.infer<typeof S.eventView>['status'] {
  if (full) return state;
  return state === 'attested' ? 'attested' : 'open';
}

export function eventViewOf(
  m: MilestoneRow,
  kind: MilestoneTerms['outcome'],
  ann: AnnouncementRow,
  att: AttestationRow | undefined,
  full: boolean,
): z.infer<typeof S.eventView> {
  const view: z.infer<typeof S.eventView> = {
    eventId: ann.event_id,
    contractId: m.contract_id,
    milestoneIndex: m.idx,
    status: statusFor(m.state, full),
    maturityEpochSec: ann.maturity_epoch_sec,
    announcementHex: bytesToHex(ann.tlv),
    announcement: announcementJsonOf(ann),
  };
  if (att !== undefined) {
    view.attestationHex = bytesToHex(att.tlv);
    view.outcome = outcomeToJson(kind, att.outcome);
  }
  return view;
}

export function eventSummaryOf(r: EventListRow, full: boolean): z.infer<typeof S.eventSummary> {
  const s: z.infer<typeof S.eventSummary> = {
    eventId: r.event_id,
    status: statusFor(r.state, full),
    maturityEpochSec: r.maturity_epoch_sec,
    announcementHex: bytesToHex(r.tlv),
  };
  if (r.att_tlv !== null) s.attestationHex = bytesToHex(r.att_tlv);
  return s;
}

/** rust-dlc serde shape (no `hex`), as kormir serves it. */
export function rustDlcAnnouncementOf(tlv: Uint8Array): z.infer<typeof S.rustDlcAnnouncement> {
  const { hex: _hex, ...rest } = announcementToJson(decodeAnnouncement(tlv));
  return rest as z.infer<typeof S.rustDlcAnnouncement>;
}

export function rustDlcAttestationOf(tlv: Uint8Array): z.infer<typeof S.rustDlcAttestation> {
  const { hex: _hex, ...rest } = attestationToJson(decodeAttestation(tlv));
  return rest as z.infer<typeof S.rustDlcAttestation>;
}

/** kormir's `OracleEventData`: the announcement, nonce indexes, and `{ outcome: signature }`. */
export function kormirEventDataOf(r: EventListRow): z.infer<typeof S.kormirEventData> {
  const announcement = rustDlcAnnouncementOf(r.tlv);
  const signatures: Record<string, string> = {};
  if (r.att_tlv !== null) {
    const att = decodeAttestation(r.att_tlv);
    att.outcomes.forEach((o, i) => {
      const sig = att.signatures[i];
      if (sig !== undefined) signatures[o] = bytesToHex(sig);
    });
  }
  return {
    id: r.milestone_id,
    announcement,
    indexes: announcement.oracleEvent.oracleNonces.map((_, i) => i),
    signatures,
  };
}

function allowedActions(m: MilestoneRow, role: PartyRole | 'admin', now: number): string[] {
  if (role === 'admin' || m.state === 'attested') return [];
  const a: string[] = [];
  if (m.state === 'open' && role === 'freelancer' && now <= m.delivery_deadline) a.push('deliver');
  if ((m.state === 'delivered' || m.state === 'disputed') && role === 'client') a.push('accept');
  a.push('propose');
  if (
    m.proposal_json !== null &&
    proposalSchema.parse(JSON.parse(m.proposal_json)).byRole !== role
  ) {
    a.push('accept-proposal');
  }
  if (m.state === 'delivered' && m.review_ends_at !== null && now < m.review_ends_at)
    a.push('dispute');
  return a;
}

export function milestoneViewOf(
  m: MilestoneRow,
  mt: MilestoneTerms,
  role: PartyRole | 'admin',
  now: number,
): z.infer<typeof S.milestoneView> {
  const delivery =
    m.delivery_json === null ? null : deliverySchema.parse(JSON.parse(m.delivery_json));
  const proposal =
    m.proposal_json === null ? null : proposalSchema.parse(JSON.parse(m.proposal_json));
  const dispute =
    m.dispute_json === null ? null : disputeInfoSchema.parse(JSON.parse(m.dispute_json));
  return {
    index: m.idx,
    title: mt.title,
    amountSat: mt.amountSat.toString(),
    outcomeKind: mt.outcome,
    eventId: m.event_id,
    status: m.state,
    deliveryDeadline: m.delivery_deadline,
    reviewEndsAt: m.review_ends_at,
    delivery:
      delivery === null || m.delivered_at === null
        ? null
        : { deliveredAt: m.delivered_at, ...stripUndefined(delivery) },
    proposal:
      proposal === null
        ? null
        : {
            byRole: proposal.byRole,
            outcome: outcomeToJson(mt.outcome, proposal.outcome),
            at: proposal.at,
          },
    dispute:
      dispute === null ||
      m.disputed_at === null ||
      m.evidence_ends_at === null ||
      m.voting_ends_at === null
        ? null
        : {
            openedAt: m.disputed_at,
            byRole: dispute.byRole,
            reason: dispute.reason,
            evidenceEndsAt: m.evidence_ends_at,
            votingEndsAt: m.voting_ends_at,
          },
    decision:
      m.decided_outcome === null ||
      m.decided_reason === null ||
      m.decided_at === null ||
      m.decided_by === null
        ? null
        : {
            outcome: outcomeToJson(mt.outcome, m.decided_outcome),
            reason: m.decided_reason,
            decidedAt: m.decided_at,
            decidedBy: m.decided_by,
          },
    allowedActions: allowedActions(m, role, now),
  };
}

function stripUndefined<T extends Record<string, unknown>>(
  o: T,
): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

export function contractViewOf(
  terms: Terms,
  termsHash: string,
  createdAt: number,
  milestones: readonly MilestoneRow[],
  role: PartyRole | 'admin',
  now: number,
): z.infer<typeof S.contractView> {
  return {
    id: terms.contractId,
    title: terms.title ?? null,
    termsHash,
    createdAt,
    client: terms.client,
    freelancer: terms.freelancer,
    yourRole: role,
    milestones: milestones.map((m) => {
      const mt = terms.milestones[m.idx];
      if (mt === undefined) throw new Error(`terms lack milestone ${m.idx}`);
      return milestoneViewOf(m, mt, role, now);
    }),
  };
}
