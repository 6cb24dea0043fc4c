import { describe, expect, it } from 'vitest';
import {
  isOutcomeAtPosition,
  maxDigitValue,
  outcomesToValue,
  valueToOutcomes,
} from '../../src/dlc/digits.ts';
import type { DigitsDescriptor } from '../../src/dlc/digits.ts';
import { big, loadVectorFiles } from '../helpers/vectors.ts';

const share: DigitsDescriptor = {
  kind: 'digits',
  base: 2,
  isSigned: false,
  unit: 'percent',
  precision: 0,
  nbDigits: 7,
};
const signed: DigitsDescriptor = {
  kind: 'digits',
  base: 2,
  isSigned: true,
  unit: 'days',
  precision: 0,
  nbDigits: 4,
};
const base16: DigitsDescriptor = {
  kind: 'digits',
  base: 16,
  isSigned: false,
  unit: '',
  precision: -2,
  nbDigits: 3,
};

describe('digit decomposition of attested values (dlcspecs Oracle.md)', () => {
  it.each([
    ['share 0', share, 0n, ['0', '0', '0', '0', '0', '0', '0']],
    ['share 100', share, 100n, ['1', '1', '0', '0', '1', '0', '0']],
    ['share 127 (max)', share, 127n, ['1', '1', '1', '1', '1', '1', '1']],
    ['share 500 clamps to max', share, 500n, ['1', '1', '1', '1', '1', '1', '1']],
    ['share −3 clamps to 0 (unsigned)', share, -3n, ['0', '0', '0', '0', '0', '0', '0']],
    ['signed +5', signed, 5n, ['+', '0', '1', '0', '1']],
    ['signed −5', signed, -5n, ['-', '0', '1', '0', '1']],
    ['signed 0 is "+"', signed, 0n, ['+', '0', '0', '0', '0']],
    ['signed −99 clamps to −15', signed, -99n, ['-', '1', '1', '1', '1']],
    ['base 16 digits are decimal strings', base16, 0xabcn, ['10', '11', '12']],
  ] as const)('%s', (_n, d, value, expected) => {
    expect(valueToOutcomes(d, value)).toEqual(expected);
  });

  it('maxDigitValue', () => {
    expect(maxDigitValue(share)).toBe(127n);
    expect(maxDigitValue(base16)).toBe(4095n);
  });

  it.each([
    ['too few strings', share, ['1']],
    ['digit ≥ base', share, ['2', '0', '0', '0', '0', '0', '0']],
    ['leading zero', base16, ['01', '0', '0']],
    ['sign in a digit position', signed, ['+', '+', '0', '0', '0']],
    ['digit in the sign position', signed, ['1', '0', '0', '0', '0']],
  ] as const)('outcomesToValue rejects %s with RangeError', (_n, d, outcomes) => {
    expect(() => outcomesToValue(d, outcomes)).toThrow(RangeError);
  });

  it('isOutcomeAtPosition', () => {
    expect(isOutcomeAtPosition(signed, 0, '-')).toBe(true);
    expect(isOutcomeAtPosition(signed, 1, '-')).toBe(false);
    expect(isOutcomeAtPosition(base16, 0, '15')).toBe(true);
    expect(isOutcomeAtPosition(base16, 0, '16')).toBe(false);
    expect(isOutcomeAtPosition(base16, 3, '0')).toBe(false);
    expect(isOutcomeAtPosition(base16, 0, ' 1')).toBe(false);
  });

  it.each([
    ['base 1', { ...share, base: 1 }],
    ['base 65536', { ...share, base: 65536 }],
    ['0 digits', { ...share, nbDigits: 0 }],
    ['fractional precision', { ...share, precision: 0.5 }],
  ])('rejects a bad descriptor (%s) with RangeError', (_n, d) => {
    expect(() => valueToOutcomes(d, 1n)).toThrow(RangeError);
  });
});

interface DecompositionCase {
  value: unknown;
  digits: number[];
  base: number;
  nb_digits: number;
}
// Every rust-dlc/digit_decomposition_cases*.json file.
const cases = loadVectorFiles<{ decomposition?: DecompositionCase[] }>(
  'digit-decomposition',
).flatMap(({ data }) => data.decomposition ?? []);

describe('rust-dlc digit_decomposition_cases.json: decomposition', () => {
  it.each(cases.map((c) => [`${String(c.value)} base ${c.base} × ${c.nb_digits}`, c] as const))(
    '%s',
    (_n, c) => {
      const d: DigitsDescriptor = {
        kind: 'digits',
        base: c.base,
        isSigned: false,
        unit: '',
        precision: 0,
        nbDigits: c.nb_digits,
      };
      const outcomes = valueToOutcomes(d, big(c.value));
      expect(outcomes).toEqual(c.digits.map(String));
      expect(outcomesToValue(d, outcomes)).toBe(big(c.value));
    },
  );
});
