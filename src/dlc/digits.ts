/**
 * Numeric outcomes of digit-decomposition events (dlcspecs Oracle.md "Digit Decomposition",
 * DLC-NOTES.md §2.5). A value is the composed digit integer (the contract's outcome domain); the
 * event's `precision` only scales it for display (value × base^precision).
 */
import type { EventDescriptor } from './oracle-types.ts';

export type DigitsDescriptor = Extract<EventDescriptor, { kind: 'digits' }>;

/** The largest value the digits can express: `base^nbDigits − 1`. */
export function maxDigitValue(d: DigitsDescriptor): bigint {
  return BigInt(d.base) ** BigInt(d.nbDigits) - 1n;
}

/**
 * The outcome strings an oracle signs for `value`, one per nonce: the sign ("+" for ≥ 0, "-" for
 * negative) first when the event is signed, then `nbDigits` digits most significant first, each
 * the decimal string of the digit ("0" … "base−1").
 *
 * Clamping (dlcspecs Oracle.md): a value above the maximum is signed as all digits `base−1`; a
 * negative value on an unsigned event as all zeros; below −max on a signed event as "-" and all
 * digits `base−1`. The extremes therefore mean "this or beyond".
 */
export function valueToOutcomes(d: DigitsDescriptor, value: bigint): string[] {
  assertDigitsDescriptor(d);
  const max = maxDigitValue(d);
  const negative = d.isSigned && value < 0n;
  let magnitude = negative ? -value : value;
  if (magnitude < 0n) magnitude = 0n; // unsigned event, negative value: clamp to 0
  if (magnitude > max) magnitude = max; // clamp to the extreme representable value
  const base = BigInt(d.base);
  const digits: string[] = new Array<string>(d.nbDigits);
  for (let i = d.nbDigits - 1; i >= 0; i--) {
    digits[i] = (magnitude % base).toString(10);
    magnitude /= base;
  }
  return d.isSigned ? [negative ? '-' : '+', ...digits] : digits;
}

/**
 * The value composed from attested outcome strings. @throws RangeError if a string is not a
 * valid outcome at its position (see {@link isOutcomeAtPosition}) or the count is wrong.
 */
export function outcomesToValue(d: DigitsDescriptor, outcomes: readonly string[]): bigint {
  assertDigitsDescriptor(d);
  const expected = d.nbDigits + (d.isSigned ? 1 : 0);
  if (outcomes.length !== expected) {
    throw new RangeError(`expected ${expected} outcome strings, got ${outcomes.length}`);
  }
  const base = BigInt(d.base);
  let value = 0n;
  outcomes.forEach((o, i) => {
    if (!isOutcomeAtPosition(d, i, o))
      throw new RangeError(`invalid outcome "${o}" at position ${i}`);
    if (!(d.isSigned && i === 0)) value = value * base + BigInt(o);
  });
  return d.isSigned && outcomes[0] === '-' ? -value : value;
}

/** The outcome strings allowed at nonce position `position`: "+"/"-" for a sign nonce, else "0" … "base−1". */
export function outcomesAtPosition(d: DigitsDescriptor, position: number): string[] {
  if (d.isSigned && position === 0) return ['+', '-'];
  return Array.from({ length: d.base }, (_, j) => j.toString(10));
}

/** Whether `outcome` is a canonical outcome string at `position` (no leading zeros, no "+1"). */
export function isOutcomeAtPosition(
  d: DigitsDescriptor,
  position: number,
  outcome: string,
): boolean {
  const count = d.nbDigits + (d.isSigned ? 1 : 0);
  if (!Number.isInteger(position) || position < 0 || position >= count) return false;
  if (d.isSigned && position === 0) return outcome === '+' || outcome === '-';
  if (!/^(0|[1-9][0-9]*)$/.test(outcome)) return false;
  return Number(outcome) < d.base;
}

/**
 * @throws RangeError unless base is an integer in [2, 65535] (u16 on the wire), nbDigits in
 * [1, 65535] and precision an int32.
 */
export function assertDigitsDescriptor(d: DigitsDescriptor): void {
  if (!Number.isInteger(d.base) || d.base < 2 || d.base > 0xffff)
    throw new RangeError(`invalid base ${d.base}`);
  if (!Number.isInteger(d.nbDigits) || d.nbDigits < 1 || d.nbDigits > 0xffff) {
    throw new RangeError(`invalid nbDigits ${d.nbDigits}`);
  }
  if (!Number.isInteger(d.precision) || d.precision < -0x80000000 || d.precision > 0x7fffffff) {
    throw new RangeError(`invalid precision ${d.precision}`);
  }
}
