/**
 * A complete in-memory DLC between two parties (offerer = the client, accepter = the freelancer)
 * on contract info given by the test: fake P2WPKH funding inputs given as data, the funding
 * transaction, the CETs with their adaptor points, both parties' adaptor-signature sets and the
 * refund transaction. Single-funded (the client funds everything) or dual-funded.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { RawTx, type Transaction } from '@scure/btc-signer';
import type { HashConvention } from '../../src/crypto/hash.ts';
import { buildContractCets, type ContractCets, type ContractInfo } from '../../src/dlc/contract.ts';
import { hash160, type FundingInput } from '../../src/dlc/funding-input.ts';
import {
  buildFundingTransaction,
  buildRefund,
  type FundingTransaction,
  type PartyFundingParams,
} from '../../src/dlc/transactions.ts';

export type FundingMode = 'single-funded' | 'dual-funded';

export interface Party {
  readonly secretKey: Uint8Array;
  readonly pubkey: Uint8Array;
  readonly payoutSpk: Uint8Array;
}

/** A party with a deterministic key (from `label`) and a P2WPKH payout script. */
export function party(label: string): Party {
  const secretKey = sha256(new TextEncoder().encode(`verdict test party ${label}`));
  const pubkey = secp256k1.getPublicKey(secretKey, true);
  return { secretKey, pubkey, payoutSpk: p2wpkhSpk(pubkey) };
}

export const p2wpkhSpk = (pubkey: Uint8Array): Uint8Array =>
  Uint8Array.of(0x00, 0x14, ...hash160(pubkey));

/** A funding input whose fake previous transaction pays `amount` to `owner`'s P2WPKH. */
export function fakeP2wpkhInput(owner: Party, amount: bigint, inputSerialId: bigint): FundingInput {
  const prevTx = RawTx.encode({
    version: 2,
    segwitFlag: false,
    inputs: [
      {
        txid: sha256(new TextEncoder().encode(`prev of ${inputSerialId}`)),
        index: 0,
        finalScriptSig: new Uint8Array(),
        sequence: 0xffffffff,
      },
    ],
    outputs: [{ amount, script: p2wpkhSpk(owner.pubkey) }],
    witnesses: undefined,
    lockTime: 0,
  });
  return {
    inputSerialId,
    prevTx,
    prevTxVout: 0,
    sequence: 0xffffffff,
    maxWitnessLen: 107,
    redeemScript: new Uint8Array(),
  };
}

export interface TwoPartyContract {
  readonly client: Party;
  readonly freelancer: Party;
  readonly funding: FundingTransaction;
  readonly contract: ContractCets;
  readonly refundTx: Transaction;
  readonly offerCollateral: bigint;
  readonly acceptCollateral: bigint;
}

export const CET_LOCKTIME = 1_800_000_000;
export const REFUND_LOCKTIME = CET_LOCKTIME + 7 * 24 * 3600;

/**
 * Builds the funding transaction, the CETs and the refund of `contractInfo` between a client
 * (offer) and a freelancer (accept). Dual-funded: the freelancer puts up `freelancerStake` (a
 * deposit) of the total collateral; single-funded: the client puts up everything.
 */
export function twoPartyContract(
  contractInfo: ContractInfo,
  convention: HashConvention,
  mode: FundingMode,
  freelancerStake = 50_000n,
): TwoPartyContract {
  const client = party('client');
  const freelancer = party('freelancer');
  const total = contractInfo.totalCollateral;
  const acceptCollateral = mode === 'single-funded' ? 0n : freelancerStake;
  const offerCollateral = total - acceptCollateral;
  const offer: PartyFundingParams = {
    fundingPubkey: client.pubkey,
    collateral: offerCollateral,
    inputs: [fakeP2wpkhInput(client, offerCollateral + 100_000n, 7n)],
    changeSpk: client.payoutSpk,
    changeSerialId: 3n,
    payoutSpk: client.payoutSpk,
    payoutSerialId: 20n,
  };
  const accept: PartyFundingParams = {
    fundingPubkey: freelancer.pubkey,
    collateral: acceptCollateral,
    inputs:
      mode === 'single-funded' ? [] : [fakeP2wpkhInput(freelancer, acceptCollateral + 60_000n, 5n)],
    changeSpk: freelancer.payoutSpk,
    changeSerialId: 9n,
    payoutSpk: freelancer.payoutSpk,
    payoutSerialId: 10n,
  };
  const funding = buildFundingTransaction({
    offer,
    accept,
    fundOutputSerialId: 4n,
    feeRatePerVb: 3n,
  });
  const contract = buildContractCets({
    contractInfo,
    convention,
    fundingTxid: funding.txid,
    fundOutputIndex: funding.fundOutputIndex,
    fundOutputValue: funding.fundOutputValue,
    fundingScript: funding.fundingScript,
    offerPayoutSpk: client.payoutSpk,
    acceptPayoutSpk: freelancer.payoutSpk,
    offerPayoutSerialId: offer.payoutSerialId,
    acceptPayoutSerialId: accept.payoutSerialId,
    cetLocktime: CET_LOCKTIME,
  });
  const refundTx = buildRefund({
    fundingTxid: funding.txid,
    fundOutputIndex: funding.fundOutputIndex,
    offerCollateral,
    acceptCollateral,
    offerPayoutSpk: client.payoutSpk,
    acceptPayoutSpk: freelancer.payoutSpk,
    offerPayoutSerialId: offer.payoutSerialId,
    acceptPayoutSerialId: accept.payoutSerialId,
    refundLocktime: REFUND_LOCKTIME,
  });
  return { client, freelancer, funding, contract, refundTx, offerCollateral, acceptCollateral };
}
