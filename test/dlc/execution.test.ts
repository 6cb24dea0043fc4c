/**
 * A complete in-memory contract between a client (offerer) and a freelancer (accepter) on Verdict
 * announcements (tagged convention): both adaptor-signature sets created and verified, then for
 * every outcome of the enum milestone event and for shares 0, 1, 37, 99, 100 the oracle attests,
 * each party completes the CET, and the witness verifies against the funding script (BIP143
 * sighash + ECDSA for both keys). The refund too. Single- and dual-funded. Then multi-oracle
 * execution (subset selection, disagreement, silence) and the error paths.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Transaction } from '@scure/btc-signer';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  generateOracleMnemonic,
  oracleKeysFromMnemonic,
  type OracleKeys,
} from '../../src/crypto/oracle-keys.ts';
import {
  adaptorSigningItems,
  createAdaptorSignatures,
  InvalidCetAdaptorSignaturesError,
  verifyAdaptorSignatures,
} from '../../src/dlc/adaptor-set.ts';
import { createAnnouncement } from '../../src/dlc/announcement.ts';
import { createAttestation } from '../../src/dlc/attestation.ts';
import type { ContractInfo } from '../../src/dlc/contract.ts';
import {
  completeRefund,
  executeContract,
  InvalidRefundSignatureError,
  NoMatchingCetError,
  selectCet,
  signRefund,
  verifyRefundSignature,
} from '../../src/dlc/execution.ts';
import type { OracleAnnouncement } from '../../src/dlc/oracle-types.ts';
import {
  freelancerPayoutForShare,
  milestoneEnumDescriptor,
  shareContractDescriptor,
  SHARE_EVENT_BASE,
  SHARE_EVENT_NB_DIGITS,
} from '../../src/dlc/share-contract.ts';
import {
  cetSighash,
  fundingScriptPubkeys,
  fundingSpk,
  type FundingTransaction,
} from '../../src/dlc/transactions.ts';
import { twoPartyContract, type FundingMode, type TwoPartyContract } from '../helpers/two-party.ts';

const AMOUNT = 1_000_000n;
const MATURITY = 1_790_000_000;

let oracle: OracleKeys;
let enumAnnouncement: OracleAnnouncement;
let shareAnnouncement: OracleAnnouncement;

beforeAll(() => {
  oracle = oracleKeysFromMnemonic(generateOracleMnemonic());
  enumAnnouncement = createAnnouncement(oracle, {
    eventId: 'verdict/c1/0/0123456789abcdef',
    maturityEpochSec: MATURITY,
    descriptor: { kind: 'enum', outcomes: ['accepted', 'rejected'] },
  });
  shareAnnouncement = createAnnouncement(oracle, {
    eventId: 'verdict/c1/1/fedcba9876543210',
    maturityEpochSec: MATURITY,
    descriptor: {
      kind: 'digits',
      base: SHARE_EVENT_BASE,
      isSigned: false,
      unit: 'percent',
      precision: 0,
      nbDigits: SHARE_EVENT_NB_DIGITS,
    },
  });
});

/**
 * Checks a signed CET/refund against the funding output: witness `[<>, sig(pk1), sig(pk2),
 * script]`, the script hashing to the funding output's P2WSH program, both DER signatures +
 * SIGHASH_ALL valid (low s) over the BIP143 sighash for the keys in script order.
 */
function expectSpendsFundingOutput(tx: Transaction, funding: FundingTransaction): void {
  const witness = tx.getInput(0).finalScriptWitness ?? [];
  expect(witness).toHaveLength(4);
  const [empty, sig1, sig2, script] = witness as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  expect(empty).toHaveLength(0);
  expect(bytesToHex(script)).toBe(bytesToHex(funding.fundingScript));
  const fundOutput = funding.tx.getOutput(funding.fundOutputIndex);
  expect(bytesToHex(fundOutput.script ?? new Uint8Array())).toBe(bytesToHex(fundingSpk(script)));
  expect(fundOutput.amount).toBe(funding.fundOutputValue);
  expect(bytesToHex(tx.getInput(0).txid ?? new Uint8Array())).toBe(funding.txid);
  expect(tx.getInput(0).index).toBe(funding.fundOutputIndex);
  const digest = cetSighash(tx, script, funding.fundOutputValue);
  const [pk1, pk2] = fundingScriptPubkeys(script);
  for (const [sig, pk] of [
    [sig1, pk1],
    [sig2, pk2],
  ] as const) {
    expect(sig[sig.length - 1]).toBe(0x01); // SIGHASH_ALL
    const compact = secp256k1.Signature.fromBytes(sig.subarray(0, -1), 'der').toBytes('compact');
    expect(secp256k1.verify(compact, digest, pk, { prehash: false, lowS: true })).toBe(true);
  }
}

/** The amounts paid to each payout script. */
function paidTo(tx: Transaction, spk: Uint8Array): bigint {
  let sum = 0n;
  for (let i = 0; i < tx.outputsLength; i++) {
    const o = tx.getOutput(i);
    if (o.script !== undefined && bytesToHex(o.script) === bytesToHex(spk)) sum += o.amount ?? 0n;
  }
  return sum;
}
const afterDust = (v: bigint): bigint => (v < 1000n ? 0n : v);

interface Signed {
  c: TwoPartyContract;
  info: ContractInfo;
  clientSigs: Uint8Array[];
  freelancerSigs: Uint8Array[];
}

/** Both parties sign their sets and check the other's, as in accept_dlc / sign_dlc. */
function negotiate(info: ContractInfo, mode: FundingMode): Signed {
  const c = twoPartyContract(info, 'tagged', mode);
  const items = adaptorSigningItems(c.contract);
  const progress: number[] = [];
  const freelancerSigs = createAdaptorSignatures(c.freelancer.secretKey, items, (done, total) => {
    expect(total).toBe(items.length);
    progress.push(done);
  });
  expect(progress).toEqual(items.map((_, i) => i + 1));
  expect(verifyAdaptorSignatures(c.freelancer.pubkey, items, freelancerSigs)).toEqual({ ok: true });
  const clientSigs = createAdaptorSignatures(c.client.secretKey, items);
  expect(verifyAdaptorSignatures(c.client.pubkey, items, clientSigs)).toEqual({ ok: true });
  return { c, info, clientSigs, freelancerSigs };
}

function execute(
  s: Signed,
  attestation: ReturnType<typeof createAttestation>,
  by: 'client' | 'freelancer',
) {
  const own = by === 'client' ? s.c.client : s.c.freelancer;
  const other = by === 'client' ? s.c.freelancer : s.c.client;
  return executeContract({
    contractInfo: s.info,
    contract: s.c.contract,
    convention: 'tagged',
    attestations: [attestation],
    counterpartyAdaptorSignatures: by === 'client' ? s.freelancerSigs : s.clientSigs,
    fundingScript: s.c.funding.fundingScript,
    fundOutputValue: s.c.funding.fundOutputValue,
    ownFundingSecretKey: own.secretKey,
    counterpartyFundingPubkey: other.pubkey,
  });
}

const single = (
  descriptor: ContractInfo['parts'][number]['descriptor'],
  announcement: OracleAnnouncement,
): ContractInfo => ({
  kind: 'single',
  totalCollateral: AMOUNT,
  parts: [{ descriptor, oracleInfo: { kind: 'single', announcement } }],
});

describe.each(['single-funded', 'dual-funded'] as const)('two-party contract, %s', (mode) => {
  it('funding: single-funded has only the client’s input, dual-funded both', () => {
    const c = twoPartyContract(
      single(milestoneEnumDescriptor(AMOUNT, true), enumAnnouncement),
      'tagged',
      mode,
    );
    expect(c.funding.inputs.map((i) => i.party).sort()).toEqual(
      mode === 'single-funded' ? ['offer'] : ['accept', 'offer'],
    );
    expect(c.offerCollateral + c.acceptCollateral).toBe(AMOUNT);
  });

  describe('enum milestone (accepted / rejected)', () => {
    let s: Signed;
    beforeAll(() => {
      s = negotiate(single(milestoneEnumDescriptor(AMOUNT, true), enumAnnouncement), mode);
    });

    it.each(['accepted', 'rejected'])('%s: both parties can complete the CET', (outcome) => {
      const attestation = createAttestation(oracle, enumAnnouncement, outcome);
      for (const by of ['client', 'freelancer'] as const) {
        const { tx, cet, selection } = execute(s, attestation, by);
        expect(cet.outcome).toEqual({ kind: 'enum', outcome });
        expect(selection.oracleIndices).toEqual([0]);
        expectSpendsFundingOutput(tx, s.c.funding);
        expect(tx.id).toBe(cet.tx.id);
        const freelancerGets = outcome === 'accepted' ? AMOUNT : 0n;
        expect(paidTo(tx, s.c.freelancer.payoutSpk)).toBe(freelancerGets);
        expect(paidTo(tx, s.c.client.payoutSpk)).toBe(AMOUNT - freelancerGets);
      }
    });

    it('refund: each party signs, the other verifies, either completes it', () => {
      const { c } = s;
      const args = [c.refundTx, c.funding.fundingScript, c.funding.fundOutputValue] as const;
      const clientSig = signRefund(...args, c.client.secretKey);
      const freelancerSig = signRefund(...args, c.freelancer.secretKey);
      expect(verifyRefundSignature(...args, clientSig, c.client.pubkey)).toBe(true);
      expect(verifyRefundSignature(...args, freelancerSig, c.freelancer.pubkey)).toBe(true);
      expect(verifyRefundSignature(...args, freelancerSig, c.client.pubkey)).toBe(false);
      const byClient = completeRefund({
        refundTx: c.refundTx,
        fundingScript: c.funding.fundingScript,
        fundOutputValue: c.funding.fundOutputValue,
        ownFundingSecretKey: c.client.secretKey,
        counterpartyFundingPubkey: c.freelancer.pubkey,
        counterpartyRefundSignature: freelancerSig,
      });
      expectSpendsFundingOutput(byClient, c.funding);
      expect(byClient.lockTime).toBe(c.refundTx.lockTime);
      expect(paidTo(byClient, c.client.payoutSpk)).toBe(c.offerCollateral);
      expect(paidTo(byClient, c.freelancer.payoutSpk)).toBe(afterDust(c.acceptCollateral));
      expect(() =>
        completeRefund({
          refundTx: c.refundTx,
          fundingScript: c.funding.fundingScript,
          fundOutputValue: c.funding.fundOutputValue,
          ownFundingSecretKey: c.freelancer.secretKey,
          counterpartyFundingPubkey: c.client.pubkey,
          counterpartyRefundSignature: freelancerSig,
        }),
      ).toThrow(InvalidRefundSignatureError);
    });
  });

  describe('share milestone', () => {
    let s: Signed;
    beforeAll(() => {
      s = negotiate(single(shareContractDescriptor(AMOUNT, true), shareAnnouncement), mode);
    });

    it.each([0, 1, 37, 99, 100])('share %i: both parties can complete the CET', (share) => {
      const attestation = createAttestation(oracle, shareAnnouncement, BigInt(share));
      const freelancerGets = freelancerPayoutForShare(AMOUNT, share);
      for (const by of ['client', 'freelancer'] as const) {
        const { tx, cet } = execute(s, attestation, by);
        expect(cet.outcome.kind === 'numeric' && cet.outcome.start <= BigInt(share)).toBe(true);
        expect(cet.outcome.kind === 'numeric' && cet.outcome.end >= BigInt(share)).toBe(true);
        expect(cet.acceptPayout).toBe(freelancerGets);
        expectSpendsFundingOutput(tx, s.c.funding);
        expect(paidTo(tx, s.c.freelancer.payoutSpk)).toBe(afterDust(freelancerGets));
        expect(paidTo(tx, s.c.client.payoutSpk)).toBe(afterDust(AMOUNT - freelancerGets));
      }
    });

    it('a tampered counterparty signature is reported with its index', () => {
      const attestation = createAttestation(oracle, shareAnnouncement, 37n);
      const { selection } = execute(s, attestation, 'client');
      const tampered = s.freelancerSigs.slice();
      const bad = Uint8Array.from(tampered[selection.adaptorIndex]!);
      bad[100] = (bad[100] ?? 0) ^ 1;
      tampered[selection.adaptorIndex] = bad;
      let error: unknown;
      try {
        execute({ ...s, freelancerSigs: tampered }, attestation, 'client');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidCetAdaptorSignaturesError);
      expect(error).toMatchObject({
        code: 'invalid_cet_adaptor_signature',
        index: selection.adaptorIndex,
      });
      const items = adaptorSigningItems(s.c.contract);
      expect(verifyAdaptorSignatures(s.c.freelancer.pubkey, items, tampered)).toEqual({
        ok: false,
        index: selection.adaptorIndex,
        reason: 'invalid',
      });
    });
  });
});

describe('multi-oracle execution (tagged)', () => {
  let oracles: OracleKeys[];
  let enumAnns: OracleAnnouncement[];
  let digitAnns: OracleAnnouncement[];
  beforeAll(() => {
    oracles = [0, 1, 2].map(() => oracleKeysFromMnemonic(generateOracleMnemonic()));
    enumAnns = oracles.map((k, i) =>
      createAnnouncement(k, {
        eventId: `multi/enum/${i}`,
        maturityEpochSec: MATURITY,
        descriptor: { kind: 'enum', outcomes: ['accepted', 'rejected'] },
      }),
    );
    digitAnns = oracles.map((k, i) =>
      createAnnouncement(k, {
        eventId: `multi/digits/${i}`,
        maturityEpochSec: MATURITY,
        descriptor: {
          kind: 'digits',
          base: 2,
          isSigned: false,
          unit: 'x',
          precision: 0,
          nbDigits: 3,
        },
      }),
    );
  });

  const multi = (
    descriptor: ContractInfo['parts'][number]['descriptor'],
    announcements: OracleAnnouncement[],
  ): ContractInfo => ({
    kind: 'single',
    totalCollateral: AMOUNT,
    parts: [{ descriptor, oracleInfo: { kind: 'multi', threshold: 2, announcements } }],
  });

  it('2-of-3 enum: picks the first subset that attested the same outcome; silence and disagreement', () => {
    const s = negotiate(multi(milestoneEnumDescriptor(AMOUNT, true), enumAnns), 'single-funded');
    // 2 outcomes × C(3,2) subsets.
    expect(s.c.contract.adaptorPoints).toHaveLength(6);
    const [a0, a1, a2] = [
      createAttestation(oracles[0]!, enumAnns[0]!, 'accepted'),
      createAttestation(oracles[1]!, enumAnns[1]!, 'rejected'),
      createAttestation(oracles[2]!, enumAnns[2]!, 'accepted'),
    ];
    const sel = selectCet(s.info, s.c.contract.adaptorPoints, [a1, a2, a0], 'tagged');
    expect(sel.oracleIndices).toEqual([0, 2]);
    expect(sel.cetIndex).toBe(0);
    const { tx } = executeContract({
      contractInfo: s.info,
      contract: s.c.contract,
      convention: 'tagged',
      attestations: [a0, a1, a2],
      counterpartyAdaptorSignatures: s.clientSigs,
      fundingScript: s.c.funding.fundingScript,
      fundOutputValue: s.c.funding.fundOutputValue,
      ownFundingSecretKey: s.c.freelancer.secretKey,
      counterpartyFundingPubkey: s.c.client.pubkey,
    });
    expectSpendsFundingOutput(tx, s.c.funding);
    expect(paidTo(tx, s.c.freelancer.payoutSpk)).toBe(AMOUNT);
    // One oracle alone, or two disagreeing ones, unlock nothing.
    expect(() => selectCet(s.info, s.c.contract.adaptorPoints, [a0], 'tagged')).toThrow(
      NoMatchingCetError,
    );
    expect(() => selectCet(s.info, s.c.contract.adaptorPoints, [a0, a1], 'tagged')).toThrow(
      NoMatchingCetError,
    );
    // Attestations under another convention than the contract's are not accepted.
    expect(() => selectCet(s.info, s.c.contract.adaptorPoints, [a0, a2], 'sha256')).toThrow(
      NoMatchingCetError,
    );
  });

  it('2-of-3 numeric (3 binary digits): oracles that agree on the prefix unlock the CET', () => {
    const descriptor = {
      kind: 'numeric' as const,
      nbDigits: 3,
      payoutFunction: {
        payoutFunctionPieces: [
          {
            kind: 'polynomial' as const,
            payoutPoints: [
              { eventOutcome: 0n, outcomePayout: 0n, extraPrecision: 0 },
              { eventOutcome: 3n, outcomePayout: AMOUNT, extraPrecision: 0 },
            ],
          },
          {
            kind: 'polynomial' as const,
            payoutPoints: [
              { eventOutcome: 3n, outcomePayout: AMOUNT, extraPrecision: 0 },
              { eventOutcome: 7n, outcomePayout: AMOUNT, extraPrecision: 0 },
            ],
          },
        ],
      },
      roundingIntervals: [{ beginInterval: 0n, roundingMod: 1n }],
    };
    const s = negotiate(multi(descriptor, digitAnns), 'dual-funded');
    // Oracle 0 says 5, oracle 1 says 6, oracle 2 is silent: both are in the flat range [3, 7]
    // whose prefixes are "011" and "1", so subset [0, 1] unlocks the prefix "1".
    const atts = [
      createAttestation(oracles[0]!, digitAnns[0]!, 5n),
      createAttestation(oracles[1]!, digitAnns[1]!, 6n),
    ];
    const sel = selectCet(s.info, s.c.contract.adaptorPoints, atts, 'tagged');
    expect(sel.oracleIndices).toEqual([0, 1]);
    const entry = s.c.contract.adaptorPoints[sel.adaptorIndex]!;
    expect(entry.match).toEqual({ kind: 'numeric', prefix: [1] });
    const { tx } = executeContract({
      contractInfo: s.info,
      contract: s.c.contract,
      convention: 'tagged',
      attestations: atts,
      counterpartyAdaptorSignatures: s.freelancerSigs,
      fundingScript: s.c.funding.fundingScript,
      fundOutputValue: s.c.funding.fundOutputValue,
      ownFundingSecretKey: s.c.client.secretKey,
      counterpartyFundingPubkey: s.c.freelancer.pubkey,
    });
    expectSpendsFundingOutput(tx, s.c.funding);
    expect(paidTo(tx, s.c.client.payoutSpk)).toBe(AMOUNT);
    // 2 and 5 are in different ranges: no subset agrees.
    const split = [
      createAttestation(oracles[0]!, digitAnns[0]!, 1n),
      createAttestation(oracles[2]!, digitAnns[2]!, 5n),
    ];
    expect(() => selectCet(s.info, s.c.contract.adaptorPoints, split, 'tagged')).toThrow(
      NoMatchingCetError,
    );
  });
});
