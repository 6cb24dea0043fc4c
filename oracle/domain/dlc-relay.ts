/**
 * The DLC message relay: the two parties of a milestone exchange their `offer_dlc`, `accept_dlc`
 * and `sign_dlc` messages through the service. It keeps the latest message of each kind (issue
 * 19 §4; the audit log keeps the digest of every post), and a `sign_dlc` is final. The service checks who posts what and
 * in which order, and the message type; it does not interpret the contract.
 */
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import type { DlcMessageRow } from '../db/stores.ts';
import { AppError, ConflictError, ForbiddenError, NotFoundError } from '../errors.ts';
import { appendAudit } from './audit-log.ts';
import { checkQuota, QUOTAS } from './quotas.ts';
import { sha256Hex } from './canonical-json.ts';
import type { MilestoneRef, PartyActor } from './milestones.ts';
import { actorString } from './milestones.ts';

export const DLC_MESSAGE_KINDS = ['offer', 'accept', 'sign'] as const;
export type DlcMessageKind = (typeof DLC_MESSAGE_KINDS)[number];

/** dlcspecs protocol v1 message types (u16, big-endian, first two bytes of the message). */
const MESSAGE_TYPE: Record<DlcMessageKind, number> = { offer: 42778, accept: 42780, sign: 42782 };

export const dlcMessageInput = z.strictObject({
  hex: z.string().regex(/^(?:[0-9a-f]{2})+$/, 'lowercase hex, an even number of digits'),
});

function checkMessage(kind: DlcMessageKind, hex: string, maxBytes: number): void {
  const bytes = hex.length / 2;
  if (bytes > maxBytes) {
    throw new AppError('payload_too_large', `a DLC message is at most ${maxBytes} bytes`, {
      bytes,
    });
  }
  const type = bytes >= 2 ? parseInt(hex.slice(0, 4), 16) : -1;
  if (type !== MESSAGE_TYPE[kind]) {
    throw new AppError(
      'invalid_dlc_message',
      `expected a ${kind}_dlc message (type ${MESSAGE_TYPE[kind]})`,
      {
        type,
      },
    );
  }
}

/**
 * Order: `offer` (either party; re-offering allowed to the same offerer until `sign`), then
 * `accept` by the other party, then `sign` by the offerer. Issue 19 §4: a re-post replaces the
 * stored message of its kind (the audit log keeps the digest of each), at most
 * `QUOTAS.dlcPostsPerKindPerMilestone` posts per kind, and a contract stores at most
 * `dlcContractBytesFactor` × the message limit of relayed bytes.
 */
export function postDlcMessage(
  ctx: AppContext,
  ref: MilestoneRef,
  actor: PartyActor,
  kind: DlcMessageKind,
  hex: string,
): DlcMessageRow {
  checkMessage(kind, hex, ctx.config.dlcMessageMaxBytes);
  return ctx.db.transaction(() => {
    const m = ctx.stores.milestoneByIndex(ref.contractId, ref.index);
    if (m === undefined)
      throw new NotFoundError('milestone_not_found', `no milestone ${ref.index}`);
    const offer = ctx.stores.latestDlcMessage(m.id, 'offer');
    const accept = ctx.stores.latestDlcMessage(m.id, 'accept');
    const sign = ctx.stores.latestDlcMessage(m.id, 'sign');
    if (sign !== undefined) {
      throw new ConflictError(
        'dlc_message_out_of_order',
        'the DLC of this milestone is already signed',
      );
    }
    if (kind === 'offer') {
      if (offer !== undefined && offer.sender_role !== actor.role) {
        throw new ForbiddenError(
          'wrong_role',
          `the ${offer.sender_role} made the offer; only they can re-offer`,
        );
      }
    } else if (kind === 'accept') {
      if (offer === undefined)
        throw new ConflictError('dlc_message_out_of_order', 'no offer to accept yet');
      if (offer.sender_role === actor.role) {
        throw new ForbiddenError('wrong_role', 'the offer must be accepted by the other party');
      }
    } else {
      if (offer === undefined || accept === undefined || accept.id < offer.id) {
        throw new ConflictError(
          'dlc_message_out_of_order',
          'sign follows an accept of the latest offer',
        );
      }
      if (offer.sender_role !== actor.role)
        throw new ForbiddenError('wrong_role', 'only the offerer signs');
    }
    const same = kind === 'offer' ? offer : kind === 'accept' ? accept : sign;
    checkQuota('dlc_posts_per_kind', QUOTAS.dlcPostsPerKindPerMilestone, same?.posts ?? 0, 1);
    checkQuota(
      'dlc_bytes_per_contract',
      QUOTAS.dlcContractBytesFactor * ctx.config.dlcMessageMaxBytes,
      ctx.stores.dlcBytesOfContract(ref.contractId) -
        (same === undefined ? 0 : same.hex.length / 2),
      hex.length / 2,
    );
    const row = { milestone_id: m.id, kind, sender_role: actor.role, hex, created_at: ctx.now() };
    const id = ctx.stores.insertDlcMessage(row);
    appendAudit(ctx.stores, {
      contractId: ref.contractId,
      at: row.created_at,
      actor: actorString(actor),
      action: `dlc_${kind}_posted`,
      milestoneIndex: ref.index,
      details: { sha256: sha256Hex(hexToBytesUnchecked(hex)), bytes: hex.length / 2 },
    });
    return { ...row, id, posts: (same?.posts ?? 0) + 1 };
  })();
}

function hexToBytesUnchecked(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export function getDlcMessage(
  ctx: AppContext,
  ref: MilestoneRef,
  kind: DlcMessageKind,
): DlcMessageRow {
  const m = ctx.stores.milestoneByIndex(ref.contractId, ref.index);
  if (m === undefined) throw new NotFoundError('milestone_not_found', `no milestone ${ref.index}`);
  const row = ctx.stores.latestDlcMessage(m.id, kind);
  if (row === undefined)
    throw new NotFoundError('dlc_message_not_found', `no ${kind}_dlc message yet`);
  return row;
}
