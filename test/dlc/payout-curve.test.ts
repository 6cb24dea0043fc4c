import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeRangePayouts,
  evaluatePiece,
  InvalidPayoutFunctionError,
  PayoutEvaluationError,
  roundedPayoutAt,
  validateHyperbolaPiece,
  validatePayoutFunction,
  validatePolynomialPiece,
  type HyperbolaPayoutCurvePiece,
  type PayoutFunction,
  type PayoutFunctionPiece,
  type PayoutPoint,
  type PolynomialPayoutCurvePiece,
} from '../../src/dlc/payout-curve.ts';
import {
  InvalidRoundingIntervalsError,
  validateRoundingIntervals,
  type RoundingIntervals,
} from '../../src/dlc/rounding.ts';
import { big, loadVectorEntries } from '../helpers/vectors.ts';

type VPoint = { event_outcome: unknown; outcome_payout: unknown; extra_precision: number };
type VRounding = { begin_interval: unknown; rounding_mod: unknown }[];
type VHyperbola = {
  left: VPoint;
  right: VPoint;
  use_positive_piece: boolean;
  translate_outcome: number;
  translate_payout: number;
  a: number;
  b: number;
  c: number;
  d: number;
};
type VPiece = { type: 'polynomial'; points: VPoint[] } | ({ type: 'hyperbola' } & VHyperbola);
type Case = { name: string; kind: string } & Record<string, unknown>;

// Every rust-dlc/payout_curve_cases*.json file.
const cases = loadVectorEntries<Case>('payout-curve', 'cases').map((x) => x.entry);
const ofKind = <T>(kind: string) =>
  cases
    .filter((c) => c.kind === kind)
    .map((c, i) => [`${c.name} #${i}`, c as unknown as T] as const);

const point = (p: VPoint): PayoutPoint => ({
  eventOutcome: big(p.event_outcome),
  outcomePayout: big(p.outcome_payout),
  extraPrecision: p.extra_precision,
});
const polynomial = (points: VPoint[]): PolynomialPayoutCurvePiece => ({
  kind: 'polynomial',
  payoutPoints: points.map(point),
});
const hyperbola = (h: VHyperbola): HyperbolaPayoutCurvePiece => ({
  kind: 'hyperbola',
  leftEndPoint: point(h.left),
  rightEndPoint: point(h.right),
  usePositivePiece: h.use_positive_piece,
  translateOutcome: h.translate_outcome,
  translatePayout: h.translate_payout,
  a: h.a,
  b: h.b,
  c: h.c,
  d: h.d,
});
const piece = (p: VPiece): PayoutFunctionPiece =>
  p.type === 'polynomial' ? polynomial(p.points) : hyperbola(p);
const fn = (pieces: VPiece[]): PayoutFunction => ({ payoutFunctionPieces: pieces.map(piece) });
const rounding = (r: VRounding): RoundingIntervals =>
  r.map((i) => ({ beginInterval: big(i.begin_interval), roundingMod: big(i.rounding_mod) }));

describe('rust-dlc payout_curve.rs: evaluate_polynomial_piece', () => {
  type C = { points: VPoint[]; evaluations: { outcome: number; expected: number }[] };
  it.each(ofKind<C>('evaluate_polynomial_piece'))('%s', (_, c) => {
    for (const e of c.evaluations)
      expect(evaluatePiece(polynomial(c.points), BigInt(e.outcome))).toBe(e.expected);
  });
});

describe('rust-dlc payout_curve.rs: piece_to_range_payouts_summary', () => {
  type C = {
    points: VPoint[];
    total_collateral: unknown;
    rounding_intervals: VRounding;
    expected: {
      len: number;
      first_start: number;
      first_offer_payout: number;
      last_start: number;
      last_offer_payout: number;
    };
  };
  it.each(ofKind<C>('piece_to_range_payouts_summary'))('%s', (_, c) => {
    const ranges = computeRangePayouts(
      { payoutFunctionPieces: [polynomial(c.points)] },
      rounding(c.rounding_intervals),
      big(c.total_collateral),
    );
    expect(ranges).toHaveLength(c.expected.len);
    expect(ranges[0]).toMatchObject({
      start: BigInt(c.expected.first_start),
      offerPayout: BigInt(c.expected.first_offer_payout),
    });
    expect(ranges.at(-1)).toMatchObject({
      start: BigInt(c.expected.last_start),
      offerPayout: BigInt(c.expected.last_offer_payout),
    });
  });
});

describe('rust-dlc payout_curve.rs: function_to_range_payouts', () => {
  type C = {
    payout_function: { pieces: VPiece[] };
    total_collateral: unknown;
    rounding_intervals: VRounding;
    expected_range_payouts?: { start: unknown; count: unknown; offer: unknown; accept: unknown }[];
    expected?: string;
  };
  it.each(ofKind<C>('function_to_range_payouts'))('%s', (_, c) => {
    const total = big(c.total_collateral);
    const ranges = computeRangePayouts(
      fn(c.payout_function.pieces),
      rounding(c.rounding_intervals),
      total,
    );
    if (c.expected_range_payouts) {
      expect(ranges).toEqual(
        c.expected_range_payouts.map((r) => ({
          start: big(r.start),
          count: big(r.count),
          offerPayout: big(r.offer),
        })),
      );
      for (const r of c.expected_range_payouts) expect(big(r.offer) + big(r.accept)).toBe(total);
    } else {
      expect(c.expected).toMatch(/^success/);
      for (const r of ranges) {
        expect(r.offerPayout >= 0n && r.offerPayout <= total).toBe(true);
      }
      // The ranges are contiguous from the first end point to the last.
      const pieces = c.payout_function.pieces;
      const firstPiece = pieces[0]!;
      const lastPiece = pieces.at(-1)!;
      const from = big(
        firstPiece.type === 'polynomial'
          ? firstPiece.points[0]!.event_outcome
          : firstPiece.left.event_outcome,
      );
      const to = big(
        lastPiece.type === 'polynomial'
          ? lastPiece.points.at(-1)!.event_outcome
          : lastPiece.right.event_outcome,
      );
      expect(ranges[0]!.start).toBe(from);
      const last = ranges.at(-1)!;
      expect(last.start + last.count - 1n).toBe(to);
    }
  });
});

describe('rust-dlc payout_curve.rs: hyperbola_construct', () => {
  type C = VHyperbola & { expected: string };
  it.each(ofKind<C>('hyperbola_construct'))('%s', (_, c) => {
    expect(c.expected).toMatch(/^error/);
    expect(() => validateHyperbolaPiece(hyperbola(c))).toThrow(InvalidPayoutFunctionError);
  });
});

describe('rust-dlc payout_curve.rs: hyperbola_to_range_payouts', () => {
  type C = VHyperbola & {
    total_collateral: unknown;
    rounding_intervals: VRounding;
    expected: string;
  };
  it.each(ofKind<C>('hyperbola_to_range_payouts'))('%s', (_, c) => {
    const run = () =>
      computeRangePayouts(
        { payoutFunctionPieces: [hyperbola(c)] },
        rounding(c.rounding_intervals),
        big(c.total_collateral),
      );
    if (c.expected.startsWith('error')) {
      expect(run).toThrow(PayoutEvaluationError);
    } else {
      const ranges = run();
      expect(ranges[0]!.start).toBe(big(c.left.event_outcome));
      expect(ranges.reduce((n, r) => n + r.count, 0n)).toBe(
        big(c.right.event_outcome) - big(c.left.event_outcome) + 1n,
      );
    }
  });
});

describe('rust-dlc payout_curve.rs: polynomial_construct', () => {
  type C = { points: VPoint[]; expected: string };
  it.each(ofKind<C>('polynomial_construct'))('%s', (_, c) => {
    expect(c.expected).toMatch(/^error/);
    expect(() => validatePolynomialPiece(polynomial(c.points))).toThrow(InvalidPayoutFunctionError);
  });
});

describe('rust-dlc payout_curve.rs: function_construct', () => {
  type C = { payout_function: { pieces: VPiece[] }; expected: string };
  it.each(ofKind<C>('function_construct'))('%s', (_, c) => {
    expect(c.expected).toMatch(/^error/);
    expect(() => validatePayoutFunction(fn(c.payout_function.pieces))).toThrow(/continuous/);
  });
});

describe('rust-dlc payout_curve.rs: rounding_intervals_validate', () => {
  type C = { rounding_intervals: VRounding; expected: string };
  it.each(ofKind<C>('rounding_intervals_validate'))('%s', (_, c) => {
    const run = () => validateRoundingIntervals(rounding(c.rounding_intervals));
    if (c.expected === 'valid') expect(run).not.toThrow();
    else expect(run).toThrow(InvalidRoundingIntervalsError);
  });
});

describe('range payouts (properties)', () => {
  // Random continuous functions of linear and quadratic pieces over a 2^nbDigits outcome space.
  const arbFunction = fc
    .record({
      nbDigits: fc.integer({ min: 3, max: 9 }),
      total: fc.bigInt({ min: 1n, max: 10_000_000n }),
      cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 0, maxLength: 4 }),
      payouts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 6, maxLength: 6 }),
      quadratic: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
      mods: fc.array(fc.bigInt({ min: 1n, max: 5_000n }), { minLength: 1, maxLength: 3 }),
    })
    .map(({ nbDigits, total, cuts, payouts, quadratic, mods }) => {
      const max = (1n << BigInt(nbDigits)) - 1n;
      const xs = [
        ...new Set([0n, ...cuts.map((c) => BigInt(Math.floor(c * Number(max)))), max]),
      ].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const pay = (i: number) =>
        BigInt(Math.floor((payouts[i % payouts.length] ?? 0) * Number(total)));
      const pieces: PayoutFunctionPiece[] = [];
      for (let i = 0; i + 1 < xs.length; i++) {
        const [l, r] = [xs[i]!, xs[i + 1]!];
        const left = { eventOutcome: l, outcomePayout: pay(i), extraPrecision: 0 };
        const right = { eventOutcome: r, outcomePayout: pay(i + 1), extraPrecision: 0 };
        // A quadratic through a midpoint payout that stays inside [0, total] at the points.
        const mid = (l + r) / 2n;
        const pts =
          quadratic[i] && r - l >= 2n
            ? [
                left,
                {
                  eventOutcome: mid,
                  outcomePayout: (left.outcomePayout + right.outcomePayout) / 3n,
                  extraPrecision: 0,
                },
                right,
              ]
            : [left, right];
        pieces.push({ kind: 'polynomial', payoutPoints: pts });
      }
      const rounding: RoundingIntervals = mods.map((m, i) => ({
        beginInterval: (max * BigInt(i)) / BigInt(mods.length),
        roundingMod: m,
      }));
      return { fn: { payoutFunctionPieces: pieces }, rounding, total, max };
    });

  it('are contiguous, within [0, total], change at every boundary, and equal the per-outcome rounded payout', () => {
    fc.assert(
      fc.property(arbFunction, ({ fn: f, rounding: r, total, max }) => {
        let ranges;
        try {
          ranges = computeRangePayouts(f, r, total);
        } catch (e) {
          // A quadratic may dip below zero between its points: rejected, as rust-dlc does.
          expect(e).toBeInstanceOf(PayoutEvaluationError);
          return;
        }
        let next = 0n;
        ranges.forEach((range, i) => {
          expect(range.start).toBe(next);
          expect(range.offerPayout >= 0n && range.offerPayout <= total).toBe(true);
          if (i > 0) expect(range.offerPayout).not.toBe(ranges[i - 1]!.offerPayout);
          for (let o = range.start; o < range.start + range.count; o++) {
            expect(roundedPayoutAt(f, r, total, o)).toBe(range.offerPayout);
          }
          next = range.start + range.count;
        });
        expect(next).toBe(max + 1n);
      }),
      { numRuns: 200 },
    );
  });
});

describe('computeRangePayouts evaluation cap', () => {
  const sloped = (end: bigint): PayoutFunction => ({
    payoutFunctionPieces: [
      {
        kind: 'polynomial',
        payoutPoints: [
          { eventOutcome: 0n, outcomePayout: 0n, extraPrecision: 0 },
          { eventOutcome: end, outcomePayout: 10n, extraPrecision: 0 },
        ],
      },
    ],
  });
  const mod1: RoundingIntervals = [{ beginInterval: 0n, roundingMod: 1n }];

  it('rejects a sloped piece over 2^64 outcomes before walking it', () => {
    expect(() => computeRangePayouts(sloped((1n << 64n) - 1n), mod1, 10n)).toThrow(
      InvalidPayoutFunctionError,
    );
  });

  it('honours an explicit limit', () => {
    expect(() => computeRangePayouts(sloped(100n), mod1, 10n, 99n)).toThrow(
      InvalidPayoutFunctionError,
    );
    expect(computeRangePayouts(sloped(100n), mod1, 10n, 100n)).toHaveLength(11);
  });
});
