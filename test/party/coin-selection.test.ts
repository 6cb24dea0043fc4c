/** Coin selection: branch-and-bound finds changeless matches; otherwise change, never dust. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CoinSelectionError,
  inputFeeSat,
  p2wpkhTxVsize,
  selectCoins,
} from '../../src/party/coin-selection.ts';

const coins = (values: bigint[]) => values.map((v, i) => ({ id: `c${i}`, valueSat: v }));
const base = { feeRateSatPerVb: 2n, recipientSpkLen: 22, changeSpkLen: 22, changeDustSat: 294n };

describe('selectCoins', () => {
  it('vsize of a 1-in 2-out P2WPKH payment is 141 vB (Core: 140.5 rounded up)', () => {
    expect(p2wpkhTxVsize(1, [22, 22])).toBe(141);
    expect(p2wpkhTxVsize(1, [22])).toBe(110);
    expect(inputFeeSat(1n)).toBe(68n);
  });

  it('branch-and-bound picks the set that needs no change', () => {
    // 30 000 + 20 000 pays the amount and the fee exactly (each input's fee rounded up to whole
    // vbytes, as the search counts it): no change.
    const fee = BigInt(p2wpkhTxVsize(0, [22])) * 2n + 2n * inputFeeSat(2n);
    const s = selectCoins({
      ...base,
      coins: coins([100_000n, 30_000n, 20_000n, 7_000n]),
      amountSat: 50_000n - fee,
    });
    expect(s.algorithm).toBe('bnb');
    expect(s.changeSat).toBe(0n);
    expect(s.coins.map((c) => c.valueSat).sort()).toEqual([20_000n, 30_000n]);
    expect(s.feeSat).toBe(fee);
    expect(s.feeSat >= BigInt(p2wpkhTxVsize(2, [22])) * 2n).toBe(true);
  });

  it('falls back to largest-first with change back to the wallet', () => {
    const s = selectCoins({ ...base, coins: coins([100_000n, 30_000n]), amountSat: 10_000n });
    expect(s.algorithm).toBe('largest-first');
    expect(s.coins).toHaveLength(1);
    expect(s.changeSat).toBe(100_000n - 10_000n - BigInt(p2wpkhTxVsize(1, [22, 22])) * 2n);
  });

  it('refuses more than the coins can pay', () => {
    expect(() => selectCoins({ ...base, coins: coins([10_000n]), amountSat: 10_000n })).toThrow(
      CoinSelectionError,
    );
  });

  it('never makes dust change, and amount + fee + change = inputs exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 300n, max: 2_000_000n }), { minLength: 1, maxLength: 12 }),
        fc.bigInt({ min: 294n, max: 3_000_000n }),
        fc.bigInt({ min: 1n, max: 50n }),
        (values, amountSat, feeRateSatPerVb) => {
          let s;
          try {
            s = selectCoins({ ...base, feeRateSatPerVb, coins: coins(values), amountSat });
          } catch (error) {
            expect(error).toBeInstanceOf(CoinSelectionError);
            return;
          }
          const total = s.coins.reduce((a, c) => a + c.valueSat, 0n);
          expect(total).toBe(amountSat + s.feeSat + s.changeSat);
          expect(s.changeSat === 0n || s.changeSat >= 294n).toBe(true);
          const outs = s.changeSat === 0n ? [22] : [22, 22];
          const minFee = BigInt(p2wpkhTxVsize(s.coins.length, outs)) * feeRateSatPerVb;
          expect(s.feeSat >= minFee).toBe(true);
          // Without change, what the fee overpays is less than a change output would cost.
          if (s.changeSat === 0n) {
            const costOfChange = 31n * feeRateSatPerVb + inputFeeSat(feeRateSatPerVb);
            expect(s.feeSat - minFee < costOfChange + 294n).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
