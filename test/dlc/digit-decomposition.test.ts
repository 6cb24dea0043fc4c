import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { padRangePayouts } from '../../src/dlc/cet-compression.ts';
import {
  compose,
  coverInterval,
  decompose,
  outcomeCount,
  prefixInterval,
} from '../../src/dlc/digit-decomposition.ts';
import { big, loadVectorFiles } from '../helpers/vectors.ts';

type Range = { start: unknown; count: unknown; offer: unknown; accept: unknown };
type Cases = {
  decomposition: { value: unknown; digits: number[]; base: number; nb_digits: number }[];
  grouping: {
    start: unknown;
    end: unknown;
    base: number;
    nb_digits: number;
    expected: number[][];
  }[];
  pad_range_payouts: { original: Range[]; expected: Range[]; base: number; nb_digits: number }[];
};

// Every rust-dlc/digit_decomposition_cases*.json file, its three lists concatenated.
const cases: Cases = { decomposition: [], grouping: [], pad_range_payouts: [] };
for (const { data } of loadVectorFiles<Partial<Cases>>('digit-decomposition')) {
  cases.decomposition.push(...(data.decomposition ?? []));
  cases.grouping.push(...(data.grouping ?? []));
  cases.pad_range_payouts.push(...(data.pad_range_payouts ?? []));
}

const toRange = (r: Range) => ({
  start: big(r.start),
  count: big(r.count),
  offerPayout: big(r.offer),
});

/**
 * The minimal cover by brute force: from `start`, always take the largest aligned block that fits
 * under a non-empty prefix.
 */
function bruteForceCover(start: bigint, end: bigint, base: number, nbDigits: number): number[][] {
  const out: number[][] = [];
  let x = start;
  while (x <= end) {
    for (let k = 1; k <= nbDigits; k++) {
      const size = BigInt(base) ** BigInt(nbDigits - k);
      if (x % size === 0n && x + size - 1n <= end) {
        out.push(decompose(x, base, nbDigits).slice(0, k));
        x += size;
        break;
      }
    }
  }
  return out;
}

describe('decompose / compose (rust-dlc digit_decomposition.rs)', () => {
  it.each(cases.decomposition.map((c) => [`${String(c.value)} base ${c.base}`, c] as const))(
    '%s',
    (_, c) => {
      expect(decompose(big(c.value), c.base, c.nb_digits)).toEqual(c.digits);
      expect(compose(c.digits, c.base)).toBe(big(c.value));
    },
  );

  it('rejects values that do not fit and bad bases', () => {
    expect(() => decompose(8n, 2, 3)).toThrow(RangeError);
    expect(() => decompose(-1n, 2, 3)).toThrow(RangeError);
    expect(() => decompose(0n, 1, 3)).toThrow(RangeError);
    expect(() => compose([2], 2)).toThrow(RangeError);
  });

  it('compose inverts decompose (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 16 }),
        fc.integer({ min: 1, max: 12 }),
        fc.bigInt({ min: 0n }),
        (b, n, v) => {
          const value = v % outcomeCount(b, n);
          expect(compose(decompose(value, b, n), b)).toBe(value);
        },
      ),
    );
  });
});

describe('coverInterval (rust-dlc grouping cases)', () => {
  it.each(
    cases.grouping.map(
      (c) => [`[${String(c.start)}, ${String(c.end)}] base ${c.base}`, c] as const,
    ),
  )('%s', (_, c) => {
    expect(coverInterval(big(c.start), big(c.end), c.base, c.nb_digits)).toEqual(c.expected);
  });

  it('gives the 13 prefixes of [5677, 8621] base 2 (DLC-NOTES.md §6, not the prose 14)', () => {
    expect(coverInterval(5677n, 8621n, 2, 14)).toHaveLength(13);
    expect(coverInterval(135677n, 138621n, 10, 6)).toHaveLength(20);
    expect(coverInterval(2200n, 4999n, 10, 4)).toEqual([
      [2, 2],
      [2, 3],
      [2, 4],
      [2, 5],
      [2, 6],
      [2, 7],
      [2, 8],
      [2, 9],
      [3],
      [4],
    ]);
  });

  it('covers the whole outcome space with the one-digit prefixes, never the empty prefix', () => {
    expect(coverInterval(0n, 15n, 2, 4)).toEqual([[0], [1]]);
    expect(coverInterval(0n, 999n, 10, 3)).toEqual([
      [0],
      [1],
      [2],
      [3],
      [4],
      [5],
      [6],
      [7],
      [8],
      [9],
    ]);
    expect(coverInterval(0n, 2n, 3, 1)).toEqual([[0], [1], [2]]);
  });

  it('rejects start > end', () => {
    expect(() => coverInterval(5n, 4n, 2, 4)).toThrow(RangeError);
  });

  it('equals the brute-force minimal cover, in the same order (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 1, max: 6 }),
        fc.bigInt({ min: 0n, max: 1n << 30n }),
        fc.bigInt({ min: 0n, max: 1n << 30n }),
        (b, n, x, y) => {
          const total = outcomeCount(b, n);
          const [start, end] = [x % total, y % total].sort((p, q) =>
            p < q ? -1 : p > q ? 1 : 0,
          ) as [bigint, bigint];
          const cover = coverInterval(start, end, b, n);
          expect(cover).toEqual(bruteForceCover(start, end, b, n));
          // Every outcome of the space is matched by at most one prefix, and exactly one iff inside
          // (checked outcome by outcome on spaces of up to 4096 outcomes, to keep the test quick).
          for (let o = 0n; o < total && total <= 4096n; o++) {
            const hits = cover.filter((p) => {
              const { first, last } = prefixInterval(p, b, n);
              return first <= o && o <= last;
            }).length;
            expect(hits).toBe(start <= o && o <= end ? 1 : 0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('padRangePayouts (rust-dlc pad_range_payouts cases)', () => {
  it.each(cases.pad_range_payouts.map((c, i) => [`case ${i}`, c] as const))('%s', (_, c) => {
    expect(padRangePayouts(c.original.map(toRange), c.base, c.nb_digits)).toEqual(
      c.expected.map(toRange),
    );
  });
});
