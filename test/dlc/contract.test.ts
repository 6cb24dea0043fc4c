/**
 * Contract info and the CET layout (src/dlc/contract.ts): oracle subsets, validation, the
 * contract_info codec, adaptor points against the announcement-only computation of
 * attestation-points.ts, and the law that every outcome of a numeric contract maps to exactly one
 * CET whose adaptor signature the oracle's attestation — and only it — decrypts (fast-check).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { outcomePoint } from '../../src/crypto/attestation-points.ts';
import { adaptorDecrypt } from '../../src/crypto/ecdsa-adaptor.ts';
import {
  generateOracleMnemonic,
  oracleKeysFromMnemonic,
  type OracleKeys,
} from '../../src/crypto/oracle-keys.ts';
import { adaptorSigningItems, createAdaptorSignatures } from '../../src/dlc/adaptor-set.ts';
import { createAnnouncement } from '../../src/dlc/announcement.ts';
import { createAttestation } from '../../src/dlc/attestation.ts';
import {
  buildContractCets,
  contractLayout,
  decodeContractInfo,
  encodeContractInfo,
  InvalidContractInfoError,
  oracleSubsets,
  UnsupportedContractError,
  validateContractInfo,
  type ContractInfo,
} from '../../src/dlc/contract.ts';
import {
  InvalidContractDescriptorError,
  type NumericContractDescriptor,
} from '../../src/dlc/contract-descriptor.ts';
import { decompose } from '../../src/dlc/digit-decomposition.ts';
import { selectCet } from '../../src/dlc/execution.ts';
import type { OracleAnnouncement } from '../../src/dlc/oracle-types.ts';
import { roundedPayoutAt } from '../../src/dlc/payout-curve.ts';
import { milestoneEnumDescriptor, shareContractDescriptor } from '../../src/dlc/share-contract.ts';
import { fundingScript } from '../../src/dlc/transactions.ts';
import { party } from '../helpers/two-party.ts';

const TOTAL = 100_000n;
let oracle: OracleKeys;
let enumAnn: OracleAnnouncement;
let shareAnn: OracleAnnouncement;
let eventCounter = 0;

function digitsAnnouncement(keys: OracleKeys, base: number, nbDigits: number): OracleAnnouncement {
  return createAnnouncement(keys, {
    eventId: `contract-test/${eventCounter++}`,
    maturityEpochSec: 1_790_000_000,
    descriptor: { kind: 'digits', base, isSigned: false, unit: 'u', precision: 0, nbDigits },
  });
}

beforeAll(() => {
  oracle = oracleKeysFromMnemonic(generateOracleMnemonic());
  enumAnn = createAnnouncement(oracle, {
    eventId: 'contract-test/enum',
    maturityEpochSec: 1_790_000_000,
    descriptor: { kind: 'enum', outcomes: ['accepted', 'rejected'] },
  });
  shareAnn = digitsAnnouncement(oracle, 2, 7);
});

describe('oracleSubsets', () => {
  it('lists t-subsets in lexicographic order (rust-dlc combination_iterator)', () => {
    expect(oracleSubsets(3, 3)).toEqual([[0, 1, 2]]);
    expect(oracleSubsets(5, 2)).toEqual([
      [0, 1],
      [0, 2],
      [0, 3],
      [0, 4],
      [1, 2],
      [1, 3],
      [1, 4],
      [2, 3],
      [2, 4],
      [3, 4],
    ]);
    expect(oracleSubsets(5, 3)[0]).toEqual([0, 1, 2]);
    expect(oracleSubsets(5, 3)[1]).toEqual([0, 1, 3]);
    expect(oracleSubsets(1, 1)).toEqual([[0]]);
  });

  it('has C(n, t) distinct sorted subsets', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), (n, t) => {
        fc.pre(t <= n);
        const subsets = oracleSubsets(n, t);
        let binom = 1;
        for (let i = 0; i < t; i++) binom = (binom * (n - i)) / (i + 1);
        expect(subsets).toHaveLength(Math.round(binom));
        expect(new Set(subsets.map((s) => s.join(','))).size).toBe(subsets.length);
        const keys = subsets.map((s) => s.map((x) => String(x).padStart(2, '0')).join(','));
        expect(keys).toEqual([...keys].sort());
      }),
    );
  });

  it.each([
    [3, 0],
    [2, 3],
    [0, 1],
  ])('rejects %i choose %i', (n, t) => expect(() => oracleSubsets(n, t)).toThrow(RangeError));
});

describe('validateContractInfo', () => {
  const enumPart = () => ({
    descriptor: milestoneEnumDescriptor(TOTAL, true),
    oracleInfo: { kind: 'single' as const, announcement: enumAnn },
  });

  it('accepts single, multi and disjoint contracts on Verdict events', () => {
    validateContractInfo({ kind: 'single', totalCollateral: TOTAL, parts: [enumPart()] });
    validateContractInfo({
      kind: 'disjoint',
      totalCollateral: TOTAL,
      parts: [
        enumPart(),
        {
          descriptor: shareContractDescriptor(TOTAL, true),
          oracleInfo: { kind: 'multi', threshold: 1, announcements: [shareAnn] },
        },
      ],
    });
  });

  it.each([
    ['a single contract with two parts', { kind: 'single', parts: 2 }],
    ['no parts', { kind: 'disjoint', parts: 0 }],
  ] as const)('rejects %s', (_, { kind, parts }) => {
    const info: ContractInfo = {
      kind,
      totalCollateral: TOTAL,
      parts: Array.from({ length: parts }, enumPart),
    };
    expect(() => validateContractInfo(info)).toThrow(InvalidContractInfoError);
  });

  it.each([0, 3])('rejects threshold %i of 2 oracles', (threshold) => {
    const info: ContractInfo = {
      kind: 'single',
      totalCollateral: TOTAL,
      parts: [
        {
          descriptor: milestoneEnumDescriptor(TOTAL, true),
          oracleInfo: { kind: 'multi', threshold, announcements: [enumAnn, enumAnn] },
        },
      ],
    };
    expect(() => validateContractInfo(info)).toThrow(InvalidContractInfoError);
  });

  it('rejects oracles whose events do not fit the descriptor, and payouts above the collateral', () => {
    const mixed: ContractInfo = {
      kind: 'single',
      totalCollateral: TOTAL,
      parts: [
        {
          descriptor: shareContractDescriptor(TOTAL, true),
          oracleInfo: {
            kind: 'multi',
            threshold: 2,
            announcements: [shareAnn, digitsAnnouncement(oracle, 2, 8)],
          },
        },
      ],
    };
    expect(() => validateContractInfo(mixed)).toThrow(InvalidContractDescriptorError);
    const tooMuch: ContractInfo = {
      kind: 'single',
      totalCollateral: TOTAL - 1n,
      parts: [enumPart()],
    };
    expect(() => validateContractInfo(tooMuch)).toThrow(InvalidContractDescriptorError);
  });

  it('refuses numeric multi-oracle parts with an allowed difference (unsupported)', () => {
    const info: ContractInfo = {
      kind: 'single',
      totalCollateral: TOTAL,
      parts: [
        {
          descriptor: shareContractDescriptor(TOTAL, true),
          oracleInfo: {
            kind: 'multi',
            threshold: 1,
            announcements: [shareAnn],
            oracleParams: { maxErrorExp: 2, minFailExp: 1, maximizeCoverage: false },
          },
        },
      ],
    };
    expect(() => contractLayout(info, 'tagged')).toThrow(UnsupportedContractError);
  });
});

describe('contract_info codec', () => {
  it('round-trips single, multi (with and without oracle_params) and disjoint infos', () => {
    const infos: ContractInfo[] = [
      {
        kind: 'single',
        totalCollateral: TOTAL,
        parts: [
          {
            descriptor: milestoneEnumDescriptor(TOTAL, false),
            oracleInfo: { kind: 'single', announcement: enumAnn },
          },
        ],
      },
      {
        kind: 'disjoint',
        totalCollateral: TOTAL,
        parts: [
          {
            descriptor: shareContractDescriptor(TOTAL, true),
            oracleInfo: {
              kind: 'multi',
              threshold: 1,
              announcements: [shareAnn, shareAnn],
              oracleParams: { maxErrorExp: 3, minFailExp: 1, maximizeCoverage: true },
            },
          },
          {
            descriptor: milestoneEnumDescriptor(TOTAL, true),
            oracleInfo: { kind: 'multi', threshold: 1, announcements: [enumAnn] },
          },
        ],
      },
    ];
    for (const info of infos) {
      const bytes = encodeContractInfo(info);
      const back = decodeContractInfo(bytes);
      expect(bytesToHex(encodeContractInfo(back))).toBe(bytesToHex(bytes));
      expect(back.kind).toBe(info.kind);
      expect(back.parts.map((p) => p.oracleInfo.kind)).toEqual(
        info.parts.map((p) => p.oracleInfo.kind),
      );
      expect(() => decodeContractInfo(Uint8Array.of(...bytes, 0))).toThrow(/trailing/);
      expect(() => decodeContractInfo(bytes.subarray(0, bytes.length - 1))).toThrow();
    }
  });
});

describe('contractLayout', () => {
  it('enum: one CET and one point per outcome, equal to the announcement-only point', () => {
    const info: ContractInfo = {
      kind: 'single',
      totalCollateral: TOTAL,
      parts: [
        {
          descriptor: milestoneEnumDescriptor(TOTAL, true),
          oracleInfo: { kind: 'single', announcement: enumAnn },
        },
      ],
    };
    const layout = contractLayout(info, 'tagged');
    expect(layout.cets.map((c) => [c.outcome, c.offerPayout, c.acceptPayout])).toEqual([
      [{ kind: 'enum', outcome: 'accepted' }, 0n, TOTAL],
      [{ kind: 'enum', outcome: 'rejected' }, TOTAL, 0n],
    ]);
    for (const p of layout.adaptorPoints) {
      expect(p.match.kind).toBe('enum');
      if (p.match.kind !== 'enum') continue;
      expect(bytesToHex(p.point)).toBe(
        bytesToHex(outcomePoint(enumAnn, p.match.outcome, 'tagged')),
      );
    }
    // The other convention gives other points.
    const other = contractLayout(info, 'sha256').adaptorPoints[0]!.point;
    expect(bytesToHex(other)).not.toBe(bytesToHex(layout.adaptorPoints[0]!.point));
  });

  it('share: full-length prefixes equal the outcome point; points of a 2-of-2 are the sums', () => {
    const ann2 = digitsAnnouncement(oracleKeysFromMnemonic(generateOracleMnemonic()), 2, 7);
    const single = contractLayout(
      {
        kind: 'single',
        totalCollateral: TOTAL,
        parts: [
          {
            descriptor: shareContractDescriptor(TOTAL, true),
            oracleInfo: { kind: 'single', announcement: shareAnn },
          },
        ],
      },
      'tagged',
    );
    const full = single.adaptorPoints.find(
      (p) => p.match.kind === 'numeric' && p.match.prefix.length === 7,
    );
    expect(full).toBeDefined();
    if (full?.match.kind === 'numeric') {
      const value = full.match.prefix.reduce((v, d) => v * 2n + BigInt(d), 0n);
      expect(bytesToHex(full.point)).toBe(bytesToHex(outcomePoint(shareAnn, value, 'tagged')));
    }
    const both = contractLayout(
      {
        kind: 'single',
        totalCollateral: TOTAL,
        parts: [
          {
            descriptor: shareContractDescriptor(TOTAL, true),
            oracleInfo: { kind: 'multi', threshold: 2, announcements: [shareAnn, ann2] },
          },
        ],
      },
      'tagged',
    );
    const second = contractLayout(
      {
        kind: 'single',
        totalCollateral: TOTAL,
        parts: [
          {
            descriptor: shareContractDescriptor(TOTAL, true),
            oracleInfo: { kind: 'single', announcement: ann2 },
          },
        ],
      },
      'tagged',
    );
    expect(both.adaptorPoints).toHaveLength(single.adaptorPoints.length);
    both.adaptorPoints.forEach((p, i) => {
      expect(p.oracleIndices).toEqual([0, 1]);
      const sum = secp256k1.Point.fromBytes(single.adaptorPoints[i]!.point).add(
        secp256k1.Point.fromBytes(second.adaptorPoints[i]!.point),
      );
      expect(bytesToHex(p.point)).toBe(bytesToHex(sum.toBytes(true)));
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Law: every outcome maps to exactly one CET, and only its adaptor signature is unlocked.

/** A random continuous piecewise-linear payout function on `[0, base^n − 1]`. */
const numericContract = fc
  .record({
    base: fc.constantFrom(2, 3),
    nbDigits: fc.integer({ min: 2, max: 3 }),
    cuts: fc.uniqueArray(fc.double({ min: 0.05, max: 0.95, noNaN: true }), { maxLength: 3 }),
    payouts: fc.array(fc.bigInt({ min: 0n, max: TOTAL }), { minLength: 5, maxLength: 5 }),
    roundingMod: fc.constantFrom(1n, 7n, 1000n),
    pick: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  })
  .map(({ base, nbDigits, cuts, payouts, roundingMod, pick }) => {
    const max = base ** nbDigits - 1;
    const xs = [...new Set([0, ...cuts.map((c) => Math.round(c * max)), max])].sort(
      (a, b) => a - b,
    );
    const pts = xs.map((x, i) => ({
      eventOutcome: BigInt(x),
      outcomePayout: payouts[i % payouts.length]!,
      extraPrecision: 0,
    }));
    const descriptor: NumericContractDescriptor = {
      kind: 'numeric',
      nbDigits,
      payoutFunction: {
        payoutFunctionPieces: pts.slice(1).map((right, i) => ({
          kind: 'polynomial' as const,
          payoutPoints: [pts[i]!, right],
        })),
      },
      roundingIntervals: [{ beginInterval: 0n, roundingMod }],
    };
    return { base, nbDigits, descriptor, outcome: BigInt(Math.floor(pick * (max + 1))) };
  });

describe('numeric contracts (property)', () => {
  it('every outcome maps to exactly one CET; the attestation decrypts exactly its signature', () => {
    const client = party('client');
    const freelancer = party('freelancer');
    const script = fundingScript(client.pubkey, freelancer.pubkey);
    fc.assert(
      fc.property(numericContract, ({ base, nbDigits, descriptor, outcome }) => {
        const announcement = digitsAnnouncement(oracle, base, nbDigits);
        const contractInfo: ContractInfo = {
          kind: 'single',
          totalCollateral: TOTAL,
          parts: [{ descriptor, oracleInfo: { kind: 'single', announcement } }],
        };
        const contract = buildContractCets({
          contractInfo,
          convention: 'tagged',
          fundingTxid: '11'.repeat(32),
          fundOutputIndex: 0,
          fundOutputValue: TOTAL + 2_000n,
          fundingScript: script,
          offerPayoutSpk: client.payoutSpk,
          acceptPayoutSpk: freelancer.payoutSpk,
          offerPayoutSerialId: 1n,
          acceptPayoutSerialId: 2n,
          cetLocktime: 1_790_000_000,
        });
        // Every outcome: exactly one prefix matches, its CET's range contains the outcome and
        // pays the rounded payout function there.
        const count = BigInt(base) ** BigInt(nbDigits);
        for (let v = 0n; v < count; v++) {
          const digits = decompose(v, base, nbDigits);
          const hits = contract.adaptorPoints.filter(
            (p) => p.match.kind === 'numeric' && p.match.prefix.every((d, i) => digits[i] === d),
          );
          expect(hits, `outcome ${v}`).toHaveLength(1);
          const cet = contract.cets[hits[0]!.cetIndex]!;
          expect(
            cet.outcome.kind === 'numeric' && cet.outcome.start <= v && v <= cet.outcome.end,
          ).toBe(true);
          expect(cet.offerPayout).toBe(
            roundedPayoutAt(descriptor.payoutFunction, descriptor.roundingIntervals, TOTAL, v),
          );
          expect(cet.offerPayout + cet.acceptPayout).toBe(TOTAL);
        }
        // The attestation of `outcome` unlocks one adaptor signature: decrypted, it is a valid
        // signature of that CET, and of no CET with another sighash; no other signature decrypts.
        const items = adaptorSigningItems(contract);
        const sigs = createAdaptorSignatures(client.secretKey, items);
        const attestation = createAttestation(oracle, announcement, outcome);
        const sel = selectCet(contractInfo, contract.adaptorPoints, [attestation], 'tagged');
        const chosen = contract.cets[sel.cetIndex]!;
        expect(
          chosen.outcome.kind === 'numeric' &&
            chosen.outcome.start <= outcome &&
            outcome <= chosen.outcome.end,
        ).toBe(true);
        const sig = adaptorDecrypt(sigs[sel.adaptorIndex]!, sel.decryptionKey);
        for (const cet of contract.cets) {
          const valid = secp256k1.verify(sig, cet.sighash, client.pubkey, { prehash: false });
          expect(valid).toBe(bytesToHex(cet.sighash) === bytesToHex(chosen.sighash));
        }
        sigs.forEach((other, k) => {
          if (k === sel.adaptorIndex) return;
          const wrong = adaptorDecrypt(other, sel.decryptionKey);
          expect(
            secp256k1.verify(wrong, items[k]!.sighash, client.pubkey, { prehash: false }),
          ).toBe(false);
        });
      }),
      { numRuns: 12 },
    );
  });
});
