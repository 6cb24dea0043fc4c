/**
 * CET adaptor-signature sets over a chosen scheme (src/dlc/adaptor-set.ts `scheme` argument):
 * the native libsecp256k1 backend gives the same bytes and the same verdicts as the pure-JS
 * reference, across chunk boundaries; progress counts every signature up to the total, and on a
 * failure the valid ones before it.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import {
  adaptorEncrypt,
  nobleEcdsaAdaptor,
  type EcdsaAdaptor,
} from '../../src/crypto/ecdsa-adaptor.ts';
import {
  createAdaptorSignatures,
  ENCRYPT_CHUNK_SIZE,
  verifyAdaptorSignatures,
  VERIFY_CHUNK_SIZE,
  type AdaptorSigningItem,
} from '../../src/dlc/adaptor-set.ts';
import { ecdsaAdaptor } from '../../src/native/ecdsa-adaptor.ts';
import { skipNative } from '../native/native-backend.ts';

const te = new TextEncoder();
const sk = sha256(te.encode('adaptor-set scheme signer'));
const pk = secp256k1.getPublicKey(sk, true);
/** Past the first verify chunk, so that both chunk sizes split the set. */
const COUNT = VERIFY_CHUNK_SIZE + 4;
const items: AdaptorSigningItem[] = Array.from({ length: COUNT }, (_, i) => ({
  sighash: sha256(te.encode(`cet ${i}`)),
  point: secp256k1.getPublicKey(sha256(te.encode(`point ${i}`)), true),
}));
const auxOf = (msgHash: Uint8Array): Uint8Array => sha256(msgHash);

/** The scheme with each signature's aux randomness derived from its sighash (reproducible). */
function withFixedAux(scheme: EcdsaAdaptor): EcdsaAdaptor {
  return {
    ...scheme,
    adaptorEncryptMany: (secretKey, jobs) =>
      scheme.adaptorEncryptMany(
        secretKey,
        jobs.map((j) => ({ ...j, auxRand: auxOf(j.msgHash) })),
      ),
  };
}

const schemes: [string, EcdsaAdaptor][] = [['noble', nobleEcdsaAdaptor]];
if (!skipNative) schemes.unshift(['native', ecdsaAdaptor('native')]);

/** Each scheme's set with fixed aux randomness (computed once, shared by the tests). */
const sets = new Map(
  schemes.map(([name, scheme]) => [
    name,
    createAdaptorSignatures(sk, items, undefined, withFixedAux(scheme)),
  ]),
);
const reference = sets.get('noble')!;

/** 1, 2, …, n. */
const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe.each(schemes)('adaptor signature sets, %s scheme', (name, scheme) => {
  const sigs = sets.get(name)!;

  it('creates the same bytes as the pure-JS reference, signature by signature', () => {
    expect(sigs).toEqual(reference);
    for (const i of [0, ENCRYPT_CHUNK_SIZE, COUNT - 1]) {
      const item = items[i]!;
      expect(sigs[i]).toEqual(adaptorEncrypt(sk, item.point, item.sighash, auxOf(item.sighash)));
    }
  });

  it('works in batches, then counts each signature of the batch: every count up to the total', () => {
    // A log of the scheme's batch calls and the progress calls, in the order they happen.
    const log: string[] = [];
    const logged: EcdsaAdaptor = {
      ...scheme,
      adaptorEncryptMany: (secretKey, jobs) => {
        log.push(`encrypt ${jobs.length}`);
        return scheme.adaptorEncryptMany(secretKey, jobs);
      },
      adaptorVerifyMany: (publicKey, jobs) => {
        log.push(`verify ${jobs.length}`);
        return scheme.adaptorVerifyMany(publicKey, jobs);
      },
    };
    const onProgress = (done: number, total: number): void => {
      expect(total).toBe(COUNT);
      log.push(String(done));
    };
    const batches = (kind: string, size: number): string[] =>
      upTo(COUNT).flatMap((done) =>
        done % size === 1
          ? [`${kind} ${Math.min(size, COUNT - done + 1)}`, String(done)]
          : [String(done)],
      );
    const fresh = createAdaptorSignatures(sk, items, onProgress, logged);
    expect(log).toEqual(batches('encrypt', ENCRYPT_CHUNK_SIZE));
    log.length = 0;
    expect(verifyAdaptorSignatures(pk, items, fresh, onProgress, logged)).toEqual({ ok: true });
    expect(log).toEqual(batches('verify', VERIFY_CHUNK_SIZE));
  });

  const flip = (s: Uint8Array): Uint8Array => s.map((b, k) => (k === 120 ? b ^ 1 : b));
  it.each([
    ['a flipped bit in the first chunk', 3, flip],
    ['a flipped bit in the second chunk', VERIFY_CHUNK_SIZE + 2, flip],
    [
      'a short signature in the second chunk',
      VERIFY_CHUNK_SIZE + 1,
      (s: Uint8Array) => s.subarray(1),
    ],
  ] as const)(
    'finds %s at its index, with progress up to the signature before',
    (_, bad, tamper) => {
      const tampered = reference.map((s, i) => (i === bad ? tamper(s) : s));
      const progress: number[] = [];
      expect(verifyAdaptorSignatures(pk, items, tampered, (d) => progress.push(d), scheme)).toEqual(
        {
          ok: false,
          index: bad,
          reason: 'invalid',
        },
      );
      expect(progress).toEqual(upTo(bad));
    },
  );

  it('answers "invalid at 0" for a malformed signer key and "invalid at k" for a bad point k', () => {
    expect(verifyAdaptorSignatures(pk.subarray(1), items, reference, undefined, scheme)).toEqual({
      ok: false,
      index: 0,
      reason: 'invalid',
    });
    const offCurve = new Uint8Array(33).fill(0xff); // x ≥ p: not a point
    offCurve[0] = 2;
    const broken = items.map((item, i) => (i === 5 ? { ...item, point: offCurve } : item));
    expect(verifyAdaptorSignatures(pk, broken, reference, undefined, scheme)).toEqual({
      ok: false,
      index: 5,
      reason: 'invalid',
    });
    expect(() => createAdaptorSignatures(sk, broken, undefined, scheme)).toThrow(RangeError);
  });
});
