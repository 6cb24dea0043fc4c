/**
 * Rounding intervals of a numeric contract (dlcspecs NumericOutcome.md "Rounding Intervals";
 * DLC-NOTES.md §5; rust-dlc `dlc-manager/src/payout_curve.rs` `RoundingIntervals`).
 */

/** One `rounding_interval`: from outcome `beginInterval` on, payouts round to `roundingMod`. */
export type RoundingInterval = { beginInterval: bigint; roundingMod: bigint };

/** `rounding_intervals`: begins strictly increasing, the first one 0. */
export type RoundingIntervals = readonly RoundingInterval[];

/** Rounding intervals that the spec (or rust-dlc, which the vectors come from) rejects. */
export class InvalidRoundingIntervalsError extends Error {
  readonly code = 'invalid_rounding_intervals';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRoundingIntervalsError';
  }
}

const U64_MAX = (1n << 64n) - 1n;

/**
 * Checks `rounding_intervals` as rust-dlc `RoundingIntervals::validate` does: non-empty, the
 * first `begin_interval` is 0, begins strictly increase; plus every value is a u64 and every
 * `rounding_mod` is at least 1 (a modulus of 0 has no meaning).
 */
export function validateRoundingIntervals(intervals: RoundingIntervals): void {
  const first = intervals[0];
  if (first === undefined) throw new InvalidRoundingIntervalsError('rounding intervals are empty');
  if (first.beginInterval !== 0n) {
    throw new InvalidRoundingIntervalsError('the first rounding interval must begin at 0');
  }
  let previous: bigint | undefined;
  for (const { beginInterval, roundingMod } of intervals) {
    if (beginInterval < 0n || beginInterval > U64_MAX) {
      throw new InvalidRoundingIntervalsError(`begin_interval ${beginInterval} is not a u64`);
    }
    if (roundingMod < 1n || roundingMod > U64_MAX) {
      throw new InvalidRoundingIntervalsError(`rounding_mod ${roundingMod} must be a u64 ≥ 1`);
    }
    if (previous !== undefined && beginInterval <= previous) {
      throw new InvalidRoundingIntervalsError('begin_interval values must strictly increase');
    }
    previous = beginInterval;
  }
}

/**
 * The rounding modulus in force at `outcome`: that of the last interval beginning at or before
 * it; 1 (no rounding) before the first interval (NumericOutcome.md).
 */
export function roundingModAt(intervals: RoundingIntervals, outcome: bigint): bigint {
  let mod = 1n;
  for (const interval of intervals) {
    if (interval.beginInterval > outcome) break;
    mod = interval.roundingMod;
  }
  return mod;
}

/** Rust's `f64::round`: half away from zero (JS `Math.round` rounds half up). */
function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * Rounds an f64 payout to a multiple of `roundingMod` the way rust-dlc does (and so the way the
 * spec's vectors were made): `m = payout mod R`; `payout − m + R` if `m ≥ R/2`, else `payout − m`;
 * then clamp to `[0, totalCollateral]` (dlcspecs #207; DLC-NOTES.md §5).
 */
export function roundPayout(payout: number, roundingMod: bigint, totalCollateral: bigint): bigint {
  const r = Number(roundingMod);
  const m = payout >= 0 ? payout % r : (payout % r) + r;
  const rounded = roundHalfAwayFromZero(m >= r / 2 ? payout + r - m : payout - m);
  // Rust's saturating `as u64`, then the clamp to the collateral.
  if (!(rounded > 0)) return 0n;
  if (!Number.isFinite(rounded)) return totalCollateral;
  const asInt = BigInt(rounded);
  return asInt > totalCollateral ? totalCollateral : asInt;
}

/**
 * Exact integer version of {@link roundPayout} for a payout already known as an integer (half
 * rounds up, then clamp). Used where Verdict computes payouts exactly instead of in f64.
 */
export function roundPayoutExact(
  payout: bigint,
  roundingMod: bigint,
  totalCollateral: bigint,
): bigint {
  if (roundingMod < 1n) throw new RangeError('roundingMod must be ≥ 1');
  let m = payout % roundingMod;
  if (m < 0n) m += roundingMod;
  const rounded = 2n * m >= roundingMod ? payout - m + roundingMod : payout - m;
  if (rounded < 0n) return 0n;
  return rounded > totalCollateral ? totalCollateral : rounded;
}
