/**
 * The pure protocol (`src/dlc/protocol.ts`):
 * - against every dlcspecs protocol-v1 vector (made by rust-dlc, oracle convention `sha256`): the
 *   vector's accept_dlc passes `verifyAccept` (refund signature and every CET adaptor
 *   signature over our CETs) and its sign_dlc passes `verifySign` (contract id, refund and
 *   adaptor signatures, funding witnesses); contracts with an allowed oracle difference are refused
 *   as unsupported, the two known-wrong disjoint vectors as invalid. One case per file.
 * - a full single- and dual-funded round trip in memory with a Verdict oracle (tagged), executing
 *   every enum outcome, and the refusals that need no chain.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { RawTx } from '@scure/btc-signer';
import { describe, expect, it } from 'vitest';
import { generateOracleMnemonic, oracleKeysFromMnemonic } from '../../src/crypto/oracle-keys.ts';
import { createAnnouncement } from '../../src/dlc/announcement.ts';
import { createAttestation } from '../../src/dlc/attestation.ts';
import { InvalidCetAdaptorSignaturesError } from '../../src/dlc/adaptor-set.ts';
import { UnsupportedContractError, type ContractInfo } from '../../src/dlc/contract.ts';
import { fundingInputPrevout, hash160, type FundingInput } from '../../src/dlc/funding-input.ts';
import {
  decodeAcceptDlc,
  decodeOfferDlc,
  decodeSignDlc,
  type OfferDlc,
} from '../../src/dlc/messages.ts';
import {
  acceptOffer,
  ContractTermsMismatchError,
  createOffer,
  executeCet,
  finalizeSign,
  fundingInputOutpoints,
  InvalidAttestationError,
  InvalidFundingSignatureError,
  outpointKey,
  signAccept,
  signRefund,
  verifyAccept,
  verifySign,
  type DlcTerms,
  type PartySide,
  type UtxoLookup,
} from '../../src/dlc/protocol.ts';
import { milestoneEnumDescriptor } from '../../src/dlc/share-contract.ts';
import { loadVector, vectorFiles } from '../helpers/vectors.ts';

interface Vector {
  offer_message: { serialized: string };
  accept_message: { serialized: string };
  sign_message: { serialized: string };
}

/** "The chain" for inputs that exist: each outpoint unspent with the value its prevtx claims. */
function chainOf(inputs: readonly FundingInput[]): UtxoLookup {
  return new Map(
    inputs.map((input) => {
      const p = fundingInputPrevout(input);
      return [
        outpointKey(bytesToHex(p.txid), p.index),
        { valueSat: p.amount, scriptPubKey: p.script },
      ] as const;
    }),
  );
}

const files = vectorFiles('protocol-v1').map((f) => f.replace(/^.*\//, ''));

describe('protocol-v1 vectors: accept_dlc and sign_dlc verify', () => {
  it.each(files)(
    '%s',
    (file) => {
      const v = loadVector<Vector>(`dlcspecs/test/test_vectors/${file}`);
      const offer = decodeOfferDlc(hexToBytes(v.offer_message.serialized));
      const accept = decodeAcceptDlc(hexToBytes(v.accept_message.serialized));
      const sign = decodeSignDlc(hexToBytes(v.sign_message.serialized));
      const params = {
        offer,
        accept,
        convention: 'sha256' as const,
        utxos: chainOf(accept.fundingInputs),
      };
      if (file.includes('with_diff')) {
        expect(() => verifyAccept(params)).toThrow(UnsupportedContractError);
        return;
      }
      if (/^enum_and_numerical_\d/.test(file)) {
        // Known-wrong upstream data (shared/vectors/README.md, test/dlc/protocol-v1-adaptor.test.ts):
        // part 2's adaptor signatures of these disjoint vectors are not over the spec's CETs, so
        // a verifying accepter must refuse them.
        expect(() => verifyAccept(params)).toThrow(InvalidCetAdaptorSignaturesError);
        return;
      }
      const contract = verifyAccept(params);
      expect(bytesToHex(contract.contractId)).toBe(bytesToHex(sign.contractId));
      verifySign({ offer, accept, sign, convention: 'sha256' });
    },
    120_000,
  );
});

// ---------------------------------------------------------------------------------------------
// In-memory round trip

const oracle = oracleKeysFromMnemonic(generateOracleMnemonic());
const announcement = createAnnouncement(oracle, {
  eventId: 'verdict/test/0/0123456789abcdef',
  maturityEpochSec: 1_800_000_000,
  descriptor: { kind: 'enum', outcomes: ['accepted', 'rejected'] },
});
const CHAIN = new Uint8Array(32).fill(6);
const AMOUNT = 150_000n;

function key(seed: number): { sk: Uint8Array; spk: Uint8Array } {
  const sk = new Uint8Array(32).fill(seed);
  const pk = secp256k1.getPublicKey(sk, true);
  return { sk, spk: Uint8Array.of(0x00, 0x14, ...hash160(pk)) };
}

/** A coin of `valueSat` paying to `spk`, in a made-up previous transaction. */
function coin(spk: Uint8Array, valueSat: bigint, serial: bigint): FundingInput {
  const prevTx = RawTx.encode({
    version: 2,
    segwitFlag: false,
    inputs: [
      {
        txid: new Uint8Array(32).fill(Number(serial)),
        index: 0,
        finalScriptSig: new Uint8Array(0),
        sequence: 0xffffffff,
      },
    ],
    outputs: [{ amount: valueSat, script: spk }],
    witnesses: undefined,
    lockTime: 0,
  });
  return {
    inputSerialId: serial,
    prevTx,
    prevTxVout: 0,
    sequence: 0xffffffff,
    maxWitnessLen: 107,
    redeemScript: new Uint8Array(0),
  };
}

function side(seed: number, inputs: FundingInput[], wallet: { sk: Uint8Array }): PartySide {
  const payout = key(seed + 1);
  return {
    fundingSecretKey: key(seed).sk,
    payoutSpk: payout.spk,
    payoutSerialId: BigInt(seed) * 10n + 1n,
    changeSpk: key(seed + 2).spk,
    changeSerialId: BigInt(seed) * 10n + 2n,
    inputs,
    inputSecretKey: () => wallet.sk,
  };
}

function setup(dual: boolean) {
  const clientWallet = key(40);
  const freelancerWallet = key(50);
  const offerCollateral = dual ? 100_000n : AMOUNT;
  const contractInfo: ContractInfo = {
    kind: 'single',
    totalCollateral: AMOUNT,
    parts: [
      {
        descriptor: milestoneEnumDescriptor(AMOUNT, true),
        oracleInfo: { kind: 'single', announcement },
      },
    ],
  };
  const client = side(10, [coin(clientWallet.spk, 400_000n, 3n)], clientWallet);
  const freelancer = side(
    20,
    dual ? [coin(freelancerWallet.spk, 90_000n, 7n)] : [],
    freelancerWallet,
  );
  const offer = createOffer({
    chainHash: CHAIN,
    temporaryContractId: new Uint8Array(32).fill(9),
    contractInfo,
    offerCollateral,
    side: client,
    fundOutputSerialId: 5n,
    feeRatePerVb: 2n,
  });
  const terms: DlcTerms = {
    chainHash: CHAIN,
    oraclePublicKey: oracle.publicKey,
    eventId: announcement.event.eventId,
    convention: 'tagged',
    descriptor: milestoneEnumDescriptor(AMOUNT, true),
    totalCollateral: AMOUNT,
    offerCollateral,
    feeRatePerVb: 2n,
  };
  return { offer, terms, client, freelancer };
}

describe('in-memory round trip', () => {
  it.each([
    ['single-funded', false],
    ['dual-funded', true],
  ])(
    '%s: offer → accept → sign → funding; each outcome executes; the refund completes',
    (_name, dual) => {
      const { offer, terms, client, freelancer } = setup(dual);
      const { accept } = acceptOffer({
        offer,
        terms,
        utxos: chainOf(offer.fundingInputs),
        side: freelancer,
      });
      const { sign } = signAccept({
        offer,
        accept,
        convention: 'tagged',
        utxos: chainOf(accept.fundingInputs),
        side: client,
      });
      const { fundingTx, contract } = finalizeSign({
        offer,
        accept,
        sign,
        convention: 'tagged',
        side: freelancer,
      });
      expect(fundingTx.id).toBe(contract.funding.txid);
      expect(fundingTx.inputsLength).toBe(dual ? 2 : 1);
      // Refund: each party's collateral (dual) or all to the client (single).
      const refund = signRefund({
        contract,
        role: 'accept',
        fundingSecretKey: freelancer.fundingSecretKey,
        counterpartyRefundSignature: sign.refundSignature,
      });
      expect(refund.outputsLength).toBe(dual ? 2 : 1);
      for (const [outcome, freelancerPayout] of [
        ['accepted', AMOUNT],
        ['rejected', 0n],
      ] as const) {
        const att = createAttestation(oracle, announcement, outcome);
        const byFreelancer = executeCet({
          contract,
          role: 'accept',
          fundingSecretKey: freelancer.fundingSecretKey,
          counterpartyAdaptorSignatures: sign.cetAdaptorSignatures,
          attestations: [att],
        });
        const byClient = executeCet({
          contract,
          role: 'offer',
          fundingSecretKey: client.fundingSecretKey,
          counterpartyAdaptorSignatures: accept.cetAdaptorSignatures,
          attestations: [att],
        });
        expect(byFreelancer.tx.id).toBe(byClient.tx.id);
        const amounts = Array.from(
          { length: byClient.tx.outputsLength },
          (_, i) => byClient.tx.getOutput(i).amount,
        );
        // The whole amount goes to one side; the other output (0 sat) is omitted.
        expect(amounts).toEqual([AMOUNT]);
        const paidTo = bytesToHex(byClient.tx.getOutput(0).script!);
        expect(paidTo).toBe(
          bytesToHex(freelancerPayout > 0n ? freelancer.payoutSpk : client.payoutSpk),
        );
      }
    },
  );

  it('refuses an attestation of another event, a sign with a wrong witness or for another contract', () => {
    const { offer, terms, client, freelancer } = setup(false);
    const { accept } = acceptOffer({
      offer,
      terms,
      utxos: chainOf(offer.fundingInputs),
      side: freelancer,
    });
    const { sign, contract } = signAccept({
      offer,
      accept,
      convention: 'tagged',
      utxos: new Map(),
      side: client,
    });
    const other = createAnnouncement(oracle, {
      ...announcement.event,
      eventId: 'verdict/other/0/0',
    });
    expect(() =>
      executeCet({
        contract,
        role: 'accept',
        fundingSecretKey: freelancer.fundingSecretKey,
        counterpartyAdaptorSignatures: sign.cetAdaptorSignatures,
        attestations: [createAttestation(oracle, other, 'accepted')],
      }),
    ).toThrow(InvalidAttestationError);
    const witness = sign.fundingSignatures[0]!;
    const badWitness = {
      ...sign,
      fundingSignatures: [[witness[0]!.map((b, i) => (i === 10 ? b ^ 1 : b)), witness[1]!]],
    };
    expect(() =>
      finalizeSign({ offer, accept, sign: badWitness, convention: 'tagged', side: freelancer }),
    ).toThrow(InvalidFundingSignatureError);
    const otherId = { ...sign, contractId: new Uint8Array(32) };
    expect(() =>
      finalizeSign({ offer, accept, sign: otherId, convention: 'tagged', side: freelancer }),
    ).toThrow(ContractTermsMismatchError);
  });

  it('lists the outpoints the caller must look up', () => {
    const { offer } = setup(false);
    const [o] = fundingInputOutpoints(offer.fundingInputs);
    expect(o!.vout).toBe(0);
    expect(chainOf(offer.fundingInputs).has(outpointKey(o!.txid, 0))).toBe(true);
    const _typed: OfferDlc = offer;
    void _typed;
  });
});

describe('single-funded by the accepter', () => {
  it('the freelancer offers without inputs, the client accepts and funds; outcomes execute', () => {
    const clientWallet = key(60);
    const descriptor = milestoneEnumDescriptor(AMOUNT, false);
    const freelancer = side(70, [], key(71));
    const client = side(80, [coin(clientWallet.spk, 400_000n, 4n)], clientWallet);
    const offer = createOffer({
      chainHash: CHAIN,
      temporaryContractId: new Uint8Array(32).fill(8),
      contractInfo: {
        kind: 'single',
        totalCollateral: AMOUNT,
        parts: [{ descriptor, oracleInfo: { kind: 'single', announcement } }],
      },
      offerCollateral: 0n,
      side: freelancer,
      fundOutputSerialId: 6n,
      feeRatePerVb: 3n,
    });
    const terms: DlcTerms = {
      chainHash: CHAIN,
      oraclePublicKey: oracle.publicKey,
      eventId: announcement.event.eventId,
      convention: 'tagged',
      descriptor,
      totalCollateral: AMOUNT,
      offerCollateral: 0n,
      feeRatePerVb: 3n,
    };
    const { accept } = acceptOffer({ offer, terms, utxos: new Map(), side: client });
    const { sign } = signAccept({
      offer,
      accept,
      convention: 'tagged',
      utxos: chainOf(accept.fundingInputs),
      side: freelancer,
    });
    expect(sign.fundingSignatures).toEqual([]);
    const { fundingTx, contract } = finalizeSign({
      offer,
      accept,
      sign,
      convention: 'tagged',
      side: client,
    });
    expect(contract.funding.fees.singleFunder).toBe('accept');
    expect(contract.funding.fees.offer).toEqual({ fundingFee: 0n, closingFee: 0n });
    expect(fundingTx.inputsLength).toBe(1);
    const att = createAttestation(oracle, announcement, 'accepted');
    const { tx } = executeCet({
      contract,
      role: 'offer',
      fundingSecretKey: freelancer.fundingSecretKey,
      counterpartyAdaptorSignatures: accept.cetAdaptorSignatures,
      attestations: [att],
    });
    expect(tx.outputsLength).toBe(1);
    expect(tx.getOutput(0)).toMatchObject({ amount: AMOUNT });
    expect(bytesToHex(tx.getOutput(0).script!)).toBe(bytesToHex(freelancer.payoutSpk));
  });
});
