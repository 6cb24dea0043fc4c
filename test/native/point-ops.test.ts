// src/native/point-ops.ts against the reference backend (noble), operation by operation,
// including the edge cases the scheme relies on: zero scalars, sums at infinity, invalid
// encodings, and points whose x is ≥ n (recovery ids 2/3 in the a·G + b·Q shortcut).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { numberToBytesBE } from '@noble/curves/utils.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { noblePointOps, type PointOps } from '../../src/crypto/ecdsa-adaptor.ts';
import { createNativePointOps, type NativePoint } from '../../src/native/point-ops.ts';
import { addon, skipNative } from './native-backend.ts';

const Point = secp256k1.Point;
const Fn = Point.Fn;
const Fp = Point.Fp;
const N = Fn.ORDER;
const G = Point.BASE;
type NoblePoint = InstanceType<typeof Point>;

const scalarArb = fc.bigInt({ min: 1n, max: N - 1n });
const publicScalarArb = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(0n, 1n, N - 1n) },
  { weight: 5, arbitrary: scalarArb },
);
const pointArb = scalarArb.map((k) => G.multiply(k));

/** A point with x ≥ n (there are about 2^127 of them): x = n + i for the first i that works. */
function pointWithHighX(): NoblePoint {
  for (let x = N; ; x++) {
    const bytes = new Uint8Array(33);
    bytes[0] = 2;
    bytes.set(numberToBytesBE(x, 32), 1);
    try {
      return Point.fromBytes(bytes);
    } catch {
      // x³ + 7 is not a square: next x
    }
  }
}

describe.skipIf(skipNative)('native PointOps = noble PointOps', () => {
  let ops: PointOps<NativePoint>;
  beforeAll(() => {
    ops = createNativePointOps(addon()); // fails the suite when the addon is missing
  });
  const toNative = (p: NoblePoint): NativePoint => ops.decode(p.toBytes(true))!;
  /** The result as 33 bytes, or 'infinity', for comparing the two backends. */
  const nativeOut = (p: NativePoint): Uint8Array | 'infinity' =>
    ops.isInfinity(p) ? 'infinity' : ops.encode(p);
  const nobleOut = (p: NoblePoint): Uint8Array | 'infinity' =>
    p.is0() ? 'infinity' : p.toBytes(true);

  it('decode/encode/x/equals agree, and invalid encodings are rejected alike', () => {
    fc.assert(
      fc.property(pointArb, pointArb, (p, q) => {
        const a = toNative(p);
        expect(ops.encode(a)).toEqual(p.toBytes(true));
        expect(ops.x(a)).toBe(p.x);
        expect(ops.equals(a, toNative(q))).toBe(p.equals(q));
        expect(ops.equals(a, toNative(p))).toBe(true);
      }),
      { numRuns: 30 },
    );
    const pEnc = numberToBytesBE(Fp.ORDER, 32);
    const invalid = [
      Uint8Array.of(2, ...pEnc), // x = p
      Uint8Array.of(2, ...new Uint8Array(32).fill(0xff)), // x > p
      Uint8Array.of(2, ...numberToBytesBE(5n, 32)), // 5³ + 7 = 132 is not a square mod p
      Uint8Array.of(4, ...G.toBytes(true).subarray(1)), // wrong prefix
      G.toBytes(false), // 65 bytes
      new Uint8Array(33),
    ];
    for (const bytes of invalid) {
      expect(noblePointOps.decode(bytes)).toBeUndefined();
      expect(ops.decode(bytes)).toBeUndefined();
    }
  });

  it('mulBaseSecret and mulSecret agree', () => {
    fc.assert(
      fc.property(pointArb, scalarArb, (p, k) => {
        expect(nativeOut(ops.mulBaseSecret(k))).toEqual(nobleOut(G.multiply(k)));
        expect(nativeOut(ops.mulSecret(toNative(p), k))).toEqual(nobleOut(p.multiply(k)));
      }),
      { numRuns: 30 },
    );
  });

  it('mulBaseAddPublic (a·G + b·Q) agrees, zero scalars included', () => {
    fc.assert(
      fc.property(publicScalarArb, publicScalarArb, pointArb, (a, b, q) => {
        expect(nativeOut(ops.mulBaseAddPublic(a, b, toNative(q)))).toEqual(
          nobleOut(noblePointOps.mulBaseAddPublic(a, b, q)),
        );
      }),
      { numRuns: 60 },
    );
    expect(ops.isInfinity(ops.mulBaseAddPublic(0n, 0n, toNative(G)))).toBe(true);
  });

  it('mulBaseAddPublic gives infinity when a·G = −b·Q', () => {
    fc.assert(
      fc.property(scalarArb, scalarArb, (q, b) => {
        // Q = q·G, a = −b·q: a·G + b·Q = 0
        const a = Fn.neg(Fn.mul(b, q));
        expect(ops.isInfinity(ops.mulBaseAddPublic(a, b, toNative(G.multiply(q))))).toBe(true);
      }),
      { numRuns: 10 },
    );
  });

  it('mulBaseAddPublic handles Q.x ≥ n (recovery ids 2 and 3) and both y parities', () => {
    const high = pointWithHighX();
    expect(high.x >= N).toBe(true);
    for (const q of [high, high.negate()]) {
      for (const [a, b] of [
        [3n, 5n],
        [N - 1n, 2n],
        [0n, 7n],
        [7n, 0n],
      ] as const) {
        expect(nativeOut(ops.mulBaseAddPublic(a, b, toNative(q)))).toEqual(
          nobleOut(noblePointOps.mulBaseAddPublic(a, b, q)),
        );
      }
    }
  });

  it('mulAddPublic (a·P + b·Q) agrees, zero scalars and a sum at infinity included', () => {
    fc.assert(
      fc.property(publicScalarArb, pointArb, publicScalarArb, pointArb, (a, p, b, q) => {
        expect(nativeOut(ops.mulAddPublic(a, toNative(p), b, toNative(q)))).toEqual(
          nobleOut(noblePointOps.mulAddPublic(a, p, b, q)),
        );
      }),
      { numRuns: 40 },
    );
    fc.assert(
      fc.property(pointArb, scalarArb, (p, a) => {
        const P = toNative(p);
        expect(ops.isInfinity(ops.mulAddPublic(a, P, Fn.neg(a), P))).toBe(true);
        // a·P + a·P: the addition doubles
        expect(nativeOut(ops.mulAddPublic(a, P, a, P))).toEqual(nobleOut(p.multiply(Fn.add(a, a))));
      }),
      { numRuns: 10 },
    );
  });
});
