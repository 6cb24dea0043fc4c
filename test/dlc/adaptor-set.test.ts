/**
 * CET adaptor-signature sets (src/dlc/adaptor-set.ts): creation in signing order with progress,
 * verification of a counterparty's complete set (count, key, each signature), the thrown form.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { adaptorVerify } from '../../src/crypto/ecdsa-adaptor.ts';
import {
  adaptorSigningItems,
  assertAdaptorSignatures,
  createAdaptorSignatures,
  InvalidCetAdaptorSignaturesError,
  verifyAdaptorSignatures,
  type AdaptorSigningItem,
} from '../../src/dlc/adaptor-set.ts';
import type { ContractCets } from '../../src/dlc/contract.ts';

const te = new TextEncoder();
const sk = sha256(te.encode('adaptor-set signer'));
const pk = secp256k1.getPublicKey(sk, true);
const otherPk = secp256k1.getPublicKey(sha256(te.encode('someone else')), true);
const items: AdaptorSigningItem[] = Array.from({ length: 4 }, (_, i) => ({
  sighash: sha256(te.encode(`cet ${i}`)),
  point: secp256k1.getPublicKey(sha256(te.encode(`point ${i}`)), true),
}));

describe('CET adaptor signature sets', () => {
  const sigs = createAdaptorSignatures(sk, items);

  it('creates one 162-byte signature per item, in order, each for its own sighash and point', () => {
    expect(sigs).toHaveLength(items.length);
    sigs.forEach((s, i) => {
      expect(s).toHaveLength(162);
      expect(adaptorVerify(s, pk, items[i]!.point, items[i]!.sighash)).toBe(true);
      const j = (i + 1) % items.length;
      expect(adaptorVerify(s, pk, items[j]!.point, items[j]!.sighash)).toBe(false);
    });
  });

  it('reports progress (done, total) after each signature, creating and verifying', () => {
    const seen: [number, number][] = [];
    createAdaptorSignatures(sk, items, (done, total) => seen.push([done, total]));
    expect(seen).toEqual([
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4],
    ]);
    const verified: number[] = [];
    expect(verifyAdaptorSignatures(pk, items, sigs, (done) => verified.push(done))).toEqual({
      ok: true,
    });
    expect(verified).toEqual([1, 2, 3, 4]);
  });

  it.each([
    ['a wrong count', () => sigs.slice(0, 3), { ok: false, index: 4, reason: 'count' }],
    [
      'swapped signatures',
      () => [sigs[0]!, sigs[2]!, sigs[1]!, sigs[3]!],
      { ok: false, index: 1, reason: 'invalid' },
    ],
    [
      'a short signature',
      () => [sigs[0]!, sigs[1]!, sigs[2]!, sigs[3]!.subarray(1)],
      { ok: false, index: 3, reason: 'invalid' },
    ],
    [
      'a flipped bit',
      () => sigs.map((s, i) => (i === 2 ? s.map((b, k) => (k === 120 ? b ^ 1 : b)) : s)),
      { ok: false, index: 2, reason: 'invalid' },
    ],
  ] as const)('rejects %s', (_, make, expected) => {
    expect(verifyAdaptorSignatures(pk, items, make())).toEqual(expected);
    expect(() => assertAdaptorSignatures(pk, items, make())).toThrow(
      InvalidCetAdaptorSignaturesError,
    );
    try {
      assertAdaptorSignatures(pk, items, make());
    } catch (e) {
      expect(e).toMatchObject({ code: 'invalid_cet_adaptor_signature', index: expected.index });
    }
  });

  it('rejects a set checked against another key', () => {
    expect(verifyAdaptorSignatures(otherPk, items, sigs)).toEqual({
      ok: false,
      index: 0,
      reason: 'invalid',
    });
  });

  it('derives the items from a contract: each adaptor point with its CET’s sighash', () => {
    const contract = {
      cets: [{ sighash: items[0]!.sighash }, { sighash: items[1]!.sighash }],
      adaptorPoints: [
        { adaptorIndex: 0, cetIndex: 1, point: items[2]!.point },
        { adaptorIndex: 1, cetIndex: 0, point: items[3]!.point },
      ],
    } as unknown as ContractCets;
    expect(adaptorSigningItems(contract)).toEqual([
      { sighash: items[1]!.sighash, point: items[2]!.point },
      { sighash: items[0]!.sighash, point: items[3]!.point },
    ]);
    const broken = {
      ...contract,
      adaptorPoints: [{ adaptorIndex: 0, cetIndex: 5, point: items[0]!.point }],
    } as unknown as ContractCets;
    expect(() => adaptorSigningItems(broken)).toThrow(RangeError);
  });
});
