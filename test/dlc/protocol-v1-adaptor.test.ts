/**
 * dlcspecs protocol-v1 vectors (made by rust-dlc, `sha256` oracle convention): the contract info
 * decoded from the serialized offer, the adaptor points of every CET in signing order against
 * `derived/protocol_v1_layout/*.json` (incl. the lexicographic oracle subsets of the t-of-n
 * files), and every CET adaptor signature of accept_dlc (accepter's funding key) and sign_dlc
 * (offerer's funding key) verified against its CET sighash and point. One case per file per stage.
 *
 * Known-wrong upstream data (shared/vectors/README.md), checked for what is right in it:
 * - `enum_and_numerical_*`: part 1 is spec-consistent (all its signatures verify); part 2's accept
 *   signatures are over CETs with nLockTime 0 and its sign_dlc signatures over the CET with the
 *   same relative index in part 1's list (a rust-dlc bug): asserted as such, not as spec behaviour.
 * - `*_with_diff_*`: numeric parts with an allowed difference are not supported here (and their
 *   layouts were not derived): count, parsing and serialization of the signature sets only, plus
 *   the enum part's signatures where the enum part comes first.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { parseAdaptorSignature } from '../../src/crypto/ecdsa-adaptor.ts';
import {
  adaptorSigningItems,
  verifyAdaptorSignatures,
  type AdaptorSigningItem,
} from '../../src/dlc/adaptor-set.ts';
import {
  buildContractCets,
  contractLayout,
  encodeContractInfo,
  UnsupportedContractError,
  validateContractInfo,
  type ContractCets,
  type ContractInfo,
} from '../../src/dlc/contract.ts';
import { unsignedTxHex } from '../../src/dlc/transactions.ts';
import {
  loadProtocolV1,
  offerContractInfo,
  protocolV1Contract,
  protocolV1Names,
  vectorAdaptorSignatures,
  type ProtocolVector,
} from '../helpers/protocol-v1.ts';
import { big } from '../helpers/vectors.ts';

const all = protocolV1Names.map((name) => ({ name, ...loadProtocolV1(name) }));
const full = all.filter(({ layout }) => (layout.adaptor_points ?? []).length > 0);
const disjoint = all.filter(({ name }) => /^enum_and_numerical_\d/.test(name));
const withDiff = all.filter(({ name }) => name.includes('_with_diff_'));

function cetsFor(
  vector: ProtocolVector,
  contractInfo: ContractInfo,
  cetLocktime?: number,
): ContractCets {
  const { o, offer, accept, funding } = protocolV1Contract(vector);
  return buildContractCets({
    contractInfo,
    convention: 'sha256',
    fundingTxid: funding.txid,
    fundOutputIndex: funding.fundOutputIndex,
    fundOutputValue: funding.fundOutputValue,
    fundingScript: funding.fundingScript,
    offerPayoutSpk: offer.payoutSpk,
    acceptPayoutSpk: accept.payoutSpk,
    offerPayoutSerialId: offer.payoutSerialId,
    acceptPayoutSerialId: accept.payoutSerialId,
    cetLocktime: cetLocktime ?? o.cetLocktime,
  });
}

/** The contract info restricted to its first part (what is right in the disjoint vectors). */
function firstPartOnly(info: ContractInfo): ContractInfo {
  return { kind: 'disjoint', totalCollateral: info.totalCollateral, parts: info.parts.slice(0, 1) };
}

function expectAllVerify(
  pubkeyHex: string,
  items: readonly AdaptorSigningItem[],
  sigs: readonly Uint8Array[],
): void {
  expect(sigs).toHaveLength(items.length);
  expect(verifyAdaptorSignatures(hexToBytes(pubkeyHex), items, sigs)).toEqual({ ok: true });
}
describe('dlcspecs protocol-v1 vectors: contract info and CET adaptor signatures', () => {
  it('finds the vector files of each kind', () => {
    expect(all.length).toBeGreaterThanOrEqual(13);
    expect(full.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'enum_3_of_3_test',
        'three_of_three_oracle_numerical_test',
        'two_of_five_oracle_numerical_test',
      ]),
    );
    expect(full).toHaveLength(6);
    expect(disjoint).toHaveLength(2);
    expect(withDiff).toHaveLength(5);
  });

  it.each(all)('$name: contract_info decodes and re-encodes byte for byte', ({ name, vector }) => {
    const { info, bytes } = offerContractInfo(vector);
    expect(bytesToHex(encodeContractInfo(info))).toBe(bytesToHex(bytes));
    if (name.includes('_with_diff_')) {
      expect(() => validateContractInfo(info)).toThrow(UnsupportedContractError);
    } else {
      expect(() => validateContractInfo(info)).not.toThrow();
    }
  });

  it.each(full)('$name: CETs and adaptor points equal the derived layout', ({ vector, layout }) => {
    const { info } = offerContractInfo(vector);
    const contract = cetsFor(vector, info);
    const expectedCets = layout.cets ?? [];
    expect(contract.cets).toHaveLength(expectedCets.length);
    contract.cets.forEach((cet, i) => {
      const e = expectedCets[i]!;
      expect(cet.cetIndex).toBe(e.index);
      expect(cet.offerPayout).toBe(big(e.offer_payout));
      expect(cet.acceptPayout).toBe(big(e.accept_payout));
      expect(unsignedTxHex(cet.tx)).toBe(e.unsigned_tx_hex);
      expect(bytesToHex(cet.sighash)).toBe(e.sighash);
    });
    const points = layout.adaptor_points ?? [];
    expect(contract.adaptorPoints).toHaveLength(points.length);
    contract.adaptorPoints.forEach((p, i) => {
      const e = points[i]!;
      expect(p.adaptorIndex).toBe(e.adaptor_sig_index);
      expect(p.cetIndex).toBe(e.cet_index);
      expect(p.oracleIndices).toEqual(e.oracle_indices);
      if (e.outcome !== undefined) expect(p.match).toEqual({ kind: 'enum', outcome: e.outcome });
      else expect(p.match).toEqual({ kind: 'numeric', prefix: e.digit_prefix });
      expect(bytesToHex(p.point), `adaptor point ${i}`).toBe(e.adaptor_point);
    });
  });

  it.each(full)('$name: every accept_dlc and sign_dlc adaptor signature verifies', ({ vector }) => {
    const { info } = offerContractInfo(vector);
    const items = adaptorSigningItems(cetsFor(vector, info));
    const sigs = vectorAdaptorSignatures(vector);
    expectAllVerify(vector.accept_message.message.fundingPubkey, items, sigs.accept);
    expectAllVerify(vector.offer_message.message.fundingPubkey, items, sigs.offer);
    // And not against the other party's key.
    const swapped = verifyAdaptorSignatures(
      hexToBytes(vector.offer_message.message.fundingPubkey),
      items,
      sigs.accept,
    );
    expect(swapped).toEqual({ ok: false, index: 0, reason: 'invalid' });
  });

  it.each(disjoint)(
    '$name (known-wrong part 2): part 1 signatures verify; part 2 shows the upstream bugs',
    ({ vector }) => {
      const { info } = offerContractInfo(vector);
      expect(info.kind).toBe('disjoint');
      expect(info.parts).toHaveLength(2);
      const whole = cetsFor(vector, info);
      const items = adaptorSigningItems(whole);
      const sigs = vectorAdaptorSignatures(vector);
      expect(sigs.accept).toHaveLength(items.length);
      expect(sigs.offer).toHaveLength(items.length);
      const part1 = contractLayout(firstPartOnly(info), 'sha256').adaptorPoints.length;
      expect(whole.adaptorPoints.filter((p) => p.partIndex === 0)).toHaveLength(part1);
      // Part 1: spec-consistent.
      expectAllVerify(
        vector.accept_message.message.fundingPubkey,
        items.slice(0, part1),
        sigs.accept.slice(0, part1),
      );
      expectAllVerify(
        vector.offer_message.message.fundingPubkey,
        items.slice(0, part1),
        sigs.offer.slice(0, part1),
      );
      // Part 2, accept_dlc: the signatures are over CETs with nLockTime 0 (README quirk), so
      // they do not verify over the spec's CETs …
      const acceptKey = hexToBytes(vector.accept_message.message.fundingPubkey);
      const offerKey = hexToBytes(vector.offer_message.message.fundingPubkey);
      const part2Items = items.slice(part1);
      expect(verifyAdaptorSignatures(acceptKey, part2Items, sigs.accept.slice(part1)).ok).toBe(
        false,
      );
      // … but do over the same CETs with nLockTime 0.
      const withLockTime0 = cetsFor(vector, info, 0);
      const lockTime0 = adaptorSigningItems(withLockTime0).slice(part1);
      expect(verifyAdaptorSignatures(acceptKey, lockTime0, sigs.accept.slice(part1))).toEqual({
        ok: true,
      });
      // Part 2, sign_dlc: rust-dlc keeps one CET list, part 1's CETs followed by part 2's
      // (with nLockTime 0), and the offerer signs part 2's relative CET index r over entry r of
      // that list, i.e. over part 1's CET r while r is below part 1's CET count.
      const part1CetCount = whole.cets.filter((c) => c.partIndex === 0).length;
      const riddled = [
        ...whole.cets.slice(0, part1CetCount),
        ...withLockTime0.cets.slice(part1CetCount),
      ];
      const misIndexed = whole.adaptorPoints.slice(part1).map((p) => ({
        point: p.point,
        sighash: riddled[p.cetIndex - part1CetCount]!.sighash,
      }));
      expect(verifyAdaptorSignatures(offerKey, part2Items, sigs.offer.slice(part1)).ok).toBe(false);
      expect(verifyAdaptorSignatures(offerKey, misIndexed, sigs.offer.slice(part1))).toEqual({
        ok: true,
      });
    },
  );

  it.each(withDiff)(
    '$name (with allowed difference, unsupported): signature sets parse and serialize',
    ({ name, vector }) => {
      const { info } = offerContractInfo(vector);
      expect(
        info.parts.some((p) => p.oracleInfo.kind === 'multi' && p.oracleInfo.oracleParams),
      ).toBe(true);
      expect(() => contractLayout(info, 'sha256')).toThrow(UnsupportedContractError);
      const sigs = vectorAdaptorSignatures(vector);
      expect(sigs.accept.length).toBeGreaterThan(0);
      expect(sigs.offer).toHaveLength(sigs.accept.length);
      for (const [sigsOf, serialized] of [
        [sigs.accept, vector.accept_message.serialized],
        [sigs.offer, vector.sign_message.serialized],
      ] as const) {
        const hex = sigsOf.map(bytesToHex).join('');
        // cet_adaptor_signatures on the wire: the 162-byte values back to back.
        expect(serialized).toContain(hex);
        for (const s of sigsOf) expect(() => parseAdaptorSignature(s)).not.toThrow();
      }
      // The enum part, when it comes first, has no allowed difference: its signatures verify.
      const first = info.parts[0]!;
      if (first.descriptor.kind === 'enum') {
        expect(name).toBe('enum_and_numerical_with_diff_5_of_5_test');
        const items = adaptorSigningItems(cetsFor(vector, firstPartOnly(info)));
        expectAllVerify(
          vector.accept_message.message.fundingPubkey,
          items,
          sigs.accept.slice(0, items.length),
        );
        expectAllVerify(
          vector.offer_message.message.fundingPubkey,
          items,
          sigs.offer.slice(0, items.length),
        );
      }
    },
  );
});
