import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  closingTxWeight,
  contractFees,
  feeForWeight,
  fundingTxWeight,
  partyClosingWeight,
  partyFees,
  partyFundingWeight,
  type FeeInput,
} from '../../src/dlc/fees.ts';
import { big, loadVectorEntries } from '../helpers/vectors.ts';

interface FeeVector {
  inputs: {
    offerInputs: FeeInput[];
    offerPayoutSPKLen: number;
    offerChangeSPKLen: number;
    acceptInputs: FeeInput[];
    acceptPayoutSPKLen: number;
    acceptChangeSPKLen: number;
    feeRate: unknown;
  };
  offerFundingFee: unknown;
  offerClosingFee: unknown;
  acceptFundingFee: unknown;
  acceptClosingFee: unknown;
}

// Every dlc_fee_test*.json file (not the _scripts helper file).
const vectors = loadVectorEntries<FeeVector>('fee');
const cases = vectors.map((x) => ({ name: x.name, v: x.entry }));

describe('dlcspecs dlc_fee_test.json', () => {
  it('has entries', () => expect(vectors.length).toBeGreaterThan(100));

  it.each(cases)('$name: offer and accept funding/closing fees', ({ v }) => {
    const feeRatePerVb = big(v.inputs.feeRate);
    const offer = partyFees({
      inputs: v.inputs.offerInputs,
      changeSpkLen: v.inputs.offerChangeSPKLen,
      payoutSpkLen: v.inputs.offerPayoutSPKLen,
      feeRatePerVb,
    });
    const accept = partyFees({
      inputs: v.inputs.acceptInputs,
      changeSpkLen: v.inputs.acceptChangeSPKLen,
      payoutSpkLen: v.inputs.acceptPayoutSPKLen,
      feeRatePerVb,
    });
    expect(offer).toEqual({
      fundingFee: big(v.offerFundingFee),
      closingFee: big(v.offerClosingFee),
    });
    expect(accept).toEqual({
      fundingFee: big(v.acceptFundingFee),
      closingFee: big(v.acceptClosingFee),
    });
    // Both parties bring inputs: contractFees is the spec's split.
    const both = contractFees({
      offer: {
        inputs: v.inputs.offerInputs,
        changeSpkLen: v.inputs.offerChangeSPKLen,
        payoutSpkLen: v.inputs.offerPayoutSPKLen,
      },
      accept: {
        inputs: v.inputs.acceptInputs,
        changeSpkLen: v.inputs.acceptChangeSPKLen,
        payoutSpkLen: v.inputs.acceptPayoutSPKLen,
      },
      feeRatePerVb,
    });
    expect(both).toEqual({ offer, accept, singleFunder: null });
  });
});

const feeInput = fc.record({
  redeemScriptLen: fc.constantFrom(0, 22, 34),
  maxWitnessLen: fc.integer({ min: 0, max: 600 }),
});
const spkLen = fc.constantFrom(22, 23, 25, 34);
const party = fc.record({
  inputs: fc.array(feeInput, { minLength: 1, maxLength: 5 }),
  changeSpkLen: spkLen,
  payoutSpkLen: spkLen,
});
const feeRate = fc.bigInt({ min: 0n, max: 1000n });

describe('fee laws', () => {
  it('per-party weights add up to the whole-transaction weights', () => {
    fc.assert(
      fc.property(party, party, (a, b) => {
        expect(
          partyFundingWeight(a.inputs, a.changeSpkLen) +
            partyFundingWeight(b.inputs, b.changeSpkLen),
        ).toBe(fundingTxWeight([...a.inputs, ...b.inputs], [a.changeSpkLen, b.changeSpkLen]));
        expect(partyClosingWeight(a.payoutSpkLen) + partyClosingWeight(b.payoutSpkLen)).toBe(
          closingTxWeight([a.payoutSpkLen, b.payoutSpkLen]),
        );
      }),
    );
  });

  it('single-funded: the funder pays the whole-transaction fees, the other party nothing', () => {
    fc.assert(
      fc.property(party, party, feeRate, fc.boolean(), (funder, other, rate, offerFunds) => {
        const empty = { ...other, inputs: [] };
        const fees = contractFees(
          offerFunds
            ? { offer: funder, accept: empty, feeRatePerVb: rate }
            : { offer: empty, accept: funder, feeRatePerVb: rate },
        );
        const paying = offerFunds ? fees.offer : fees.accept;
        const free = offerFunds ? fees.accept : fees.offer;
        expect(fees.singleFunder).toBe(offerFunds ? 'offer' : 'accept');
        expect(free).toEqual({ fundingFee: 0n, closingFee: 0n });
        // One change output (the funder's), the funder's inputs, both payout outputs.
        expect(paying.fundingFee).toBe(
          feeForWeight(fundingTxWeight(funder.inputs, [funder.changeSpkLen]), rate),
        );
        expect(paying.closingFee).toBe(
          feeForWeight(closingTxWeight([funder.payoutSpkLen, other.payoutSpkLen]), rate),
        );
        // Never less than the dual-funded spec share of the closing reserve (node-dlc's bug).
        const ownShare = partyFees({ ...funder, feeRatePerVb: rate });
        const otherShare = partyFees({ ...other, feeRatePerVb: rate });
        expect(paying.closingFee).toBeGreaterThanOrEqual(ownShare.closingFee);
        expect(paying.closingFee + rate).toBeGreaterThanOrEqual(
          ownShare.closingFee + otherShare.closingFee,
        );
      }),
    );
  });

  it('rejects a contract in which nobody brings inputs', () => {
    expect(() =>
      contractFees({
        offer: { inputs: [], changeSpkLen: 22, payoutSpkLen: 22 },
        accept: { inputs: [], changeSpkLen: 22, payoutSpkLen: 22 },
        feeRatePerVb: 1n,
      }),
    ).toThrow(RangeError);
  });

  it('rejects negative fee rates and lengths', () => {
    expect(() => feeForWeight(100, -1n)).toThrow(RangeError);
    expect(() => partyClosingWeight(-1)).toThrow(RangeError);
  });
});
