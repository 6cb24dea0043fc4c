import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prefixInterval } from '../../src/dlc/digit-decomposition.ts';
import {
  deserializeContractDescriptor,
  serializeContractDescriptor,
  toNodeDlcContractDescriptor,
  validateContractDescriptor,
} from '../../src/dlc/contract-descriptor.ts';
import type { EventDescriptor } from '../../src/dlc/oracle-types.ts';
import { computeRangePayouts, roundedPayoutAt } from '../../src/dlc/payout-curve.ts';
import {
  freelancerPayoutForShare,
  milestoneEnumDescriptor,
  shareContract,
  shareContractDescriptor,
  sharePayoutTable,
  shareRangePayoutsExact,
} from '../../src/dlc/share-contract.ts';

const shareEvent: EventDescriptor = {
  kind: 'digits',
  base: 2,
  isSigned: false,
  unit: 'percent',
  precision: 0,
  nbDigits: 7,
};
const MAX_MONEY = 2_100_000_000_000_000n;

describe('share payouts: freelancer gets floor(amount × share / 100), the client the rest', () => {
  // [amount, share, freelancer payout]
  it.each([
    [12_345n, 0, 0n],
    [12_345n, 1, 123n], // 123.45
    [12_345n, 37, 4_567n], // 4567.65
    [12_345n, 99, 12_221n], // 12221.55
    [12_345n, 100, 12_345n],
    [12_345n, 101, 12_345n], // above 100 pays as 100
    [12_345n, 127, 12_345n],
    [100_000n, 1, 1_000n],
    [100_000n, 37, 37_000n],
    [100_000n, 99, 99_000n],
    [150n, 1, 1n], // 1.5 rounds down
    [99n, 1, 0n],
    [1n, 99, 0n],
    [1n, 100, 1n],
    [MAX_MONEY, 37, 777_000_000_000_000n],
  ] as const)('amount %s sat, share %s → freelancer %s sat', (amount, share, expected) => {
    expect(freelancerPayoutForShare(amount, share)).toBe(expected);
    const row = sharePayoutTable(amount)[share]!;
    expect(row).toEqual({
      share,
      freelancerPayoutSat: expected,
      clientPayoutSat: amount - expected,
    });
  });

  it.each([
    ['amount 0', () => freelancerPayoutForShare(0n, 1)],
    ['negative amount', () => freelancerPayoutForShare(-5n, 1)],
    ['amount above 21M BTC', () => freelancerPayoutForShare(MAX_MONEY + 1n, 1)],
    ['share 128', () => freelancerPayoutForShare(1000n, 128)],
    ['share -1', () => freelancerPayoutForShare(1000n, -1)],
    ['share 1.5', () => freelancerPayoutForShare(1000n, 1.5)],
  ])('rejects %s', (_, run) => {
    expect(run).toThrow(RangeError);
  });

  it('the table has 128 rows, both sides sum to the amount, payouts never decrease (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: MAX_MONEY }), (amount) => {
        const table = sharePayoutTable(amount);
        expect(table).toHaveLength(128);
        table.forEach((row, s) => {
          expect(row.freelancerPayoutSat + row.clientPayoutSat).toBe(amount);
          expect(row.freelancerPayoutSat >= 0n && row.clientPayoutSat >= 0n).toBe(true);
          if (s > 0)
            expect(row.freelancerPayoutSat >= table[s - 1]!.freelancerPayoutSat).toBe(true);
        });
      }),
    );
  });
});

// Amounts where a plain 2-point line evaluated in f64 and rounded half-up misses the exact value,
// plus edges: these are why the descriptor puts a point at every share.
const trickyAmounts = [
  1n,
  29n,
  35n,
  57n,
  58n,
  70n,
  82n,
  99n,
  100n,
  101n,
  113n,
  114n,
  150n,
  12_345n,
  100_000n,
  MAX_MONEY,
];

describe('share contract descriptor', () => {
  const cases = trickyAmounts.flatMap((a) => [
    [`${a} sat, offer = client`, a, true] as const,
    [`${a} sat, offer = freelancer`, a, false] as const,
  ]);

  it.each(cases)(
    '%s: evaluated range payouts equal the exact table and every outcome has one CET prefix',
    (_, amount, offerIsClient) => {
      const d = shareContractDescriptor(amount, offerIsClient);
      validateContractDescriptor(d, shareEvent, amount);
      const table = sharePayoutTable(amount);
      const expected = (s: number) =>
        offerIsClient ? table[s]!.clientPayoutSat : table[s]!.freelancerPayoutSat;
      // The f64 evaluation of the payout function, outcome by outcome.
      for (let s = 0; s < 128; s++) {
        expect(roundedPayoutAt(d.payoutFunction, d.roundingIntervals, amount, BigInt(s))).toBe(
          expected(s),
        );
      }
      const contract = shareContract(amount, offerIsClient);
      expect(contract.ranges).toEqual(shareRangePayoutsExact(amount, offerIsClient));
      const hits = Array.from({ length: 128 }, () => 0);
      for (const p of contract.prefixes) {
        const { first, last } = prefixInterval(p.prefix, 2, 7);
        for (let o = Number(first); o <= Number(last); o++) {
          hits[o]! += 1;
          expect(p.offerPayout).toBe(expected(o));
        }
      }
      expect(hits.every((h) => h === 1)).toBe(true);
      // Serializes per the spec and through node-dlc to the same bytes.
      const wire = serializeContractDescriptor(d);
      expect(deserializeContractDescriptor(wire)).toEqual(d);
      expect(
        Buffer.from(toNodeDlcContractDescriptor(d).serialize()).equals(Buffer.from(wire)),
      ).toBe(true);
    },
  );

  it('uses a single line when the payouts are exactly linear and increasing', () => {
    const d = shareContractDescriptor(100_000n, false);
    expect(
      d.payoutFunction.payoutFunctionPieces.map((p) =>
        p.kind === 'polynomial' ? p.payoutPoints.length : 0,
      ),
    ).toEqual([2, 2]);
    expect(shareContract(100_000n, false).ranges).toHaveLength(101); // shares 0..99 one each, 100..127 one
    // Decreasing (offer = client): a point at every share, never a 2-point decreasing line.
    const dc = shareContractDescriptor(100_000n, true);
    expect(
      dc.payoutFunction.payoutFunctionPieces.map((p) =>
        p.kind === 'polynomial' ? p.payoutPoints.length : 0,
      ),
    ).toEqual([101, 2]);
  });

  it('f64 walk equals the exact table for any amount, both orientations (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: MAX_MONEY }), fc.boolean(), (amount, offerIsClient) => {
        const d = shareContractDescriptor(amount, offerIsClient);
        expect(computeRangePayouts(d.payoutFunction, d.roundingIntervals, amount)).toEqual(
          shareRangePayoutsExact(amount, offerIsClient),
        );
      }),
      { numRuns: 60 },
    );
  });
});

describe('enum milestone descriptor (accepted / rejected)', () => {
  const enumEvent: EventDescriptor = { kind: 'enum', outcomes: ['accepted', 'rejected'] };
  it.each([
    [true, [0n, 50_000n]],
    [false, [50_000n, 0n]],
  ] as const)('offer is client = %s', (offerIsClient, [accepted, rejected]) => {
    const d = milestoneEnumDescriptor(50_000n, offerIsClient);
    expect(d.payouts).toEqual([
      { outcome: 'accepted', offerPayout: accepted },
      { outcome: 'rejected', offerPayout: rejected },
    ]);
    validateContractDescriptor(d, enumEvent, 50_000n);
  });
});
