import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InvalidRoundingIntervalsError,
  roundingModAt,
  roundPayout,
  roundPayoutExact,
  validateRoundingIntervals,
} from '../../src/dlc/rounding.ts';

describe('roundPayout (NumericOutcome.md rounding, rust-dlc RoundingIntervals::round)', () => {
  it.each([
    // [payout, mod, total, expected]
    [0, 1n, 10n, 0n],
    [7.4, 1n, 10n, 7n],
    [7.5, 1n, 10n, 8n],
    [12, 5n, 100n, 10n],
    [12.5, 5n, 100n, 15n],
    [12.49, 5n, 100n, 10n],
    [7513, 25n, 75130n, 7525n],
    [98, 5n, 99n, 99n], // rounds to 100, clamped to the collateral (#207)
    [87455.00000000001, 1n, 87455n, 87455n],
  ] as const)('round(%s, mod %s, total %s) = %s', (payout, mod, total, expected) => {
    expect(roundPayout(payout, mod, total)).toBe(expected);
  });

  it('agrees with the exact integer rounding on integers (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 1n << 50n }),
        fc.bigInt({ min: 1n, max: 1n << 20n }),
        fc.bigInt({ min: 0n, max: 1n << 51n }),
        (payout, mod, total) => {
          const r = roundPayout(Number(payout), mod, total);
          expect(r).toBe(roundPayoutExact(payout, mod, total));
          expect(r >= 0n && r <= total).toBe(true);
          if (r < total) expect(r % mod).toBe(0n);
        },
      ),
    );
  });
});

describe('roundingModAt', () => {
  const intervals = [
    { beginInterval: 0n, roundingMod: 1n },
    { beginInterval: 10n, roundingMod: 100n },
    { beginInterval: 20n, roundingMod: 7n },
  ];
  it.each([
    [0n, 1n],
    [9n, 1n],
    [10n, 100n],
    [19n, 100n],
    [20n, 7n],
    [1n << 63n, 7n],
  ] as const)('outcome %s uses modulus %s', (outcome, mod) => {
    expect(roundingModAt(intervals, outcome)).toBe(mod);
  });
  it('uses modulus 1 before the first interval', () => {
    expect(roundingModAt([{ beginInterval: 5n, roundingMod: 10n }], 4n)).toBe(1n);
  });
});

describe('validateRoundingIntervals', () => {
  it('rejects a zero modulus', () => {
    expect(() => validateRoundingIntervals([{ beginInterval: 0n, roundingMod: 0n }])).toThrow(
      InvalidRoundingIntervalsError,
    );
  });
});
