/**
 * What the two parties of a milestone agree on before any DLC message, and the contract it
 * implies: a Verdict milestone's payout table (enum `accepted`/`rejected` or the share curve,
 * `share-contract.ts`) on the milestone's oracle event, funded by the client alone (single-funded,
 * the default) or by both (dual-funded). Pure; stored as JSON beside each contract.
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import type { ContractInfo } from '../dlc/contract.ts';
import type { OracleAnnouncement } from '../dlc/oracle-types.ts';
import { DEFAULT_REFUND_MARGIN_SEC, type DlcTerms } from '../dlc/protocol.ts';
import { milestoneEnumDescriptor, shareContractDescriptor } from '../dlc/share-contract.ts';

const sats = z
  .string()
  .regex(/^\d+$/)
  .transform((s) => BigInt(s));

/** The agreed terms as stored and as given on the command line (amounts as decimal strings). */
export const milestoneTermsSchema = z.strictObject({
  eventId: z.string().min(1),
  /** The oracle's x-only key, hex: announcements signed by another key are refused. */
  oraclePublicKey: z.string().regex(/^[0-9a-f]{64}$/),
  outcome: z.enum(['enum', 'share']),
  amountSat: sats,
  offererRole: z.enum(['client', 'freelancer']),
  /** `single`: the client locks the whole amount and pays all fees; `dual`: both bring inputs. */
  funding: z.enum(['single', 'dual']).default('single'),
  /** Dual-funded only: the offerer's share of the amount. */
  offerCollateralSat: sats.optional(),
  feeRatePerVb: sats,
  refundMarginSec: z.number().int().positive().default(DEFAULT_REFUND_MARGIN_SEC),
  convention: z.enum(['tagged', 'sha256']).default('tagged'),
  /**
   * The milestone's scope as the oracle's terms state it (`GET /v1/contracts/:id/terms`), shown to
   * the party before it offers or accepts. Informative here: the event id already commits to it
   * through the terms hash. Same bounds as the oracle's terms.
   */
  title: z.string().min(1).max(200).optional(),
  description: z.string().min(1).max(4000).optional(),
  acceptanceCriteria: z.array(z.string().min(1).max(500)).min(1).max(30).optional(),
});
export type MilestoneTerms = z.output<typeof milestoneTermsSchema>;
export type MilestoneTermsInput = z.input<typeof milestoneTermsSchema>;

/** The stored JSON form. */
export function termsToJson(t: MilestoneTerms): MilestoneTermsInput {
  const { offerCollateralSat, ...rest } = t;
  return {
    ...rest,
    amountSat: t.amountSat.toString(),
    feeRatePerVb: t.feeRatePerVb.toString(),
    ...(offerCollateralSat === undefined
      ? {}
      : { offerCollateralSat: offerCollateralSat.toString() }),
  };
}

/**
 * The milestone as a person reads it: its title, the deliverable and the acceptance criteria
 * (numbered from 1), or nothing when the terms file carries none of them.
 */
export function describeMilestone(t: MilestoneTerms): string[] {
  const lines: string[] = [];
  if (t.title !== undefined) lines.push(`milestone: ${t.title}`);
  if (t.description !== undefined) lines.push(`deliverable: ${t.description}`);
  if (t.acceptanceCriteria !== undefined) {
    lines.push('acceptance criteria:');
    t.acceptanceCriteria.forEach((c, i) => lines.push(`  ${i + 1}. ${c}`));
  }
  return lines;
}

/** The offerer's collateral: the whole amount if it is the funding client, 0 if the freelancer. */
export function offerCollateralOf(t: MilestoneTerms): bigint {
  if (t.funding === 'dual') {
    if (t.offerCollateralSat === undefined || t.offerCollateralSat > t.amountSat) {
      throw new RangeError('dual funding needs offerCollateralSat ≤ amountSat');
    }
    return t.offerCollateralSat;
  }
  return t.offererRole === 'client' ? t.amountSat : 0n;
}

/** The milestone's payouts from the offerer's side. */
export function milestoneDescriptor(t: MilestoneTerms) {
  const offerIsClient = t.offererRole === 'client';
  return t.outcome === 'enum'
    ? milestoneEnumDescriptor(t.amountSat, offerIsClient)
    : shareContractDescriptor(t.amountSat, offerIsClient);
}

/** The `contract_info` of the milestone on this announcement. */
export function milestoneContractInfo(
  t: MilestoneTerms,
  announcement: OracleAnnouncement,
): ContractInfo {
  return {
    kind: 'single',
    totalCollateral: t.amountSat,
    parts: [{ descriptor: milestoneDescriptor(t), oracleInfo: { kind: 'single', announcement } }],
  };
}

/** The expectations the protocol checks the counterparty's messages against. */
export function milestoneDlcTerms(t: MilestoneTerms, chainHash: Uint8Array): DlcTerms {
  return {
    chainHash,
    oraclePublicKey: hexToBytes(t.oraclePublicKey),
    eventId: t.eventId,
    convention: t.convention,
    descriptor: milestoneDescriptor(t),
    totalCollateral: t.amountSat,
    offerCollateral: offerCollateralOf(t),
    feeRatePerVb: t.feeRatePerVb,
    refundMarginSec: t.refundMarginSec,
  };
}
