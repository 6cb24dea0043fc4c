import { PolynomialPayoutCurve, splitIntoRanges } from '@node-dlc/core';
import { PolynomialPayoutCurvePiece as NodeDlcPolynomialPiece } from '@node-dlc/messaging';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cetsForNumeric,
  checkRangesCoverOutcomes,
  type NumericCetPrefix,
} from '../../src/dlc/cet-compression.ts';
import {
  validateNumericDescriptor,
  type NumericContractDescriptor,
} from '../../src/dlc/contract-descriptor.ts';
import { outcomeCount, prefixInterval } from '../../src/dlc/digit-decomposition.ts';
import {
  computeRangePayouts,
  PayoutEvaluationError,
  roundedPayoutAt,
  type PayoutFunction,
  type PayoutFunctionPiece,
} from '../../src/dlc/payout-curve.ts';
import type { RoundingIntervals } from '../../src/dlc/rounding.ts';

/** For every outcome of the space, the CET prefixes that match it. */
function matches(
  cets: readonly NumericCetPrefix[],
  base: number,
  nbDigits: number,
): NumericCetPrefix[][] {
  const total = Number(outcomeCount(base, nbDigits));
  const out: NumericCetPrefix[][] = Array.from({ length: total }, () => []);
  for (const cet of cets) {
    const { first, last } = prefixInterval(cet.prefix, base, nbDigits);
    for (let o = Number(first); o <= Number(last); o++) out[o]!.push(cet);
  }
  return out;
}

const line = (end: bigint, payout: bigint): PayoutFunction => ({
  payoutFunctionPieces: [
    {
      kind: 'polynomial',
      payoutPoints: [
        { eventOutcome: 0n, outcomePayout: 0n, extraPrecision: 0 },
        { eventOutcome: end, outcomePayout: payout, extraPrecision: 0 },
      ],
    },
  ],
});

describe('cetsForNumeric when the rounding step is smaller than the payout change per outcome', () => {
  // 16 outcomes (4 binary digits), payout 100 sat per outcome, rounding to 10 sat.
  const fn = line(15n, 1500n);
  const rounding: RoundingIntervals = [{ beginInterval: 0n, roundingMod: 10n }];

  it('covers every outcome exactly once, each with its own payout', () => {
    const ranges = computeRangePayouts(fn, rounding, 1500n);
    expect(ranges).toHaveLength(16);
    const cets = cetsForNumeric(ranges, 2, 4);
    matches(cets, 2, 4).forEach((hits, outcome) => {
      expect(hits).toHaveLength(1);
      expect(hits[0]!.offerPayout).toBe(100n * BigInt(outcome));
    });
  });

  it("differs from @node-dlc/core 1.1.7's splitIntoRanges, which leaves outcomes 2..14 uncovered", () => {
    const piece = new NodeDlcPolynomialPiece();
    piece.points = [
      { eventOutcome: 0n, outcomePayout: 0n, extraPrecision: 0 },
      { eventOutcome: 15n, outcomePayout: 1500n, extraPrecision: 0 },
    ];
    const curve = PolynomialPayoutCurve.fromPayoutCurvePiece(piece);
    const nodeDlc = splitIntoRanges(0n, 15n, 0n, 1500n, 1500n, curve, [
      { beginInterval: 0n, roundingMod: 10n },
    ]);
    const covered = new Set<number>();
    for (const r of nodeDlc) for (let o = r.indexFrom; o <= r.indexTo; o++) covered.add(Number(o));
    const uncovered = Array.from({ length: 16 }, (_, o) => o).filter((o) => !covered.has(o));
    expect(uncovered).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
  });
});

describe('cetsForNumeric input checks', () => {
  it.each([
    [
      'a gap',
      [
        { start: 0n, count: 3n, offerPayout: 0n },
        { start: 4n, count: 12n, offerPayout: 1n },
      ],
    ],
    [
      'an overlap',
      [
        { start: 0n, count: 5n, offerPayout: 0n },
        { start: 4n, count: 12n, offerPayout: 1n },
      ],
    ],
    ['not starting at 0', [{ start: 1n, count: 15n, offerPayout: 0n }]],
    ['not reaching the last outcome', [{ start: 0n, count: 15n, offerPayout: 0n }]],
    ['going past the last outcome', [{ start: 0n, count: 17n, offerPayout: 0n }]],
    [
      'an empty range',
      [
        { start: 0n, count: 0n, offerPayout: 0n },
        { start: 0n, count: 16n, offerPayout: 0n },
      ],
    ],
    ['no ranges', []],
  ] as const)('rejects range payouts with %s', (_, ranges) => {
    expect(() => checkRangesCoverOutcomes(ranges, 2, 4)).toThrow(RangeError);
    expect(() => cetsForNumeric(ranges, 2, 4)).toThrow(RangeError);
  });
});

describe('numeric contracts (properties)', () => {
  // Random valid numeric descriptors: 2–4 continuous pieces (lines, flat parts, quadratics) over
  // a base-2..4 outcome space of at most 1024 outcomes, and 1–3 rounding intervals.
  const arbContract = fc
    .record({
      base: fc.integer({ min: 2, max: 4 }),
      digitsSeed: fc.integer({ min: 0, max: 1000 }),
      total: fc.bigInt({ min: 0n, max: 2_000_000_000n }),
      cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
      payouts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 5, maxLength: 5 }),
      shapes: fc.array(fc.constantFrom('line', 'flat', 'quadratic'), {
        minLength: 4,
        maxLength: 4,
      }),
      mods: fc.array(fc.bigInt({ min: 1n, max: 100_000_000n }), { minLength: 1, maxLength: 3 }),
    })
    .map(({ base, digitsSeed, total, cuts, payouts, shapes, mods }) => {
      const maxDigits = Math.floor(Math.log(1024) / Math.log(base));
      const nbDigits = 1 + (digitsSeed % maxDigits);
      const max = outcomeCount(base, nbDigits) - 1n;
      const xs = [
        ...new Set([0n, ...cuts.map((c) => BigInt(Math.floor(c * Number(max)))), max]),
      ].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const pay = (i: number) => BigInt(Math.floor((payouts[i] ?? 0) * Number(total)));
      const pieces: PayoutFunctionPiece[] = [];
      let leftPayout = pay(0);
      for (let i = 0; i + 1 < xs.length; i++) {
        const [l, r] = [xs[i]!, xs[i + 1]!];
        const shape = shapes[i] ?? 'line';
        const rightPayout = shape === 'flat' ? leftPayout : pay(i + 1);
        const left = { eventOutcome: l, outcomePayout: leftPayout, extraPrecision: 0 };
        const right = { eventOutcome: r, outcomePayout: rightPayout, extraPrecision: 0 };
        const mid = {
          eventOutcome: (l + r) / 2n,
          outcomePayout: (leftPayout + rightPayout) / 2n + total / 8n,
          extraPrecision: 0,
        };
        pieces.push({
          kind: 'polynomial',
          payoutPoints:
            shape === 'quadratic' && r - l >= 2n && mid.outcomePayout <= total
              ? [left, mid, right]
              : [left, right],
        });
        leftPayout = rightPayout;
      }
      const begins = [
        ...new Set(
          mods.map((_, i) => (i === 0 ? 0n : BigInt(i) * (max / BigInt(mods.length)) + 1n)),
        ),
      ];
      const roundingIntervals: RoundingIntervals = begins.map((beginInterval, i) => ({
        beginInterval,
        roundingMod: mods[i] ?? 1n,
      }));
      const d: NumericContractDescriptor = {
        kind: 'numeric',
        nbDigits,
        payoutFunction: { payoutFunctionPieces: pieces },
        roundingIntervals,
      };
      return { d, base, total };
    });

  it('every outcome is covered by exactly one prefix, paying the rounded payout function there, never above the collateral', () => {
    fc.assert(
      fc.property(arbContract, ({ d, base, total }) => {
        validateNumericDescriptor(d, base, total);
        let ranges;
        try {
          ranges = computeRangePayouts(d.payoutFunction, d.roundingIntervals, total);
        } catch (e) {
          expect(e).toBeInstanceOf(PayoutEvaluationError);
          return;
        }
        const cets = cetsForNumeric(ranges, base, d.nbDigits);
        // CET indices run through the ranges in order.
        cets.forEach((c, i) =>
          expect(c.cetIndex).toBeGreaterThanOrEqual(i === 0 ? 0 : cets[i - 1]!.cetIndex),
        );
        expect(new Set(cets.map((c) => c.cetIndex)).size).toBe(ranges.length);
        matches(cets, base, d.nbDigits).forEach((hits, outcome) => {
          expect(hits).toHaveLength(1);
          const { offerPayout } = hits[0]!;
          expect(offerPayout >= 0n && offerPayout <= total).toBe(true);
          expect(offerPayout).toBe(
            roundedPayoutAt(d.payoutFunction, d.roundingIntervals, total, BigInt(outcome)),
          );
        });
      }),
      { numRuns: 150 },
    );
  });
});
