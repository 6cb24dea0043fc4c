/**
 * Attestation (adaptor) points computed from public data only (DLC-NOTES.md §4): for oracle key
 * `P` and nonce `R` (both x-only, lifted to even y) and an outcome string `o`,
 * `S(o) = R + e·P` with `e = hash_BIP0340/challenge(R.x ‖ P.x ‖ m(o))`, so that the oracle's
 * signature `(R.x, s)` on `o` satisfies `s·G = S(o)`.
 */
import type { OracleAnnouncement } from '../dlc/oracle-types.ts';
import { outcomeStrings } from '../dlc/attestation.ts';
import { outcomesAtPosition } from '../dlc/digits.ts';
import { bip340Challenge } from './bip340.ts';
import { attestationMessage } from './hash.ts';
import type { HashConvention } from './hash.ts';
import { addPoints, encodePoint, liftX } from './secp.ts';
import type { SecpPoint } from './secp.ts';

function pointOf(
  P: SecpPoint,
  pX: Uint8Array,
  R: SecpPoint,
  rX: Uint8Array,
  outcome: string,
  convention: HashConvention,
): SecpPoint {
  const e = bip340Challenge(rX, pX, attestationMessage(outcome, convention));
  // Public data only (no secret scalar): the variable-time multiplication is safe here.
  return e === 0n ? R : R.add(P.multiplyUnsafe(e));
}

/**
 * The 33-byte compressed point `lift_x(nonceX) + e·lift_x(oraclePubX)` for one outcome string.
 * @throws RangeError if a key or nonce is not a valid x-only point.
 */
export function attestationPoint(
  oraclePubX: Uint8Array,
  nonceX: Uint8Array,
  outcome: string,
  convention: HashConvention,
): Uint8Array {
  return encodePoint(
    pointOf(liftX(oraclePubX), oraclePubX, liftX(nonceX), nonceX, outcome, convention),
  );
}

/**
 * Per-position, per-digit points of a digit-decomposition event, computed once per event
 * (NumericOutcomeCompression.md "Pre-computing"): `points[i][j]` is the point of position `i`
 * (nonce `i`) attesting the `j`-th possible outcome there. For a digit position that is digit
 * `j` (the string `String(j)`); for the sign position of a signed event (position 0), `j = 0`
 * is "+" and `j = 1` is "-".
 */
export interface DigitPoints {
  readonly base: number;
  readonly isSigned: boolean;
  readonly points: readonly (readonly SecpPoint[])[];
}

/**
 * Precomputes {@link DigitPoints} for a digits event. @throws TypeError for an enum event,
 * RangeError for an invalid key or nonce.
 */
export function precomputeDigitPoints(
  announcement: OracleAnnouncement,
  convention: HashConvention,
): DigitPoints {
  const d = announcement.event.descriptor;
  if (d.kind !== 'digits')
    throw new TypeError('digit points exist only for digit-decomposition events');
  const pX = announcement.oraclePublicKey;
  // One key, many multiplications: a small window table pays for itself.
  const P = liftX(pX).precompute(4, false);
  const points = announcement.event.nonces.map((rX, i) => {
    const R = liftX(rX);
    return outcomesAtPosition(d, i).map((o) => pointOf(P, pX, R, rX, o, convention));
  });
  return { base: d.base, isSigned: d.isSigned, points };
}

/**
 * The adaptor point of a digit prefix: `Σ_{i<k} points[i][prefix[i]]`, 33 bytes compressed. The
 * prefix indexes positions from the first nonce, so for a signed event `prefix[0]` is the sign
 * (0 = "+", 1 = "-") and the digits follow; positions after the prefix are free.
 * @throws RangeError for an empty or too long prefix or an out-of-range digit.
 */
export function prefixPoint(points: DigitPoints, prefix: readonly number[]): Uint8Array {
  if (prefix.length === 0 || prefix.length > points.points.length) {
    throw new RangeError(`prefix length must be 1..${points.points.length}`);
  }
  const terms = prefix.map((j, i) => {
    const p = points.points[i]?.[j];
    if (p === undefined) throw new RangeError(`digit ${j} out of range at position ${i}`);
    return p;
  });
  return encodePoint(addPoints(terms));
}

/**
 * The adaptor point of a complete outcome from the announcement alone: the enum outcome's point,
 * or for a digits event the sum over every position of the value's outcome strings (clamped as
 * when attesting).
 * @throws OutcomeNotInEventError for an enum outcome not in the event; TypeError for a wrong kind.
 */
export function outcomePoint(
  announcement: OracleAnnouncement,
  outcome: string | bigint,
  convention: HashConvention,
): Uint8Array {
  const strings = outcomeStrings(announcement, outcome);
  const pX = announcement.oraclePublicKey;
  const P = liftX(pX);
  const terms = strings.map((o, i) => {
    const rX = announcement.event.nonces[i];
    if (rX === undefined) throw new RangeError('announcement has too few nonces');
    return pointOf(P, pX, liftX(rX), rX, o, convention);
  });
  return encodePoint(addPoints(terms));
}
