import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  addPoints,
  CURVE_ORDER,
  decodePoint,
  encodePoint,
  encodeXOnly,
  liftX,
  modN,
  mulBase,
  scalarToBytes,
  sumScalars,
} from '../../src/crypto/secp.ts';

const GX = '79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798';

describe('secp helpers', () => {
  it('lift_x gives the even-y point', () => {
    const P = liftX(hexToBytes(GX));
    expect(bytesToHex(encodePoint(P))).toBe(`02${GX}`);
    // −G has the same x and odd y: lift_x still returns G
    expect(bytesToHex(encodePoint(mulBase(CURVE_ORDER - 1n)))).toBe(`03${GX}`);
    expect(bytesToHex(encodeXOnly(mulBase(CURVE_ORDER - 1n)))).toBe(GX);
  });

  it.each([
    ['31 bytes', new Uint8Array(31)],
    ['x = 0 … not on the curve', new Uint8Array(32)],
    ['x ≥ p', hexToBytes('fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc30')],
  ])('lift_x rejects %s with RangeError', (_n, x) => {
    expect(() => liftX(x)).toThrow(RangeError);
  });

  it('decodes and encodes compressed points; rejects bad ones', () => {
    expect(decodePoint(hexToBytes(`03${GX}`)).equals(mulBase(CURVE_ORDER - 1n))).toBe(true);
    expect(() => decodePoint(hexToBytes(`04${GX}`))).toThrow(RangeError);
    expect(() => decodePoint(hexToBytes(GX))).toThrow(RangeError);
  });

  it('point and scalar sums agree', () => {
    const a = 123456789n;
    const b = CURVE_ORDER - 5n;
    expect(addPoints([mulBase(a), mulBase(b)]).equals(mulBase(modN(a + b)))).toBe(true);
    expect(sumScalars([scalarToBytes(a), scalarToBytes(b)])).toEqual(scalarToBytes(modN(a + b)));
    expect(() => encodePoint(addPoints([]))).toThrow(RangeError);
    expect(() => scalarToBytes(CURVE_ORDER)).toThrow(RangeError);
  });
});
