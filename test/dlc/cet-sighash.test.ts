// transactions.ts cetSighashFn (the CET sighash without building the transaction, as
// buildContractCets uses it) against cetSighash(buildCet(…)), the scure-btc-signer BIP143 path.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildCet,
  cetSighash,
  cetSighashFn,
  fundingScript,
  type CetSighashParams,
} from '../../src/dlc/transactions.ts';

const key = (i: number): Uint8Array =>
  secp256k1.getPublicKey(
    Uint8Array.from({ length: 32 }, () => i),
    true,
  );
const script = fundingScript(key(1), key(2));

/** Amounts are signed 64-bit in a transaction: both paths refuse more (other messages). */
const I64_MAX = (1n << 63n) - 1n;

const spkArb = fc.oneof(
  fc.constant(Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(7))),
  fc.uint8Array({ minLength: 0, maxLength: 300 }), // any script, long ones need a 3-byte length
);
const amountArb = fc.oneof(
  fc.bigInt({ min: 0n, max: 2_000n }), // around the 1,000 sat dust limit
  fc.bigInt({ min: 0n, max: I64_MAX }),
);
const paramsArb = fc.record({
  fundingTxid: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  fundOutputIndex: fc.nat({ max: 0xffffffff }),
  fundOutputValue: fc.bigInt({ min: 0n, max: I64_MAX }),
  fundingScript: fc.constant(script),
  offerPayoutSpk: spkArb,
  acceptPayoutSpk: spkArb,
  offerPayoutSerialId: fc.bigInt({ min: 0n, max: 1000n }),
  acceptPayoutSerialId: fc.bigInt({ min: 0n, max: 1000n }),
  cetLocktime: fc.nat({ max: 0xffffffff }),
});

/** The result of a call, or the error's class and message. */
function outcome(f: () => Uint8Array): Uint8Array | string {
  try {
    return f();
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

describe('cetSighashFn', () => {
  it('is cetSighash(buildCet(…)) for any payouts, scripts, serial ids and locktime', () => {
    fc.assert(
      fc.property(paramsArb, amountArb, amountArb, (p: CetSighashParams, offer, accept) => {
        const reference = outcome(() =>
          cetSighash(
            buildCet({ ...p, offerPayout: offer, acceptPayout: accept }),
            p.fundingScript,
            p.fundOutputValue,
          ),
        );
        const fast = outcome(() => cetSighashFn(p)(offer, accept));
        expect(fast).toEqual(reference);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses amounts beyond an i64, as the transaction encoder does', () => {
    const p: CetSighashParams = {
      fundingTxid: '22'.repeat(32),
      fundOutputIndex: 0,
      fundOutputValue: 10_000n,
      fundingScript: script,
      offerPayoutSpk: Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(1)),
      acceptPayoutSpk: Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(2)),
      offerPayoutSerialId: 1n,
      acceptPayoutSerialId: 2n,
      cetLocktime: 0,
    };
    const big = I64_MAX + 1n;
    expect(() => buildCet({ ...p, offerPayout: big, acceptPayout: 0n })).toThrow();
    expect(() => cetSighashFn(p)(big, 0n)).toThrow(RangeError);
    expect(() => cetSighashFn({ ...p, fundOutputValue: big })).toThrow(RangeError);
  });

  it('gives each CET its own digest when one function serves many payouts', () => {
    const p: CetSighashParams = {
      fundingTxid: '11'.repeat(32),
      fundOutputIndex: 1,
      fundOutputValue: 1_002_000n,
      fundingScript: script,
      offerPayoutSpk: Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(1)),
      acceptPayoutSpk: Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(2)),
      offerPayoutSerialId: 9n,
      acceptPayoutSerialId: 3n,
      cetLocktime: 500_000_000,
    };
    const fn = cetSighashFn(p);
    for (const offer of [0n, 999n, 1_000n, 500_000n, 999_000n, 1_000_000n]) {
      const accept = 1_000_000n - offer;
      expect(fn(offer, accept)).toEqual(
        cetSighash(
          buildCet({ ...p, offerPayout: offer, acceptPayout: accept }),
          script,
          p.fundOutputValue,
        ),
      );
    }
  });
});
