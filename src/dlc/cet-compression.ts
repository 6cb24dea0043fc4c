/**
 * CET compression of numeric contracts: one CET per range payout, each range covered by the
 * minimal list of digit prefixes (dlcspecs NumericOutcomeCompression.md; DLC-NOTES.md §6).
 *
 * The CETs are built from contiguous range payouts, so every outcome is matched by exactly one
 * prefix whatever the rounding: unlike a calculator that jumps from rounding step to rounding
 * step, nothing here depends on how fast the payout changes per outcome.
 */
import { coverInterval, outcomeCount } from './digit-decomposition.ts';
import type { RangePayout } from './payout-curve.ts';

/** One digit prefix of a numeric contract, with the CET it unlocks. */
export type NumericCetPrefix = { cetIndex: number; prefix: number[]; offerPayout: bigint };

/**
 * Checks that range payouts are non-empty and contiguous and cover exactly the outcomes
 * `0 .. base^nbDigits − 1`.
 */
export function checkRangesCoverOutcomes(
  ranges: readonly RangePayout[],
  base: number,
  nbDigits: number,
): void {
  const total = outcomeCount(base, nbDigits);
  let next = 0n;
  ranges.forEach((r, i) => {
    if (r.count < 1n) throw new RangeError(`range payout ${i} is empty`);
    if (r.start !== next)
      throw new RangeError(`range payout ${i} starts at ${r.start}, expected ${next}`);
    next = r.start + r.count;
  });
  if (next !== total) {
    throw new RangeError(
      `range payouts cover outcomes up to ${next - 1n}, expected up to ${total - 1n}`,
    );
  }
}

/**
 * The digit prefixes of a numeric contract in the order in which adaptor signatures are
 * exchanged (DLC-NOTES.md §6): ranges in order (CET index = range index), and within a range the
 * prefixes of `coverInterval(start, end)` in cover order. The ranges must cover every outcome
 * exactly once ({@link checkRangesCoverOutcomes}); use {@link padRangePayouts} first for a
 * function that does not span the whole outcome space.
 */
export function cetsForNumeric(
  ranges: readonly RangePayout[],
  base: number,
  nbDigits: number,
): NumericCetPrefix[] {
  checkRangesCoverOutcomes(ranges, base, nbDigits);
  const out: NumericCetPrefix[] = [];
  ranges.forEach((r, cetIndex) => {
    for (const prefix of coverInterval(r.start, r.start + r.count - 1n, base, nbDigits)) {
      out.push({ cetIndex, prefix, offerPayout: r.offerPayout });
    }
  });
  return out;
}

/**
 * Extends the first range down to outcome 0 and clips or extends the last one to end at
 * `base^nbDigits − 1` (rust-dlc `dlc-trie` `pad_range_payouts`), for payout functions whose
 * domain does not match the oracle's outcome space exactly.
 */
export function padRangePayouts(
  ranges: readonly RangePayout[],
  base: number,
  nbDigits: number,
): RangePayout[] {
  const maxOutcome = outcomeCount(base, nbDigits) - 1n;
  const out = ranges.map((r) => ({ ...r }));
  const first = out[0];
  const last = out[out.length - 1];
  if (first === undefined || last === undefined) throw new RangeError('no range payouts to pad');
  if (first.start !== 0n) {
    first.count += first.start;
    first.start = 0n;
  }
  last.count = maxOutcome - last.start + 1n;
  return out;
}
