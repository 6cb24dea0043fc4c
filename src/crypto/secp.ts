/**
 * Small secp256k1 helpers on @noble/curves shared by the oracle and adaptor-signature code:
 * BIP340 `lift_x`, compressed point encoding, point sums and scalar arithmetic mod n.
 * Points are noble's `Point` objects; bytes cross this boundary as 32-byte x-only keys or
 * 33-byte compressed points.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';

const Point = secp256k1.Point;

/** A secp256k1 point (noble's projective point). */
export type SecpPoint = InstanceType<typeof Point>;

/** The group order n. */
export const CURVE_ORDER: bigint = Point.Fn.ORDER;

/** The generator G. */
export const G: SecpPoint = Point.BASE;

/**
 * BIP340 `lift_x(x)`: the point with x-coordinate `x` and even y.
 * @throws RangeError if `x` is not 32 bytes or not the x-coordinate of a curve point.
 */
export function liftX(x: Uint8Array): SecpPoint {
  if (x.length !== 32) throw new RangeError(`x-only key must be 32 bytes, got ${x.length}`);
  try {
    // BIP340: "Fail if x ≥ p … Return the unique point P such that x(P) = x and y(P) even."
    return Point.fromBytes(Uint8Array.of(0x02, ...x));
  } catch {
    throw new RangeError('not the x-coordinate of a secp256k1 point');
  }
}

/** Parses a 33-byte compressed point. @throws RangeError if invalid. */
export function decodePoint(compressed: Uint8Array): SecpPoint {
  if (compressed.length !== 33) {
    throw new RangeError(`compressed point must be 33 bytes, got ${compressed.length}`);
  }
  try {
    return Point.fromBytes(compressed);
  } catch {
    throw new RangeError('invalid compressed secp256k1 point');
  }
}

/** 33-byte compressed encoding. @throws RangeError for the point at infinity. */
export function encodePoint(point: SecpPoint): Uint8Array {
  if (point.is0()) throw new RangeError('the point at infinity has no encoding');
  return point.toBytes(true);
}

/** 32-byte x-only (BIP340) encoding of a point. */
export function encodeXOnly(point: SecpPoint): Uint8Array {
  return encodePoint(point).slice(1);
}

/** Σ points (the point at infinity for an empty list). */
export function addPoints(points: readonly SecpPoint[]): SecpPoint {
  let sum = Point.ZERO;
  for (const p of points) sum = sum.add(p);
  return sum;
}

/** `k·G` for a scalar 0 < k < n. */
export function mulBase(k: bigint): SecpPoint {
  return G.multiply(k);
}

/** Big-endian integer of up to 32 bytes (no reduction). */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytesToNumberBE(bytes);
}

/** A scalar in [0, n) as 32 big-endian bytes. */
export function scalarToBytes(k: bigint): Uint8Array {
  if (k < 0n || k >= CURVE_ORDER) throw new RangeError('scalar out of range [0, n)');
  return numberToBytesBE(k, 32);
}

/** `x mod n`, always non-negative. */
export function modN(x: bigint): bigint {
  return Point.Fn.create(x);
}

/** Σ scalars mod n (each a 32-byte big-endian value). */
export function sumScalars(scalars: readonly Uint8Array[]): Uint8Array {
  let sum = 0n;
  for (const s of scalars) sum = modN(sum + bytesToNumberBE(s));
  return scalarToBytes(sum);
}
