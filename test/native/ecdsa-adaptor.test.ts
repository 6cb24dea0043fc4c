// The ECDSA adaptor scheme over native libsecp256k1 (src/native/ecdsa-adaptor.ts): the spec
// vectors run through the native backend, and both backends give the same bytes on the same
// inputs (same nonces → same signatures; same verdicts on valid and tampered signatures).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes, numberToBytesBE } from '@noble/curves/utils.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ADAPTOR_SIGNATURE_LENGTH,
  adaptorEncrypt,
  adaptorVerify,
  adaptorVerifier,
  PREPARE_SIGNER_KEY_AFTER,
  type EcdsaAdaptor,
} from '../../src/crypto/ecdsa-adaptor.ts';
import { adaptorBackend, ecdsaAdaptor } from '../../src/native/ecdsa-adaptor.ts';
import { loadVectorEntries } from '../helpers/vectors.ts';
import { skipNative } from './native-backend.ts';

const h = hexToBytes;
const N = secp256k1.Point.Fn.ORDER;
const be32 = (v: bigint): Uint8Array => numberToBytesBE(v, 32);
const pub = (secret: Uint8Array): Uint8Array => secp256k1.getPublicKey(secret, true);
const secretArb = fc.bigInt({ min: 1n, max: N - 1n }).map(be32);
const bytes32Arb = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe.skipIf(skipNative)('native backend', () => {
  let native: EcdsaAdaptor;
  const noble = ecdsaAdaptor('noble');
  beforeAll(() => {
    native = ecdsaAdaptor('native'); // throws, failing the suite, when the addon is missing
  });

  it('is the default where the addon loads', () => {
    expect(adaptorBackend()).toBe('native');
    expect(ecdsaAdaptor()).toBe(native);
  });

  // -------------------------------------------------------------------------------------------
  // dlcspecs/test/ecdsa_adaptor.json through the native backend

  interface SpecEntry {
    kind: 'verification' | 'recovery' | 'serialization';
    adaptor_sig: string;
    message_hash?: string;
    public_signing_key?: string;
    encryption_key?: string;
    decryption_key?: string | null;
    signature?: string;
    comment?: string;
    error?: string | null;
  }
  const spec = loadVectorEntries<SpecEntry>('ecdsa-adaptor-spec')
    .map(({ file, index, entry: e }) => ({
      e,
      name: `${file} #${index} ${e.kind} ${e.comment ?? ''} ${e.error ?? ''}`.trim(),
    }))
    .filter(({ e }) => e.kind !== 'serialization'); // parsing has no point arithmetic beyond decode

  it.each(spec)('dlcspecs $name', ({ e }) => {
    const sig = h(e.adaptor_sig);
    if (e.kind === 'verification') {
      const ok = native.adaptorVerify(
        sig,
        h(e.public_signing_key!),
        h(e.encryption_key!),
        h(e.message_hash!),
      );
      expect(ok).toBe(e.error === undefined || e.error === null);
      if (ok) {
        expect(bytesToHex(native.adaptorDecrypt(sig, h(e.decryption_key!)))).toBe(e.signature);
        const y = native.adaptorRecover(sig, h(e.signature!), h(e.encryption_key!));
        expect(y && bytesToHex(y)).toBe(e.decryption_key);
      }
    } else {
      const y = native.adaptorRecover(sig, h(e.signature!), h(e.encryption_key!));
      if (e.error === undefined || e.error === null) {
        expect(y && bytesToHex(y)).toBe(e.decryption_key);
      } else {
        expect(y).toBeNull();
      }
    }
  });

  // -------------------------------------------------------------------------------------------
  // secp256k1-zkp/ecdsa_adaptor_vectors.json through the native backend

  interface ZkpVector {
    id: string;
    kind: string;
    comment: string | null;
    adaptor_sig: string;
    message_hash?: string;
    public_signing_key?: string;
    encryption_key?: string;
    decryption_key?: string;
    signature?: string;
    seckey?: string;
    nonce_k?: string;
    dleq_nonce?: string;
    expect: {
      verify?: boolean;
      decrypt_equals_signature?: boolean;
      recover_succeeds_and_equals_decryption_key?: boolean;
      encrypt_with_fixed_nonces_equals_adaptor_sig?: boolean;
    };
  }
  const zkp = {
    vectors: loadVectorEntries<ZkpVector>('ecdsa-adaptor-zkp', 'vectors').map((x) => x.entry),
  };
  const f = (v: ZkpVector, name: keyof ZkpVector): Uint8Array => {
    const value = v[name];
    if (typeof value !== 'string') throw new Error(`${v.id}: missing ${name}`);
    return h(value);
  };

  // the parse-only vectors involve no point arithmetic beyond decoding
  const zkpWithArithmetic = zkp.vectors.filter(
    (v) =>
      v.expect.verify !== undefined ||
      v.expect.decrypt_equals_signature !== undefined ||
      v.expect.recover_succeeds_and_equals_decryption_key !== undefined ||
      v.expect.encrypt_with_fixed_nonces_equals_adaptor_sig !== undefined,
  );

  it.each(zkpWithArithmetic.map((v) => ({ name: `${v.id}: ${v.comment ?? v.kind}`, v })))(
    'secp256k1-zkp $name',
    ({ v }) => {
      const x = v.expect;
      const sig = h(v.adaptor_sig);
      expect(sig.length).toBe(ADAPTOR_SIGNATURE_LENGTH);
      if (x.encrypt_with_fixed_nonces_equals_adaptor_sig !== undefined) {
        const out = native.encryptWithNonces(
          f(v, 'seckey'),
          f(v, 'encryption_key'),
          f(v, 'message_hash'),
          f(v, 'nonce_k'),
          f(v, 'dleq_nonce'),
        );
        expect(bytesToHex(out) === v.adaptor_sig).toBe(
          x.encrypt_with_fixed_nonces_equals_adaptor_sig,
        );
      }
      if (x.verify !== undefined) {
        const args = [f(v, 'public_signing_key'), f(v, 'encryption_key')] as const;
        expect(native.adaptorVerify(sig, ...args, f(v, 'message_hash'))).toBe(x.verify);
        expect(native.adaptorVerifier(args[0])(sig, args[1], f(v, 'message_hash'))).toBe(x.verify);
      }
      if (x.decrypt_equals_signature !== undefined) {
        const s = native.adaptorDecrypt(sig, f(v, 'decryption_key'));
        expect(bytesToHex(s) === v.signature).toBe(x.decrypt_equals_signature);
      }
      if (x.recover_succeeds_and_equals_decryption_key !== undefined) {
        const y = native.adaptorRecover(sig, f(v, 'signature'), f(v, 'encryption_key'));
        if (x.recover_succeeds_and_equals_decryption_key) {
          expect(y && bytesToHex(y)).toBe(v.decryption_key);
        } else {
          expect(y).toBeNull();
        }
      }
    },
  );

  // -------------------------------------------------------------------------------------------
  // Both backends, same inputs, same bytes

  it('encrypt, verify, decrypt and recover give identical results on both backends', () => {
    fc.assert(
      fc.property(secretArb, secretArb, bytes32Arb, bytes32Arb, (x, y, msg, aux) => {
        const X = pub(x);
        const Y = pub(y);
        const sig = native.adaptorEncrypt(x, Y, msg, aux);
        expect(sig).toEqual(noble.adaptorEncrypt(x, Y, msg, aux));
        expect(sig).toEqual(adaptorEncrypt(x, Y, msg, aux)); // the exported reference
        expect(native.adaptorVerify(sig, X, Y, msg)).toBe(true);
        const s = native.adaptorDecrypt(sig, y);
        expect(s).toEqual(noble.adaptorDecrypt(sig, y));
        expect(native.adaptorRecover(sig, s, Y)).toEqual(y);
      }),
      { numRuns: 12 },
    );
  });

  it('both backends reject the same tampered signatures, keys and messages', () => {
    fc.assert(
      fc.property(
        secretArb,
        secretArb,
        bytes32Arb,
        fc.nat({ max: ADAPTOR_SIGNATURE_LENGTH - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (x, y, msg, at, flip) => {
          const X = pub(x);
          const Y = pub(y);
          const sig = adaptorEncrypt(x, Y, msg, new Uint8Array(32));
          const bad = sig.slice();
          bad[at] = bad[at]! ^ flip;
          const otherMsg = msg.slice();
          otherMsg[0] = otherMsg[0]! ^ 1;
          for (const [s, pk, ek, m] of [
            [bad, X, Y, msg],
            [sig, Y, Y, msg],
            [sig, X, X, msg],
            [sig, X, Y, otherMsg],
          ] as const) {
            const expected = adaptorVerify(s, pk, ek, m);
            expect(expected).toBe(false);
            expect(native.adaptorVerify(s, pk, ek, m)).toBe(false);
            expect(native.adaptorVerifier(pk)(s, ek, m)).toBe(false);
          }
        },
      ),
      { numRuns: 12 },
    );
  });

  it('adaptorVerifier agrees with adaptorVerify on both backends, before and after preparing', () => {
    const x = be32(12345n);
    const X = pub(x);
    const cases = Array.from({ length: PREPARE_SIGNER_KEY_AFTER + 4 }, (_, i) => {
      const Y = pub(be32(BigInt(1000 + i)));
      const msg = be32(BigInt(7 * i + 1));
      const sig = native.adaptorEncrypt(x, Y, msg, new Uint8Array(32).fill(i));
      if (i % 3 === 0) sig[70] = sig[70]! ^ 1; // every third one tampered (s_a)
      return { sig, Y, msg, valid: i % 3 !== 0 };
    });
    for (const verify of [native.adaptorVerifier(X), adaptorVerifier(X)]) {
      expect(cases.map((c) => verify(c.sig, c.Y, c.msg))).toEqual(cases.map((c) => c.valid));
    }
    // an invalid signer key verifies nothing, and does not throw
    const notAPoint = Uint8Array.of(2, ...new Uint8Array(32).fill(0xff));
    const never = native.adaptorVerifier(notAPoint);
    expect(never(cases[1]!.sig, cases[1]!.Y, cases[1]!.msg)).toBe(false);
    expect(() => native.adaptorVerifier(new Uint8Array(32))).toThrow(RangeError);
  });

  it('argument errors are the same as the reference backend', () => {
    const Y = pub(be32(5n));
    const msg = new Uint8Array(32);
    expect(() => native.adaptorEncrypt(new Uint8Array(32), Y, msg)).toThrow(RangeError);
    expect(() => native.adaptorEncrypt(be32(N), Y, msg)).toThrow(RangeError);
    expect(() => native.adaptorEncrypt(be32(1n), new Uint8Array(33), msg)).toThrow(RangeError);
    expect(() => native.adaptorVerify(new Uint8Array(10), Y, Y, msg)).toThrow(RangeError);
  });
});

// The batch entry points on every available backend (noble also where the addon is missing).
describe.each(skipNative ? (['noble'] as const) : (['native', 'noble'] as const))(
  'batch API, %s backend',
  (backend) => {
    it('adaptorEncryptMany / adaptorVerifyMany equal one call per job', () => {
      const scheme = ecdsaAdaptor(backend);
      const x = be32(777n);
      const X = pub(x);
      // past PREPARE_SIGNER_KEY_AFTER, so that verifyMany prepares the key
      const jobs = Array.from({ length: PREPARE_SIGNER_KEY_AFTER + 2 }, (_, i) => ({
        encryptionKey: pub(be32(BigInt(5000 + i))),
        msgHash: be32(BigInt(3 * i + 2)),
        auxRand: new Uint8Array(32).fill(255 - i),
      }));
      const one = jobs.map((j) => adaptorEncrypt(x, j.encryptionKey, j.msgHash, j.auxRand));
      const verifyJobs = jobs.map((j, i) => {
        const adaptorSig = one[i]!.slice();
        if (i % 5 === 1) adaptorSig[140] = adaptorSig[140]! ^ 2; // tampered proof c
        if (i % 5 === 3) adaptorSig[0] = 7; // unparsable R
        return { adaptorSig, encryptionKey: j.encryptionKey, msgHash: j.msgHash };
      });
      const expected = verifyJobs.map((j) =>
        adaptorVerify(j.adaptorSig, X, j.encryptionKey, j.msgHash),
      );
      expect(expected.filter((ok) => ok).length).toBe(
        jobs.length - 2 * Math.ceil((jobs.length - 1) / 5),
      );
      expect(scheme.adaptorEncryptMany(x, jobs)).toEqual(one);
      expect(scheme.adaptorVerifyMany(X, verifyJobs)).toEqual(expected);
      expect(scheme.adaptorVerifyMany(pub(be32(778n)), verifyJobs)).toEqual(jobs.map(() => false));
      expect(
        scheme.adaptorVerifyMany(Uint8Array.of(2, ...new Uint8Array(32).fill(0xff)), verifyJobs),
      ).toEqual(jobs.map(() => false));
      expect(scheme.adaptorEncryptMany(x, [])).toEqual([]);
      expect(scheme.adaptorVerifyMany(X, [])).toEqual([]);
      const fresh = scheme.adaptorEncryptMany(
        x,
        jobs.slice(0, 2).map(({ encryptionKey, msgHash }) => ({ encryptionKey, msgHash })),
      );
      expect(fresh[0]).not.toEqual(one[0]);
      expect(adaptorVerify(fresh[0]!, X, jobs[0]!.encryptionKey, jobs[0]!.msgHash)).toBe(true);
      expect(() => scheme.adaptorEncryptMany(be32(0n), jobs)).toThrow(RangeError);
      expect(() =>
        scheme.adaptorEncryptMany(x, [{ ...jobs[0]!, encryptionKey: new Uint8Array(33) }]),
      ).toThrow(RangeError);
      expect(() =>
        scheme.adaptorVerifyMany(X, [{ ...verifyJobs[0]!, adaptorSig: new Uint8Array(3) }]),
      ).toThrow(RangeError);
    });
  },
);
