/**
 * Reading the dlcspecs protocol-v1 vectors (`dlcspecs/test/test_vectors/*.json`, made by
 * rust-dlc) with their derived layouts (`derived/protocol_v1_layout/*.json`): the JSON shapes,
 * and the funding transaction / contract info rebuilt from the offer and accept messages.
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import { decodeContractInfoAt, type ContractInfo } from '../../src/dlc/contract.ts';
import type { FundingInput } from '../../src/dlc/funding-input.ts';
import {
  buildFundingTransaction,
  type FundingTransaction,
  type PartyFundingParams,
} from '../../src/dlc/transactions.ts';
import { big, loadVector, vectorFiles } from './vectors.ts';

export interface FundingInputJson {
  inputSerialId: unknown;
  prevTx: string;
  prevTxVout: number;
  sequence: number;
  maxWitnessLen: number;
  redeemScript: string;
}
export interface OfferJson {
  temporaryContractId: string;
  fundingPubkey: string;
  payoutSpk: string;
  payoutSerialId: unknown;
  offerCollateral: unknown;
  fundingInputs: FundingInputJson[];
  changeSpk: string;
  changeSerialId: unknown;
  fundOutputSerialId: unknown;
  feeRatePerVb: unknown;
  cetLocktime: number;
  refundLocktime: number;
}
export interface AcceptJson {
  temporaryContractId: string;
  acceptCollateral: unknown;
  fundingPubkey: string;
  payoutSpk: string;
  payoutSerialId: unknown;
  fundingInputs: FundingInputJson[];
  changeSpk: string;
  changeSerialId: unknown;
  refundSignature: string;
  cetAdaptorSignatures: { ecdsaAdaptorSignatures: { signature: string }[] };
}
export interface SignJson {
  contractId: string;
  refundSignature: string;
  cetAdaptorSignatures: { ecdsaAdaptorSignatures: { signature: string }[] };
}
export interface ProtocolVector {
  offer_message: { message: OfferJson; serialized: string };
  accept_message: { message: AcceptJson; serialized: string };
  sign_message: { message: SignJson; serialized: string };
}
export interface LayoutAdaptorPoint {
  adaptor_sig_index: number;
  cet_index: number;
  outcome?: string;
  digit_prefix?: number[];
  oracle_indices: number[];
  adaptor_point: string;
}
export interface LayoutCet {
  index: number;
  outcome?: string;
  offer_payout: unknown;
  accept_payout: unknown;
  unsigned_tx_hex: string;
  sighash: string;
}
export interface ProtocolLayout {
  funding: { txid: string; fund_output_index: number; fund_output_value: unknown };
  cets: LayoutCet[] | null;
  adaptor_points?: LayoutAdaptorPoint[];
  range_payouts?: { start: unknown; count: unknown; offer_payout: unknown }[];
}

/** Every protocol-v1 vector file name (without `.json`), sorted. */
export const protocolV1Names: string[] = vectorFiles('protocol-v1').map((f) =>
  f.replace(/^.*\//, '').replace(/\.json$/, ''),
);

export function loadProtocolV1(name: string): { vector: ProtocolVector; layout: ProtocolLayout } {
  return {
    vector: loadVector<ProtocolVector>(`dlcspecs/test/test_vectors/${name}.json`),
    layout: loadVector<ProtocolLayout>(`derived/protocol_v1_layout/${name}.json`),
  };
}

export function fundingInputOf(f: FundingInputJson): FundingInput {
  return {
    inputSerialId: big(f.inputSerialId),
    prevTx: hexToBytes(f.prevTx),
    prevTxVout: f.prevTxVout,
    sequence: f.sequence,
    maxWitnessLen: f.maxWitnessLen,
    redeemScript: hexToBytes(f.redeemScript),
  };
}

/**
 * `offer_dlc` (protocol v1) up to `contract_info`: u16 type ‖ u32 protocol_version ‖
 * contract_flags ‖ chain_hash ‖ temporary_contract_id.
 */
const OFFER_CONTRACT_INFO_OFFSET = 2 + 4 + 1 + 32 + 32;

/** The offer's `contract_info`, decoded from the authoritative serialized offer. */
export function offerContractInfo(v: ProtocolVector): {
  info: ContractInfo;
  bytes: Uint8Array;
} {
  const offer = hexToBytes(v.offer_message.serialized);
  const { info, end } = decodeContractInfoAt(offer, OFFER_CONTRACT_INFO_OFFSET);
  return { info, bytes: offer.subarray(OFFER_CONTRACT_INFO_OFFSET, end) };
}

export interface ProtocolV1Contract {
  o: OfferJson;
  a: AcceptJson;
  offer: PartyFundingParams;
  accept: PartyFundingParams;
  funding: FundingTransaction;
}

/** Both parties' funding parameters and the funding transaction, from the offer and accept views. */
export function protocolV1Contract(v: ProtocolVector): ProtocolV1Contract {
  const o = v.offer_message.message;
  const a = v.accept_message.message;
  const offer: PartyFundingParams = {
    fundingPubkey: hexToBytes(o.fundingPubkey),
    collateral: big(o.offerCollateral),
    inputs: o.fundingInputs.map(fundingInputOf),
    changeSpk: hexToBytes(o.changeSpk),
    changeSerialId: big(o.changeSerialId),
    payoutSpk: hexToBytes(o.payoutSpk),
    payoutSerialId: big(o.payoutSerialId),
  };
  const accept: PartyFundingParams = {
    fundingPubkey: hexToBytes(a.fundingPubkey),
    collateral: big(a.acceptCollateral),
    inputs: a.fundingInputs.map(fundingInputOf),
    changeSpk: hexToBytes(a.changeSpk),
    changeSerialId: big(a.changeSerialId),
    payoutSpk: hexToBytes(a.payoutSpk),
    payoutSerialId: big(a.payoutSerialId),
  };
  const funding = buildFundingTransaction({
    offer,
    accept,
    fundOutputSerialId: big(o.fundOutputSerialId),
    feeRatePerVb: big(o.feeRatePerVb),
  });
  return { o, a, offer, accept, funding };
}

/** The accepter's (accept_dlc) and the offerer's (sign_dlc) CET adaptor signatures. */
export function vectorAdaptorSignatures(v: ProtocolVector): {
  accept: Uint8Array[];
  offer: Uint8Array[];
} {
  const of = (list: { signature: string }[]) => list.map((s) => hexToBytes(s.signature));
  return {
    accept: of(v.accept_message.message.cetAdaptorSignatures.ecdsaAdaptorSignatures),
    offer: of(v.sign_message.message.cetAdaptorSignatures.ecdsaAdaptorSignatures),
  };
}
