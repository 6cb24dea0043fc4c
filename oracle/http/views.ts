/** Domain rows → the JSON the API serves (shapes in `schemas.ts`). */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { z } from 'zod';
import {
  announcementToJson,
  attestationToJson,
  decodeAnnouncement,
  decodeAttestation,
} from 'verdict/dlc';
import type { DisputePanelInfo } from '../context.ts';
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

/**
 * ddk's `kormir::storage::OracleEventData` (dlcdevkit `kormir/src/storage.rs`, what
 * `KormirOracleClient::list_events` deserializes): `event_id`, the announcement in rust-dlc serde
 * JSON, the nonce indexes, and `signatures` as `[outcome, signature]` pairs in the attestation's
 * order, one per signed nonce, so a numeric event keeps every digit even where digits repeat.
 * The two nostr fields (kormir's `nostr` feature) are `null`: Verdict publishes no nostr events.
 */
export function kormirEventDataOf(r: EventListRow): z.infer<typeof S.kormirEventData> {
  const announcement = rustDlcAnnouncementOf(r.tlv);
  const signatures: [string, string][] = [];
  if (r.att_tlv !== null) {
    const att = decodeAttestation(r.att_tlv);
    att.outcomes.forEach((o, i) => {
      const sig = att.signatures[i];
      if (sig !== undefined) signatures.push([o, bytesToHex(sig)]);
    });
  }
  return {
    event_id: r.event_id,
    announcement,
    indexes: announcement.oracleEvent.oracleNonces.map((_, i) => i),
    signatures,
    announcement_event_id: null,
    attestation_event_id: null,
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

/** The parties' word for a panel with empty seats (issue 13 §9). */
export function shortPanelNotice(p: DisputePanelInfo, evidenceEndsAt: number): string {
  const seated =
    p.seated === 0
      ? 'No arbiter is seated yet'
      : `Only ${p.seated} of ${p.seats} arbiters are seated`;
  return (
    `${seated}: too few arbiters were available when the dispute opened. Empty seats are filled ` +
    `as arbiters join, until the evidence phase ends (${new Date(evidenceEndsAt * 1000).toISOString()}). ` +
    `A panel that cannot reach its quorum of ${p.quorum} ends in the terms' fallback outcome.`
  );
}

export function milestoneViewOf(
  m: MilestoneRow,
  mt: MilestoneTerms,
  role: PartyRole | 'admin',
  now: number,
  panelOf?: (m: MilestoneRow) => DisputePanelInfo | null,
): z.infer<typeof S.milestoneView> {
  const panel = panelOf?.(m) ?? null;
  const delivery =
    m.delivery_json === null ? null : deliverySchema.parse(JSON.parse(m.delivery_json));
  const proposal =
    m.proposal_json === null ? null : proposalSchema.parse(JSON.parse(m.proposal_json));
  const dispute =
    m.dispute_json === null ? null : disputeInfoSchema.parse(JSON.parse(m.dispute_json));
  return {
    index: m.idx,
    title: mt.title,
    ...(mt.description === undefined ? {} : { description: mt.description }),
    ...(mt.acceptanceCriteria === undefined
      ? {}
      : { acceptanceCriteria: [...mt.acceptanceCriteria] }),
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
            ...(panel === null
              ? {}
              : {
                  panel: {
                    round: panel.round,
                    seats: panel.seats,
                    seated: panel.seated,
                    quorum: panel.quorum,
                    short: panel.seated < panel.seats,
                    notice:
                      panel.seated < panel.seats
                        ? shortPanelNotice(panel, m.evidence_ends_at)
                        : null,
                  },
                }),
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
  panelOf?: (m: MilestoneRow) => DisputePanelInfo | null,
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
      return milestoneViewOf(m, mt, role, now, panelOf);
    }),
  };
}
