/**
 * Verdict's milestone contracts (DESIGN.md "Events and outcomes"):
 *
 * - **share**: a numeric event, base 2, 7 digits, unsigned, attesting the percentage 0..100 of
 *   the milestone amount owed to the freelancer (values 101..127 are never attested and pay as
 *   100). The rest returns to the client.
 * - **enum**: outcomes `accepted` (the freelancer gets everything) and `rejected` (the client
 *   gets everything).
 *
 * Rounding rule (share): the freelancer receives `floor(amountSat × share / 100)` sat, the client
 * `amountSat − that`, so both sides are whole satoshis, they always sum to the amount, and the
 * sub-satoshi remainder stays with the client (who funded the milestone).
 *
 * The payout function is built so that every implementation's f64 evaluation (rust-dlc's in
 * particular) lands exactly on those integers: Lagrange interpolation evaluated *at one of its
 * points* is exact in floating point (every other basis term has a factor `x − x_j = 0`), so the
 * 0..100 piece has a point at every share — unless the payouts are exactly linear and
 * non-decreasing, where a 2-point line is exact too. A 2-point *decreasing* line is never used:
 * rust-dlc computes its slope with a u64 subtraction that underflows.
 */
import { cetsForNumeric, type NumericCetPrefix } from './cet-compression.ts';
import {
  numericRangePayouts,
  validateNumericDescriptor,
  type EnumContractDescriptor,
  type NumericContractDescriptor,
} from './contract-descriptor.ts';
import type { PayoutPoint, RangePayout } from './payout-curve.ts';

/** The share event's digit layout (DESIGN.md): base 2, 7 digits, so outcomes 0..127. */
export const SHARE_EVENT_BASE = 2;
export const SHARE_EVENT_NB_DIGITS = 7;
/** The largest share ever attested; larger outcomes pay as this one. */
export const MAX_SHARE = 100;
/** The enum milestone event's outcomes, in CET order. */
export const MILESTONE_ENUM_OUTCOMES = ['accepted', 'rejected'] as const;

const SHARE_OUTCOME_COUNT = SHARE_EVENT_BASE ** SHARE_EVENT_NB_DIGITS; // 128
/** Bitcoin's money supply cap in sat; keeps every payout below 2^53, exact in f64. */
const MAX_MONEY_SAT = 21_000_000n * 100_000_000n;

function checkAmount(amountSat: bigint): void {
  if (amountSat < 1n || amountSat > MAX_MONEY_SAT) {
    throw new RangeError(`milestone amount ${amountSat} sat is outside [1, ${MAX_MONEY_SAT}]`);
  }
}

/** The freelancer's payout for an attested share: `floor(amountSat × min(share, 100) / 100)`. */
export function freelancerPayoutForShare(amountSat: bigint, share: number): bigint {
  checkAmount(amountSat);
  if (!Number.isInteger(share) || share < 0 || share >= SHARE_OUTCOME_COUNT) {
    throw new RangeError(
      `share ${share} is not an outcome of the share event (0..${SHARE_OUTCOME_COUNT - 1})`,
    );
  }
  return (amountSat * BigInt(Math.min(share, MAX_SHARE))) / 100n;
}

/** One row of the share contract's payout table. */
export type SharePayout = { share: number; freelancerPayoutSat: bigint; clientPayoutSat: bigint };

/** The payout of every outcome 0..127 of the share event, exactly (bigint). */
export function sharePayoutTable(amountSat: bigint): SharePayout[] {
  return Array.from({ length: SHARE_OUTCOME_COUNT }, (_, share) => {
    const freelancerPayoutSat = freelancerPayoutForShare(amountSat, share);
    return { share, freelancerPayoutSat, clientPayoutSat: amountSat - freelancerPayoutSat };
  });
}

/** The offerer's payout for each share 0..127. */
function offerPayouts(amountSat: bigint, offerIsClient: boolean): bigint[] {
  return sharePayoutTable(amountSat).map((row) =>
    offerIsClient ? row.clientPayoutSat : row.freelancerPayoutSat,
  );
}

const pt = (share: number, payout: bigint): PayoutPoint => ({
  eventOutcome: BigInt(share),
  outcomePayout: payout,
  extraPrecision: 0,
});

/**
 * The numeric contract descriptor of a share milestone, from the offerer's side (total
 * collateral = `amountSat`). Pieces: 0..100 as described in the module comment, then a flat
 * piece 100..127 at the share-100 payout. Rounding modulus 1 (no rounding).
 */
export function shareContractDescriptor(
  amountSat: bigint,
  offerIsClient: boolean,
): NumericContractDescriptor {
  const payouts = offerPayouts(amountSat, offerIsClient);
  const p = (share: number): bigint => payouts[share]!;
  const step = p(1) - p(0);
  const linear =
    step >= 0n && payouts.slice(0, MAX_SHARE + 1).every((v, s) => v === p(0) + step * BigInt(s));
  const shares = linear ? [0, MAX_SHARE] : Array.from({ length: MAX_SHARE + 1 }, (_, s) => s);
  const maxOutcome = SHARE_OUTCOME_COUNT - 1;
  const descriptor: NumericContractDescriptor = {
    kind: 'numeric',
    nbDigits: SHARE_EVENT_NB_DIGITS,
    payoutFunction: {
      payoutFunctionPieces: [
        { kind: 'polynomial', payoutPoints: shares.map((s) => pt(s, p(s))) },
        {
          kind: 'polynomial',
          payoutPoints: [pt(MAX_SHARE, p(MAX_SHARE)), pt(maxOutcome, p(maxOutcome))],
        },
      ],
    },
    roundingIntervals: [{ beginInterval: 0n, roundingMod: 1n }],
  };
  validateNumericDescriptor(descriptor, SHARE_EVENT_BASE, amountSat);
  return descriptor;
}

/** The range payouts of the exact payout table: consecutive shares with equal payouts merged. */
export function shareRangePayoutsExact(amountSat: bigint, offerIsClient: boolean): RangePayout[] {
  const ranges: RangePayout[] = [];
  offerPayouts(amountSat, offerIsClient).forEach((offerPayout, share) => {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last.offerPayout === offerPayout) last.count += 1n;
    else ranges.push({ start: BigInt(share), count: 1n, offerPayout });
  });
  return ranges;
}

/** The descriptor of a share milestone with its CETs: one per range payout, and the digit prefixes in signing order. */
export type ShareContract = {
  descriptor: NumericContractDescriptor;
  totalCollateral: bigint;
  ranges: RangePayout[];
  prefixes: NumericCetPrefix[];
};

/**
 * The share milestone's descriptor, range payouts and CET prefixes. The ranges are computed from
 * the descriptor the way a counterparty computes them (f64 walk, DLC-NOTES.md §5) and checked
 * against the exact table before being returned.
 */
export function shareContract(amountSat: bigint, offerIsClient: boolean): ShareContract {
  const descriptor = shareContractDescriptor(amountSat, offerIsClient);
  const ranges = numericRangePayouts(descriptor, amountSat);
  const exact = shareRangePayoutsExact(amountSat, offerIsClient);
  const same =
    ranges.length === exact.length &&
    ranges.every(
      (r, i) =>
        r.start === exact[i]!.start &&
        r.count === exact[i]!.count &&
        r.offerPayout === exact[i]!.offerPayout,
    );
  if (!same)
    throw new Error(
      `share contract for ${amountSat} sat: evaluated payouts differ from the exact table`,
    );
  return {
    descriptor,
    totalCollateral: amountSat,
    ranges,
    prefixes: cetsForNumeric(ranges, SHARE_EVENT_BASE, SHARE_EVENT_NB_DIGITS),
  };
}

/**
 * The enum milestone's descriptor from the offerer's side: `accepted` pays the freelancer the
 * whole amount, `rejected` returns it to the client.
 */
export function milestoneEnumDescriptor(
  amountSat: bigint,
  offerIsClient: boolean,
): EnumContractDescriptor {
  checkAmount(amountSat);
  const freelancer = { accepted: amountSat, rejected: 0n };
  return {
    kind: 'enum',
    payouts: MILESTONE_ENUM_OUTCOMES.map((outcome) => ({
      outcome,
      offerPayout: offerIsClient ? amountSat - freelancer[outcome] : freelancer[outcome],
    })),
  };
}
