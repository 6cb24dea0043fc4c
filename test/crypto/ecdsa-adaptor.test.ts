// Laws and edge cases of src/crypto/ecdsa-adaptor.ts (the spec vectors are in
// ecdsa-adaptor.vectors.test.ts). Pure-JS EC is slow: numRuns are kept modest.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE, concatBytes, hexToBytes, numberToBytesBE } from '@noble/curves/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  __TEST,
  ADAPTOR_SIGNATURE_LENGTH,
  adaptorDecrypt,
  adaptorEncrypt,
  adaptorRecover,
  adaptorVerify,
  InvalidAdaptorSignatureError,
  parseAdaptorSignature,
  serializeAdaptorSignature,
  createEcdsaAdaptor,
  noblePointOps,
  type InvalidAdaptorSignatureReason,
  type PointOps,
} from '../../src/crypto/ecdsa-adaptor.ts';
import { loadVectorEntries } from '../helpers/vectors.ts';

const N = secp256k1.Point.Fn.ORDER;
const G = secp256k1.Point.BASE;
const be32 = (v: bigint): Uint8Array => numberToBytesBE(v, 32);
const pub = (secret: Uint8Array): Uint8Array => secp256k1.getPublicKey(secret, true);

/** A secret scalar in [1, n) as 32 bytes. */
const secretArb = fc.bigInt({ min: 1n, max: N - 1n }).map(be32);
const bytes32Arb = fc.uint8Array({ minLength: 32, maxLength: 32 });

interface Case {
  x: Uint8Array;
  X: Uint8Array;
  y: Uint8Array;
  Y: Uint8Array;
  msg: Uint8Array;
  sig: Uint8Array;
}
const caseArb: fc.Arbitrary<Case> = fc
  .record({ x: secretArb, y: secretArb, msg: bytes32Arb, aux: bytes32Arb })
  .map(({ x, y, msg, aux }) => {
    const Y = pub(y);
    return { x, X: pub(x), y, Y, msg, sig: adaptorEncrypt(x, Y, msg, aux) };
  });

/** The fixed-nonce vector: a valid signature whose nonces (k = DLEQ nonce) we know. */
interface FixedNonceVector {
  id: string;
  seckey: string;
  public_signing_key: string;
  message_hash: string;
  encryption_key: string;
  decryption_key: string;
  nonce_k: string;
  dleq_nonce: string;
  adaptor_sig: string;
}
const fixed = (() => {
  const v = loadVectorEntries<FixedNonceVector>('ecdsa-adaptor-zkp', 'vectors')
    .map((x) => x.entry)
    .find((e) => e.id === 'derived-fixed-nonce-encrypt');
  if (!v) throw new Error('derived-fixed-nonce-encrypt vector missing');
  return {
    x: hexToBytes(v.seckey),
    X: hexToBytes(v.public_signing_key),
    msg: hexToBytes(v.message_hash),
    Y: hexToBytes(v.encryption_key),
    y: hexToBytes(v.decryption_key),
    k: bytesToNumberBE(hexToBytes(v.nonce_k)),
    sig: hexToBytes(v.adaptor_sig),
  };
})();

function withBytes(sig: Uint8Array, offset: number, bytes: ArrayLike<number>): Uint8Array {
  const out = sig.slice();
  out.set(bytes, offset);
  return out;
}

describe('properties', () => {
  it('encrypt → verify → decrypt gives a valid low-s ECDSA signature; recover returns y', () => {
    fc.assert(
      fc.property(caseArb, ({ x, X, y, Y, msg, sig }) => {
        expect(sig.length).toBe(ADAPTOR_SIGNATURE_LENGTH);
        expect(adaptorVerify(sig, X, Y, msg)).toBe(true);
        const ecdsa = adaptorDecrypt(sig, y);
        const s = bytesToNumberBE(ecdsa.subarray(32));
        expect(s <= N >> 1n).toBe(true);
        expect(secp256k1.verify(ecdsa, msg, pub(x), { prehash: false, lowS: true })).toBe(true);
        expect(adaptorRecover(sig, ecdsa, Y)).toEqual(y);
        // The high-s twin of the same signature (what a malleated transaction could carry).
        const highS = ecdsa.slice();
        highS.set(be32(N - s), 32);
        expect(adaptorRecover(sig, highS, Y)).toEqual(y);
        // And parse/serialize is the identity on encrypt's output.
        expect(serializeAdaptorSignature(parseAdaptorSignature(sig))).toEqual(sig);
      }),
      { numRuns: 25 },
    );
  });

  it('any tampered byte of the adaptor signature (R, R_a, s_a, proof) is rejected', () => {
    fc.assert(
      fc.property(
        caseArb,
        fc.integer({ min: 0, max: ADAPTOR_SIGNATURE_LENGTH - 1 }),
        fc.integer({ min: 1, max: 255 }),
        ({ X, Y, msg, sig }, index, mask) => {
          const bad = sig.slice();
          bad[index] = bad[index]! ^ mask;
          expect(adaptorVerify(bad, X, Y, msg)).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a tampered signing key, encryption key or message is rejected', () => {
    fc.assert(
      fc.property(
        caseArb,
        fc.constantFrom('X', 'Y', 'msg'),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 1, max: 255 }),
        ({ X, Y, msg, sig }, which, index, mask) => {
          const args = { X: X.slice(), Y: Y.slice(), msg: msg.slice() };
          const target = args[which];
          const i = index % target.length;
          target[i] = target[i]! ^ mask;
          expect(adaptorVerify(sig, args.X, args.Y, args.msg)).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('another encryption key or another signer key is rejected', () => {
    fc.assert(
      fc.property(caseArb, secretArb, ({ X, Y, msg, sig }, other) => {
        const O = pub(other);
        fc.pre(!bytesEqual(O, X) && !bytesEqual(O, Y));
        expect(adaptorVerify(sig, X, O, msg)).toBe(false);
        expect(adaptorVerify(sig, O, Y, msg)).toBe(false);
      }),
      { numRuns: 8 },
    );
  });

  it('two encryptions of different messages under one key never share a nonce', () => {
    fc.assert(
      fc.property(secretArb, secretArb, bytes32Arb, bytes32Arb, bytes32Arb, (x, y, m1, m2, aux) => {
        fc.pre(!bytesEqual(m1, m2));
        const Y = pub(y);
        // Same key, same encryption key, even the same aux randomness: R_a = k·G must differ.
        const a1 = adaptorEncrypt(x, Y, m1, aux);
        const a2 = adaptorEncrypt(x, Y, m2, aux);
        expect(bytesEqual(a1.subarray(33, 66), a2.subarray(33, 66))).toBe(false);
      }),
      { numRuns: 8 },
    );
  });

  it('nonces are deterministic in the aux randomness and change with it', () => {
    fc.assert(
      fc.property(caseArb, bytes32Arb, bytes32Arb, ({ x, Y, msg }, aux1, aux2) => {
        fc.pre(!bytesEqual(aux1, aux2));
        expect(adaptorEncrypt(x, Y, msg, aux1)).toEqual(adaptorEncrypt(x, Y, msg, aux1));
        const a = adaptorEncrypt(x, Y, msg, aux1);
        const b = adaptorEncrypt(x, Y, msg, aux2);
        expect(bytesEqual(a.subarray(33, 66), b.subarray(33, 66))).toBe(false);
      }),
      { numRuns: 4 },
    );
  });

  it('without auxRand, encrypt draws fresh randomness', () => {
    const x = be32(7n);
    const Y = pub(be32(11n));
    const msg = new Uint8Array(32).fill(1);
    const a = adaptorEncrypt(x, Y, msg);
    const b = adaptorEncrypt(x, Y, msg);
    expect(a).not.toEqual(b);
    expect(adaptorVerify(a, pub(x), Y, msg)).toBe(true);
    expect(adaptorVerify(b, pub(x), Y, msg)).toBe(true);
  });
});

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

describe('nonce derivation (secp256k1-zkp nonce_function_ecdsa_adaptor)', () => {
  // Recomputed independently from the reference's description: "modified BIP-340 nonce function".
  const tagged = (tag: string, ...parts: Uint8Array[]): Uint8Array => {
    const t = sha256(new TextEncoder().encode(tag));
    return sha256(concatBytes(t, t, ...parts));
  };
  const nonce = (
    algo: string,
    msg: Uint8Array,
    key: Uint8Array,
    pk: Uint8Array,
    aux: Uint8Array,
  ) => {
    const masked = tagged('ECDSAadaptor/aux', aux).map((b, i) => b ^ key[i]!);
    return be32(bytesToNumberBE(tagged(algo, masked, pk, msg)) % N);
  };

  it('k and the DLEQ nonce are the reference nonce function of (x, Y, m, aux)', () => {
    fc.assert(
      fc.property(secretArb, secretArb, bytes32Arb, bytes32Arb, (x, y, msg, aux) => {
        const Y = pub(y);
        // zkp encrypt: noncefp(msg32, seckey32, enckey33, "ECDSAadaptor/non", ndata)
        const k = nonce('ECDSAadaptor/non', msg, x, Y, aux);
        const kn = bytesToNumberBE(k);
        const R_a = G.multiply(kn).toBytes(true);
        const R = secp256k1.Point.fromBytes(Y).multiply(kn).toBytes(true);
        // zkp dleq_nonce: noncefp(sha256(R_a ‖ R), k32, Y33, "DLEQ", ndata)
        const a = nonce('DLEQ', sha256(concatBytes(R_a, R)), k, Y, aux);
        expect(adaptorEncrypt(x, Y, msg, aux)).toEqual(__TEST.encryptWithNonces(x, Y, msg, k, a));
      }),
      { numRuns: 6 },
    );
  });
});

describe('DLEQ verification', () => {
  it('the fixed-nonce vector with byte 129 set to 0x01 (upstream issue #335 input) fails', () => {
    const bad = fixed.sig.slice();
    bad[129] = 0x01;
    expect(adaptorVerify(fixed.sig, fixed.X, fixed.Y, fixed.msg)).toBe(true);
    expect(adaptorVerify(bad, fixed.X, fixed.Y, fixed.msg)).toBe(false);
  });

  it('fails, without throwing, when both recomputed points are infinity (c = b·k)', () => {
    // With c = b·k: A_G = c·G − b·R_a = O and A_Y = c·Y − b·R = O.
    const p = parseAdaptorSignature(fixed.sig);
    const c = ((p.b % N) * fixed.k) % N;
    const bad = serializeAdaptorSignature({ ...p, c });
    expect(() => adaptorVerify(bad, fixed.X, fixed.Y, fixed.msg)).not.toThrow();
    expect(adaptorVerify(bad, fixed.X, fixed.Y, fixed.msg)).toBe(false);
  });

  it('b = 0 or c = 0 fails without throwing', () => {
    const p = parseAdaptorSignature(fixed.sig);
    for (const fields of [{ b: 0n }, { c: 0n }, { b: 0n, c: 0n }, { b: N }]) {
      const bad = serializeAdaptorSignature({ ...p, ...fields });
      expect(adaptorVerify(bad, fixed.X, fixed.Y, fixed.msg)).toBe(false);
    }
  });

  it('the challenge b is taken mod n: b ≥ n still parses and serializes identically', () => {
    const p = parseAdaptorSignature(fixed.sig);
    const huge = serializeAdaptorSignature({ ...p, b: (1n << 256n) - 1n });
    expect(parseAdaptorSignature(huge).b).toBe((1n << 256n) - 1n);
    expect(adaptorVerify(huge, fixed.X, fixed.Y, fixed.msg)).toBe(false);
  });
});

describe('parse rules (DLC-NOTES §9)', () => {
  const valid = fixed.sig;
  // x = n is on the curve (n³ + 7 is a square mod p): a valid point with r = x mod n = 0.
  const xIsN = new Uint8Array([2, ...be32(N)]);
  const cases: { name: string; bytes: Uint8Array; reason: InvalidAdaptorSignatureReason }[] = [
    { name: 'R has prefix 04', bytes: withBytes(valid, 0, [4]), reason: 'R_not_a_point' },
    {
      name: 'R has x = 0 (not on the curve)',
      bytes: withBytes(valid, 0, [2, ...be32(0n)]),
      reason: 'R_not_a_point',
    },
    {
      name: 'R has x ≥ p',
      bytes: withBytes(valid, 0, [2, ...new Uint8Array(32).fill(0xff)]),
      reason: 'R_not_a_point',
    },
    { name: 'R.x mod n = 0', bytes: withBytes(valid, 0, xIsN), reason: 'r_zero' },
    { name: 'R_a has prefix 00', bytes: withBytes(valid, 33, [0]), reason: 'R_a_not_a_point' },
    {
      name: 'R_a has x = 0',
      bytes: withBytes(valid, 33, [3, ...be32(0n)]),
      reason: 'R_a_not_a_point',
    },
    { name: 's_a = 0', bytes: withBytes(valid, 66, be32(0n)), reason: 's_a_out_of_range' },
    { name: 's_a = n', bytes: withBytes(valid, 66, be32(N)), reason: 's_a_out_of_range' },
    { name: 'c = n', bytes: withBytes(valid, 130, be32(N)), reason: 'proof_c_out_of_range' },
  ];

  it.each(cases)('$name → $reason', ({ bytes, reason }) => {
    expect(() => parseAdaptorSignature(bytes)).toThrow(
      expect.objectContaining({ name: 'InvalidAdaptorSignatureError', reason }),
    );
    expect(adaptorVerify(bytes, fixed.X, fixed.Y, fixed.msg)).toBe(false);
    expect(adaptorRecover(bytes, new Uint8Array(64).fill(1), fixed.Y)).toBeNull();
    expect(() => adaptorDecrypt(bytes, fixed.y)).toThrow(InvalidAdaptorSignatureError);
  });

  it('a byte string that is not 162 bytes → wrong_length', () => {
    for (const bytes of [new Uint8Array(0), valid.subarray(1), new Uint8Array([...valid, 0])]) {
      expect(() => parseAdaptorSignature(bytes)).toThrow(
        expect.objectContaining({ name: 'InvalidAdaptorSignatureError', reason: 'wrong_length' }),
      );
    }
    expect(() => parseAdaptorSignature('00' as unknown as Uint8Array)).toThrow(TypeError);
  });

  it('the error carries a stable code', () => {
    const err = new InvalidAdaptorSignatureError('s_a_out_of_range');
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('invalid_adaptor_signature');
    expect(err.name).toBe('InvalidAdaptorSignatureError');
    expect(err.message).toContain('s_a_out_of_range');
  });

  it('serialize rejects what parse rejects, and field values that do not fit', () => {
    const p = parseAdaptorSignature(valid);
    expect(() => serializeAdaptorSignature({ ...p, s_a: N })).toThrow(InvalidAdaptorSignatureError);
    expect(() => serializeAdaptorSignature({ ...p, c: 1n << 256n })).toThrow(RangeError);
    expect(() => serializeAdaptorSignature({ ...p, b: -1n })).toThrow(RangeError);
    expect(() => serializeAdaptorSignature({ ...p, R: p.R.subarray(1) })).toThrow(/R must be 33/);
  });
});

describe('decrypt and recover edge cases', () => {
  const sig = fixed.sig;
  const good = adaptorDecrypt(sig, fixed.y);

  it('recover rejects a signature for another R, s = 0, and r or s ≥ n', () => {
    expect(adaptorRecover(sig, good, fixed.Y)).toEqual(fixed.y);
    const otherR = good.slice();
    otherR[31] = otherR[31]! ^ 1;
    expect(adaptorRecover(sig, otherR, fixed.Y)).toBeNull();
    expect(adaptorRecover(sig, withBytes(good, 32, be32(0n)), fixed.Y)).toBeNull();
    expect(adaptorRecover(sig, withBytes(good, 32, be32(N)), fixed.Y)).toBeNull();
    expect(adaptorRecover(sig, withBytes(good, 0, be32(N + 1n)), fixed.Y)).toBeNull();
  });

  it('recover rejects a decryption under another key, and an invalid encryption key', () => {
    const wrong = adaptorDecrypt(sig, be32(12345n));
    expect(adaptorRecover(sig, wrong, fixed.Y)).toBeNull();
    expect(adaptorRecover(sig, good, pub(be32(12345n)))).toBeNull();
    expect(adaptorRecover(sig, good, new Uint8Array([2, ...be32(0n)]))).toBeNull();
  });

  it('decrypt rejects a decryption key outside [1, n)', () => {
    expect(() => adaptorDecrypt(sig, be32(0n))).toThrow(/decryptionKey/);
    expect(() => adaptorDecrypt(sig, be32(N))).toThrow(/decryptionKey/);
  });

  it('y·G = Y for the recovered key', () => {
    const y = adaptorRecover(sig, good, fixed.Y);
    expect(y).not.toBeNull();
    expect(G.multiply(bytesToNumberBE(y!)).toBytes(true)).toEqual(fixed.Y);
  });
});

describe('argument errors name the argument; verify throws only on those', () => {
  const { x, X, Y, msg, sig } = { ...fixed };
  const short = new Uint8Array(31);

  it.each([
    ['secretKey', () => adaptorEncrypt(short, Y, msg)],
    ['encryptionKey', () => adaptorEncrypt(x, short, msg)],
    ['msgHash', () => adaptorEncrypt(x, Y, short)],
    ['auxRand', () => adaptorEncrypt(x, Y, msg, short)],
    ['adaptorSig', () => adaptorVerify(short, X, Y, msg)],
    ['publicKey', () => adaptorVerify(sig, short, Y, msg)],
    ['encryptionKey', () => adaptorVerify(sig, X, short, msg)],
    ['msgHash', () => adaptorVerify(sig, X, Y, short)],
    ['adaptorSig', () => adaptorDecrypt(short, fixed.y)],
    ['decryptionKey', () => adaptorDecrypt(sig, short)],
    ['adaptorSig', () => adaptorRecover(short, new Uint8Array(64), Y)],
    ['signature', () => adaptorRecover(sig, short, Y)],
    ['encryptionKey', () => adaptorRecover(sig, new Uint8Array(64), short)],
    ['nonceK', () => __TEST.encryptWithNonces(x, Y, msg, short, be32(1n))],
  ])('wrong length of %s → RangeError', (name, call) => {
    expect(call).toThrow(RangeError);
    expect(call).toThrow(new RegExp(`^${name} `));
  });

  it('a non-Uint8Array is a TypeError', () => {
    expect(() => adaptorVerify('00' as unknown as Uint8Array, X, Y, msg)).toThrow(TypeError);
    expect(() => adaptorEncrypt([1, 2] as unknown as Uint8Array, Y, msg)).toThrow(TypeError);
  });

  it('encrypt rejects a secret key outside [1, n) and an invalid encryption key', () => {
    expect(() => adaptorEncrypt(be32(0n), Y, msg)).toThrow(/secretKey/);
    expect(() => adaptorEncrypt(be32(N), Y, msg)).toThrow(/secretKey/);
    expect(() => adaptorEncrypt(x, new Uint8Array([2, ...be32(0n)]), msg)).toThrow(/encryptionKey/);
    expect(() => adaptorEncrypt(x, new Uint8Array([4, ...Y.subarray(1)]), msg)).toThrow(
      /encryptionKey/,
    );
  });

  it('verify returns false (does not throw) for keys that are not points', () => {
    const notAPoint = new Uint8Array([2, ...be32(0n)]);
    expect(adaptorVerify(sig, notAPoint, Y, msg)).toBe(false);
    expect(adaptorVerify(sig, X, notAPoint, msg)).toBe(false);
    expect(adaptorVerify(sig, new Uint8Array(33), Y, msg)).toBe(false);
  });
});

describe('backend seam', () => {
  // A backend whose points are 33-byte encodings (as a native libsecp256k1 binding would hand
  // them out), implemented here over noble: the scheme must not depend on noble's point type.
  const INF = new Uint8Array(0);
  const P = secp256k1.Point;
  const dec = (b: Uint8Array) => P.fromBytes(b);
  const enc = (p: InstanceType<typeof P>) => (p.is0() ? INF : p.toBytes(true));
  const bytesOps: PointOps<Uint8Array> = {
    decode: (b) => noblePointOps.decode(b)?.toBytes(true),
    encode: (p) => p.slice(),
    x: (p) => bytesToNumberBE(p.subarray(1)),
    isInfinity: (p) => p.length === 0,
    equals: (p, q) => bytesEqual(p, q),
    mulBaseSecret: (k) => enc(G.multiply(k)),
    mulSecret: (p, k) => enc(dec(p).multiply(k)),
    mulBaseAddPublic: (a, b, q) => enc(noblePointOps.mulBaseAddPublic(a, b, dec(q))),
    mulAddPublic: (a, p, b, q) => enc(noblePointOps.mulAddPublic(a, dec(p), b, dec(q))),
  };
  const alt = createEcdsaAdaptor(bytesOps);

  it('another PointOps implementation gives byte-identical results', () => {
    fc.assert(
      fc.property(caseArb, bytes32Arb, ({ x, X, y, Y, msg, sig }, aux) => {
        const a = alt.adaptorEncrypt(x, Y, msg, aux);
        expect(a).toEqual(adaptorEncrypt(x, Y, msg, aux));
        expect(alt.adaptorVerify(sig, X, Y, msg)).toBe(true);
        expect(alt.adaptorVerify(a, X, Y, msg)).toBe(true);
        const s = alt.adaptorDecrypt(a, y);
        expect(s).toEqual(adaptorDecrypt(a, y));
        expect(alt.adaptorRecover(a, s, Y)).toEqual(y);
      }),
      { numRuns: 4 },
    );
  });
});
