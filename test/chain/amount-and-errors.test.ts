import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { btcToSats, jsonBtcToSats, satsToBtc } from '../../src/chain/amount.ts';
import { isScriptVerifyFailure, rejectReasonOf } from '../../src/chain/errors.ts';
import { formatMoney } from '../../src/chain/devnet/validation.ts';

describe('BTC decimal ⇄ satoshis', () => {
  it.each([
    ['0.00001', 1_000n],
    ['0.00001000', 1_000n],
    ['50.00000000', 5_000_000_000n],
    ['21', 2_100_000_000n],
    ['20999999.99999999', 2_099_999_999_999_999n],
    ['0.1', 10_000_000n],
    ['-0.00000001', -1n],
  ])('%s BTC is %d sat', (text, sats) => {
    expect(btcToSats(text)).toBe(sats);
  });

  it.each(['1e-5', '0.000000001', '', '.5', '1.', ' 1', '0x10', 'NaN'])('refuses %j', (text) => {
    expect(() => btcToSats(text)).toThrow(RangeError);
  });

  describe('any JSON number form, exactly (what a node may write)', () => {
    it.each([
      ['5e-7', 50n],
      ['5E-7', 50n],
      ['1E-8', 1n],
      ['1e-8', 1n],
      ['0.00000001', 1n],
      ['21000000', 2_100_000_000_000_000n],
      ['2.1e7', 2_100_000_000_000_000n],
      ['2.1E+7', 2_100_000_000_000_000n],
      ['0.21e8', 2_100_000_000_000_000n],
      ['20999999.99999999', 2_099_999_999_999_999n],
      ['2099999999999999e-8', 2_099_999_999_999_999n],
      ['0.000012340000', 1_234n],
      ['1.2340e-5', 1_234n],
      ['0', 0n],
      ['0e5', 0n],
      ['-0.0', 0n],
      ['-5e-7', -50n],
      ['0.00001', 1_000n],
      ['1e0', 100_000_000n],
    ])('%s BTC is %d sat', (text, sats) => {
      expect(jsonBtcToSats(text)).toBe(sats);
    });

    it.each([
      ['1e-9', /finer than a satoshi/],
      ['0.000000015', /finer than a satoshi/],
      ['1.5e-8', /finer than a satoshi/],
      ['1e99999999', /exponent out of range/],
      ['1e40', /out of range/],
      ['NaN', /not a JSON number/],
      ['Infinity', /not a JSON number/],
      ['01', /not a JSON number/],
      ['.5', /not a JSON number/],
      ['1.', /not a JSON number/],
      ['+1', /not a JSON number/],
      ['0x10', /not a JSON number/],
      ['', /not a JSON number/],
    ])('refuses %j', (text, why) => {
      expect(() => jsonBtcToSats(text)).toThrow(RangeError);
      expect(() => jsonBtcToSats(text)).toThrow(why);
    });

    it('agrees with the decimal reader and with every exponent spelling of the same amount', () => {
      fc.assert(
        fc.property(
          fc.bigInt({ min: -2_100_000_000_000_000n, max: 2_100_000_000_000_000n }),
          fc.integer({ min: -3, max: 12 }),
          (sats, e) => {
            expect(jsonBtcToSats(satsToBtc(sats))).toBe(sats);
            // sats × 10^-8 BTC written as <digits>e<exp> with `e` extra zeros moved around
            const abs = sats < 0n ? -sats : sats;
            const text = `${sats < 0n ? '-' : ''}${(abs * 10n ** BigInt(Math.max(e, 0))).toString()}e${-8 - Math.max(e, 0)}`;
            expect(jsonBtcToSats(text)).toBe(sats);
          },
        ),
      );
    });
  });

  it('formats as Core does, with 8 decimals', () => {
    expect(satsToBtc(1_000n)).toBe('0.00001000');
    expect(satsToBtc(5_000_000_000n)).toBe('50.00000000');
    expect(satsToBtc(-1n)).toBe('-0.00000001');
  });

  it('round-trips every amount up to 21 million BTC', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -2_100_000_000_000_000n, max: 2_100_000_000_000_000n }),
        (sats) => {
          expect(btcToSats(satsToBtc(sats))).toBe(sats);
        },
      ),
    );
  });

  it('formats debug amounts like Core FormatMoney', () => {
    expect(formatMoney(500_000n)).toBe('0.005');
    expect(formatMoney(500_001n)).toBe('0.00500001');
    expect(formatMoney(5_000_000_000n)).toBe('50.00');
    expect(formatMoney(0n)).toBe('0.00');
  });
});

describe('reject reasons', () => {
  it.each([
    ['non-final', 'non-final'],
    ['min relay fee not met, 0 < 110', 'min relay fee not met'],
    ['bad-txns-in-belowout, value in (0.005) < value out (0.00500001)', 'bad-txns-in-belowout'],
    [
      'mandatory-script-verify-flag-failed (Signature must be zero for failed CHECK(MULTI)SIG operation)',
      'mandatory-script-verify-flag-failed (Signature must be zero for failed CHECK(MULTI)SIG operation)',
    ],
    [
      'Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)',
      'Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)',
    ],
  ])('%j → %j', (message, reason) => {
    expect(rejectReasonOf(message)).toBe(reason);
  });

  it('recognises script failures under old and new Core names', () => {
    expect(isScriptVerifyFailure('mandatory-script-verify-flag-failed (x)')).toBe(true);
    expect(isScriptVerifyFailure('non-mandatory-script-verify-flag (x)')).toBe(true);
    expect(isScriptVerifyFailure('mempool-script-verify-flag-failed (x)')).toBe(true);
    expect(isScriptVerifyFailure('block-script-verify-flag-failed (x)')).toBe(true);
    expect(isScriptVerifyFailure('non-final')).toBe(false);
  });
});
