/**
 * The two-party DLC protocol (dlcspecs Protocol.md, protocol version 1; DLC-NOTES.md §8), pure:
 *
 * ```
 * offerer: createOffer ──offer_dlc──▶ accepter: acceptOffer (validate the offer, then sign)
 * offerer: signAccept (validate the accept, then sign) ◀──accept_dlc──
 * offerer ──sign_dlc──▶ accepter: finalizeSign (validate, add own witnesses) → funding tx
 * either:  executeCet (from an oracle attestation) | signRefund (after refund_locktime)
 * ```
 *
 * Every function that signs validates everything it received first and signs nothing when a
 * check fails: announcements verify and come from the expected oracle key and event; the contract
 * info is exactly the agreed one (payouts, collaterals); the fee rate is at least the agreed rate;
 * locktimes follow Protocol.md with the refund at least `refundMarginSec` after maturity; every
 * counterparty funding input is SegWit, exists unspent on the chain and is worth what its
 * `prevtx` claims (the chain lookup is done by the caller and passed in as {@link UtxoLookup});
 * the funding transaction's amounts and fees add up; every counterparty adaptor signature, the
 * refund signature and the funding witnesses verify. Failures are named errors with a stable
 * `code` ({@link DlcProtocolError} and the errors of `transactions.ts`, `adaptor-set.ts`).
 *
 * Single-funded contracts (the client funds the milestone, the freelancer brings no inputs) and
 * dual-funded ones use the same path: a party without inputs has collateral 0, pays no fee and
 * has no change output (`fees.ts` `contractFees`).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Transaction } from '@scure/btc-signer';
import type { EcdsaAdaptor } from '../crypto/ecdsa-adaptor.ts';
import type { HashConvention } from '../crypto/hash.ts';
import {
  adaptorSigningItems,
  assertAdaptorSignatures,
  createAdaptorSignatures,
  type AdaptorRunner,
  type AdaptorSigningItem,
  type ProgressCallback,
} from './adaptor-set.ts';
import { verifyAnnouncement } from './announcement.ts';
import { verifyAttestation } from './attestation.ts';
import {
  buildContractCets,
  oraclesOf,
  validateContractInfo,
  type ContractCets,
  type ContractInfo,
  type LayoutPointOps,
} from './contract.ts';
import { serializeContractDescriptor, type ContractDescriptor } from './contract-descriptor.ts';
import { computeContractId } from './contract-id.ts';
import {
  completeRefund,
  executeContract,
  InvalidRefundSignatureError,
  verifyRefundSignature,
} from './execution.ts';
import {
  bytesEqual,
  fundingInputPrevout,
  isWitnessProgram,
  type FundingInput,
} from './funding-input.ts';
import {
  encodeAcceptDlc,
  encodeOfferDlc,
  PROTOCOL_VERSION,
  type AcceptDlc,
  type OfferDlc,
  type SignDlc,
} from './messages.ts';
import type { OracleAttestation } from './oracle-types.ts';
import {
  buildFundingTransaction,
  buildRefund,
  cetSighash,
  signLowR,
  signP2wpkhFundingInput,
  validateLocktimes,
  verifyFundingWitness,
  withFundingWitnesses,
  type FundingTransaction,
} from './transactions.ts';

/** Default margin between the event's maturity and the refund locktime: 7 days. */
export const DEFAULT_REFUND_MARGIN_SEC = 7 * 24 * 3600;

/** Re-exported: the protocol refuses a bad refund signature with `execution.ts`'s error. */
export { InvalidRefundSignatureError, NoMatchingCetError } from './execution.ts';

// ---------------------------------------------------------------------------------------------
// Errors

/** A counterparty message is refused. `code` is stable (CLI exit code 1, JSON output). */
export class DlcProtocolError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An announcement's signature or structure does not verify. */
export class InvalidAnnouncementError extends DlcProtocolError {
  constructor(message: string) {
    super('invalid_announcement', message);
  }
}

/** An announcement (or attestation) is from another oracle key or for another event. */
export class UnexpectedOracleError extends DlcProtocolError {
  constructor(message: string) {
    super('unexpected_oracle', message);
  }
}

/** The contract differs from the agreed terms: payouts, collaterals, chain, ids. */
export class ContractTermsMismatchError extends DlcProtocolError {
  constructor(message: string) {
    super('contract_terms_mismatch', message);
  }
}

/** The offer's fee rate is below the rate the parties agreed. */
export class FeeRateTooLowError extends DlcProtocolError {
  constructor(offered: bigint, agreed: bigint) {
    super('fee_rate_too_low', `fee rate ${offered} sat/vB is below the agreed ${agreed} sat/vB`);
  }
}

/** A funding input does not exist, is spent, or is worth other than its prevtx claims. */
export class FundingInputUnavailableError extends DlcProtocolError {
  readonly outpoint: string;
  constructor(outpoint: string, message: string) {
    super('funding_input_unavailable', message);
    this.outpoint = outpoint;
  }
}

/** A payout or change script is not standard (Protocol.md: MUST reject). */
export class NonStandardScriptError extends DlcProtocolError {
  constructor(message: string) {
    super('non_standard_script', message);
  }
}

/** A funding witness in `sign_dlc` does not verify (or there are too few or too many). */
export class InvalidFundingSignatureError extends DlcProtocolError {
  constructor(message: string) {
    super('invalid_funding_signature', message);
  }
}

/** The attestation does not verify against the contract's announcement. */
export class InvalidAttestationError extends DlcProtocolError {
  constructor(message: string) {
    super('invalid_attestation', message);
  }
}

// ---------------------------------------------------------------------------------------------
// Inputs

/** What the chain says about one outpoint: `null` = unknown or spent (mempool included). */
export type UtxoInfo = { readonly valueSat: bigint; readonly scriptPubKey: Uint8Array } | null;
/** Chain state of the counterparty's funding inputs, keyed by {@link outpointKey}. */
export type UtxoLookup = ReadonlyMap<string, UtxoInfo>;

/** `<txid display hex>:<vout>`. */
export function outpointKey(txid: string, vout: number): string {
  return `${txid}:${vout}`;
}

/** The outpoints a list of funding inputs spends (what the caller must look up on the chain). */
export function fundingInputOutpoints(
  inputs: readonly FundingInput[],
): { txid: string; vout: number }[] {
  return inputs.map((input) => {
    const prevout = fundingInputPrevout(input);
    return { txid: bytesToHex(prevout.txid), vout: prevout.index };
  });
}

/** What the parties agreed before any message: the receiver checks the messages against it. */
export interface DlcTerms {
  /** Genesis block hash as on the wire (Bitcoin's internal byte order). */
  readonly chainHash: Uint8Array;
  /** The oracle's x-only public key (32 bytes). */
  readonly oraclePublicKey: Uint8Array;
  readonly eventId: string;
  /** Oracle hashing convention; Verdict's oracle signs `tagged`. */
  readonly convention: HashConvention;
  /** The agreed payouts, from the offerer's side. */
  readonly descriptor: ContractDescriptor;
  readonly totalCollateral: bigint;
  readonly offerCollateral: bigint;
  /** The agreed fee rate: an offer below it is refused. */
  readonly feeRatePerVb: bigint;
  /** Minimum refund_locktime − maturity; default {@link DEFAULT_REFUND_MARGIN_SEC}. */
  readonly refundMarginSec?: number;
}

/** One party's side of the funding transaction and its payout. */
export interface PartySide {
  readonly fundingSecretKey: Uint8Array;
  readonly payoutSpk: Uint8Array;
  readonly payoutSerialId: bigint;
  readonly changeSpk: Uint8Array;
  readonly changeSerialId: bigint;
  readonly inputs: readonly FundingInput[];
  /** Secret key of each of `inputs` (P2WPKH), by input_serial_id. */
  readonly inputSecretKey: (input: FundingInput) => Uint8Array;
  /**
   * Inputs signed elsewhere (an external wallet, through a PSBT): the witnesses of this party's
   * inputs in transaction order, given the funding transaction. Used instead of
   * `inputSecretKey`; each is verified like a counterparty's before it is sent or broadcast.
   */
  readonly externalWitnesses?: (funding: FundingTransaction) => readonly (readonly Uint8Array[])[];
}

// ---------------------------------------------------------------------------------------------
// The contract both parties derive from offer + accept

/** Everything that follows from an offer and an accept: transactions, sighashes, adaptor points. */
export interface DlcContract {
  readonly offer: OfferDlc;
  readonly accept: AcceptDlc;
  readonly convention: HashConvention;
  readonly funding: FundingTransaction;
  readonly contractId: Uint8Array;
  readonly cets: ContractCets;
  readonly refundTx: Transaction;
  readonly refundSighash: Uint8Array;
  readonly adaptorItems: readonly AdaptorSigningItem[];
}

/**
 * Contracts derived recently in this process, by {@link contractKey}: a party derives the same
 * contract in accept and again in finalize (offerer: in sign, then for execution and watching),
 * and building 1,024 CETs with their sighashes and adaptor points is most of the non-signature
 * work of a setup. Small: a process sets up a few contracts at a time.
 */
const DERIVED_CACHE_SIZE = 8;
const derived = new Map<string, Omit<DlcContract, 'offer' | 'accept'>>();

/**
 * What a derived contract depends on, hashed: both messages as on the wire with the accept's
 * signatures blanked (they are not inputs of the derivation), and the hashing convention. `null`
 * when the messages do not encode (then nothing is cached).
 */
function contractKey(
  offer: OfferDlc,
  accept: AcceptDlc,
  convention: HashConvention,
): string | null {
  let offerBytes: Uint8Array;
  let acceptBytes: Uint8Array;
  try {
    offerBytes = encodeOfferDlc(offer);
    acceptBytes = encodeAcceptDlc({
      ...accept,
      cetAdaptorSignatures: [],
      refundSignature: new Uint8Array(64),
    });
  } catch {
    return null;
  }
  const h = sha256.create();
  h.update(new TextEncoder().encode(`${convention}\n${offerBytes.length}\n`));
  h.update(offerBytes);
  h.update(acceptBytes);
  return bytesToHex(h.digest());
}

/** Forgets the contracts derived so far (tests, benchmarks: a cold derivation). */
export function clearDerivedContracts(): void {
  derived.clear();
}

/**
 * Builds the funding transaction, CETs, refund transaction and contract id from an offer and an
 * accept (their signatures are not looked at). The same offer and accept (same fields, any
 * signatures) give the same contract: the last few are kept, so a party builds each CET and its
 * sighash once per contract. `points`: the point arithmetic of the adaptor points (default the
 * noble reference; node callers pass `src/native` `layoutPointOps()`; same result).
 * @throws InsufficientFundsError, DustChangeError, DuplicateSerialIdError, InvalidFundingInputError
 */
export function deriveContract(
  offer: OfferDlc,
  accept: AcceptDlc,
  convention: HashConvention,
  points?: LayoutPointOps<unknown>,
): DlcContract {
  const key = contractKey(offer, accept, convention);
  const hit = key === null ? undefined : derived.get(key);
  if (hit !== undefined) {
    derived.delete(key!); // most recently used last
    derived.set(key!, hit);
    return { ...hit, offer, accept };
  }
  const contract = buildContract(offer, accept, convention, points);
  if (key !== null) {
    const { offer: _o, accept: _a, ...rest } = contract;
    derived.set(key, rest);
    if (derived.size > DERIVED_CACHE_SIZE) derived.delete(derived.keys().next().value!);
  }
  return contract;
}

function fundingOf(offer: OfferDlc, accept: AcceptDlc): FundingTransaction {
  return buildFundingTransaction({
    offer: {
      fundingPubkey: offer.fundingPubkey,
      collateral: offer.offerCollateral,
      inputs: offer.fundingInputs,
      changeSpk: offer.changeSpk,
      changeSerialId: offer.changeSerialId,
      payoutSpk: offer.payoutSpk,
      payoutSerialId: offer.payoutSerialId,
    },
    accept: {
      fundingPubkey: accept.fundingPubkey,
      collateral: accept.acceptCollateral,
      inputs: accept.fundingInputs,
      changeSpk: accept.changeSpk,
      changeSerialId: accept.changeSerialId,
      payoutSpk: accept.payoutSpk,
      payoutSerialId: accept.payoutSerialId,
    },
    fundOutputSerialId: offer.fundOutputSerialId,
    feeRatePerVb: offer.feeRatePerVb,
  });
}

/**
 * The contract id of an offer and an accept: the funding transaction alone, no CETs.
 * @throws as {@link deriveContract}
 */
export function deriveContractId(offer: OfferDlc, accept: AcceptDlc): Uint8Array {
  const funding = fundingOf(offer, accept);
  return computeContractId(funding.txid, funding.fundOutputIndex, offer.temporaryContractId);
}

function buildContract(
  offer: OfferDlc,
  accept: AcceptDlc,
  convention: HashConvention,
  points: LayoutPointOps<unknown> | undefined,
): DlcContract {
  const funding = fundingOf(offer, accept);
  const common = {
    fundingTxid: funding.txid,
    fundOutputIndex: funding.fundOutputIndex,
    offerPayoutSpk: offer.payoutSpk,
    acceptPayoutSpk: accept.payoutSpk,
    offerPayoutSerialId: offer.payoutSerialId,
    acceptPayoutSerialId: accept.payoutSerialId,
  };
  const cets = buildContractCets({
    ...common,
    contractInfo: offer.contractInfo,
    convention,
    fundOutputValue: funding.fundOutputValue,
    fundingScript: funding.fundingScript,
    cetLocktime: offer.cetLocktime,
    ...(points === undefined ? {} : { points }),
  });
  const refundTx = buildRefund({
    ...common,
    offerCollateral: offer.offerCollateral,
    acceptCollateral: accept.acceptCollateral,
    refundLocktime: offer.refundLocktime,
  });
  return {
    offer,
    accept,
    convention,
    funding,
    contractId: computeContractId(funding.txid, funding.fundOutputIndex, offer.temporaryContractId),
    cets,
    refundTx,
    refundSighash: cetSighash(refundTx, funding.fundingScript, funding.fundOutputValue),
    adaptorItems: adaptorSigningItems(cets),
  };
}

// ---------------------------------------------------------------------------------------------
// Checks

function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return secp256k1.getPublicKey(secretKey, true);
}

function assertPoint(pubkey: Uint8Array, what: string): void {
  try {
    secp256k1.Point.fromBytes(pubkey);
  } catch {
    throw new DlcProtocolError('invalid_funding_pubkey', `${what} is not a valid public key`);
  }
}

/** Standard output scripts (Protocol.md): P2PKH, P2SH, P2WPKH, P2WSH, witness v1–v16. */
export function isStandardSpk(spk: Uint8Array): boolean {
  const p2pkh =
    spk.length === 25 &&
    spk[0] === 0x76 &&
    spk[1] === 0xa9 &&
    spk[2] === 0x14 &&
    spk[23] === 0x88 &&
    spk[24] === 0xac;
  const p2sh = spk.length === 23 && spk[0] === 0xa9 && spk[1] === 0x14 && spk[22] === 0x87;
  return p2pkh || p2sh || isWitnessProgram(spk);
}

function assertStandardSpks(what: string, ...spks: Uint8Array[]): void {
  for (const spk of spks) {
    if (!isStandardSpk(spk)) {
      throw new NonStandardScriptError(`${what}: non-standard script ${bytesToHex(spk)}`);
    }
  }
}

/**
 * Each funding input parses as SegWit and its outpoint is unspent on the chain with the value
 * and script its prevtx claims.
 */
export function assertFundingInputsAvailable(
  inputs: readonly FundingInput[],
  utxos: UtxoLookup,
): void {
  for (const input of inputs) {
    const prevout = fundingInputPrevout(input);
    const key = outpointKey(bytesToHex(prevout.txid), prevout.index);
    const onChain = utxos.get(key);
    if (onChain === undefined || onChain === null) {
      throw new FundingInputUnavailableError(
        key,
        `funding input ${key} does not exist or is spent`,
      );
    }
    if (onChain.valueSat !== prevout.amount || !bytesEqual(onChain.scriptPubKey, prevout.script)) {
      throw new FundingInputUnavailableError(
        key,
        `funding input ${key} is worth ${onChain.valueSat} sat on chain, its prevtx claims ${prevout.amount}`,
      );
    }
  }
}

function latestMaturity(info: ContractInfo): number {
  let maturity = 0;
  for (const part of info.parts) {
    for (const a of oraclesOf(part.oracleInfo).announcements) {
      maturity = Math.max(maturity, a.event.maturityEpochSec);
    }
  }
  return maturity;
}

/**
 * Checks an `offer_dlc` against the agreed terms and the chain, as the accepter must before it
 * signs anything. @throws DlcProtocolError and the errors of contract/transactions validation
 */
export function validateOffer(offer: OfferDlc, terms: DlcTerms, utxos: UtxoLookup): void {
  if (offer.protocolVersion !== PROTOCOL_VERSION) {
    throw new DlcProtocolError('unsupported_protocol_version', 'unsupported protocol_version');
  }
  if (!bytesEqual(offer.chainHash, terms.chainHash)) {
    throw new ContractTermsMismatchError('the offer is for another chain');
  }
  if (offer.contractFlags !== 0) {
    throw new ContractTermsMismatchError('contract_flags must be 0');
  }
  const info = offer.contractInfo;
  for (const part of info.parts) {
    for (const a of oraclesOf(part.oracleInfo).announcements) {
      if (!bytesEqual(a.oraclePublicKey, terms.oraclePublicKey)) {
        throw new UnexpectedOracleError(
          `announcement signed by oracle ${bytesToHex(a.oraclePublicKey)}, expected ${bytesToHex(terms.oraclePublicKey)}`,
        );
      }
      if (!verifyAnnouncement(a, terms.convention)) {
        throw new InvalidAnnouncementError(`announcement of ${a.event.eventId} does not verify`);
      }
      if (a.event.eventId !== terms.eventId) {
        throw new UnexpectedOracleError(
          `announcement is for event ${a.event.eventId}, expected ${terms.eventId}`,
        );
      }
    }
  }
  validateContractInfo(info);
  const [part] = info.parts;
  if (
    info.kind !== 'single' ||
    part === undefined ||
    info.totalCollateral !== terms.totalCollateral ||
    !bytesEqual(
      serializeContractDescriptor(part.descriptor),
      serializeContractDescriptor(terms.descriptor),
    )
  ) {
    throw new ContractTermsMismatchError('the offered payouts are not the agreed payouts');
  }
  if (offer.offerCollateral !== terms.offerCollateral) {
    throw new ContractTermsMismatchError(
      `offer collateral ${offer.offerCollateral} sat, agreed ${terms.offerCollateral} sat`,
    );
  }
  if (offer.feeRatePerVb < terms.feeRatePerVb) {
    throw new FeeRateTooLowError(offer.feeRatePerVb, terms.feeRatePerVb);
  }
  validateLocktimes(offer.cetLocktime, offer.refundLocktime);
  const maturity = latestMaturity(info);
  const margin = terms.refundMarginSec ?? DEFAULT_REFUND_MARGIN_SEC;
  if (offer.refundLocktime < maturity + margin) {
    throw new DlcProtocolError(
      'invalid_locktime',
      `refund_locktime ${offer.refundLocktime} is less than ${margin} s after maturity ${maturity}`,
    );
  }
  if (offer.cetLocktime > maturity) {
    throw new DlcProtocolError('invalid_locktime', 'cet_locktime is after the event maturity');
  }
  assertPoint(offer.fundingPubkey, 'offer funding_pubkey');
  assertStandardSpks('offer', offer.payoutSpk, offer.changeSpk);
  assertFundingInputsAvailable(offer.fundingInputs, utxos);
}

function assertRefundSignature(
  contract: DlcContract,
  signature: Uint8Array,
  pubkey: Uint8Array,
): void {
  const { fundingScript, fundOutputValue } = contract.funding;
  if (
    !verifyRefundSignature(contract.refundTx, fundingScript, fundOutputValue, signature, pubkey)
  ) {
    throw new InvalidRefundSignatureError('the refund signature does not verify');
  }
}

function signFundingInputs(
  contract: DlcContract,
  party: 'offer' | 'accept',
  side: PartySide,
): Uint8Array[][] {
  const witnesses: Uint8Array[][] = [];
  if (side.externalWitnesses !== undefined) {
    const given = side.externalWitnesses(contract.funding);
    const own = contract.funding.inputs.flatMap((input, index) =>
      input.party === party ? [index] : [],
    );
    if (given.length !== own.length) {
      throw new InvalidFundingSignatureError(
        `expected ${own.length} external funding witnesses, got ${given.length}`,
      );
    }
    own.forEach((txIndex, i) => {
      const witness = given[i]!;
      let ok: boolean;
      try {
        ok = verifyFundingWitness(contract.funding, txIndex, witness);
      } catch {
        ok = false;
      }
      if (!ok) {
        throw new InvalidFundingSignatureError(`external funding witness ${i} does not verify`);
      }
      witnesses.push([...witness]);
    });
    return witnesses;
  }
  contract.funding.inputs.forEach((input, index) => {
    if (input.party !== party) return;
    witnesses.push(
      signP2wpkhFundingInput(contract.funding, index, side.inputSecretKey(input.fundingInput)),
    );
  });
  return witnesses;
}

// ---------------------------------------------------------------------------------------------
// The three steps

/** What the offerer needs to build an `offer_dlc`. */
export interface CreateOfferParams {
  readonly chainHash: Uint8Array;
  readonly temporaryContractId: Uint8Array;
  readonly contractInfo: ContractInfo;
  readonly offerCollateral: bigint;
  readonly side: PartySide;
  readonly fundOutputSerialId: bigint;
  readonly feeRatePerVb: bigint;
  /** Default: 500 000 000 (the first UNIX-time locktime), final as soon as an attestation exists. */
  readonly cetLocktime?: number;
  /** Default: latest maturity + {@link DEFAULT_REFUND_MARGIN_SEC}. */
  readonly refundLocktime?: number;
}

/**
 * Builds an `offer_dlc`. The CET locktime defaults to the smallest UNIX-time nLockTime: a
 * Verdict milestone can be attested before its event maturity (the client accepts early), and
 * the CET must then be final at once; the refund locktime is a UNIX time too, as Protocol.md
 * requires both locktimes to be of one kind.
 */
export function createOffer(params: CreateOfferParams): OfferDlc {
  validateContractInfo(params.contractInfo);
  const maturity = latestMaturity(params.contractInfo);
  const cetLocktime = params.cetLocktime ?? 500_000_000;
  const refundLocktime = params.refundLocktime ?? maturity + DEFAULT_REFUND_MARGIN_SEC;
  validateLocktimes(cetLocktime, refundLocktime);
  assertStandardSpks('offer', params.side.payoutSpk, params.side.changeSpk);
  return {
    protocolVersion: PROTOCOL_VERSION,
    contractFlags: 0,
    chainHash: params.chainHash,
    temporaryContractId: params.temporaryContractId,
    contractInfo: params.contractInfo,
    fundingPubkey: publicKeyOf(params.side.fundingSecretKey),
    payoutSpk: params.side.payoutSpk,
    payoutSerialId: params.side.payoutSerialId,
    offerCollateral: params.offerCollateral,
    fundingInputs: params.side.inputs,
    changeSpk: params.side.changeSpk,
    changeSerialId: params.side.changeSerialId,
    fundOutputSerialId: params.fundOutputSerialId,
    feeRatePerVb: params.feeRatePerVb,
    cetLocktime,
    refundLocktime,
    tlvs: [],
  };
}

export interface AcceptOfferParams {
  readonly offer: OfferDlc;
  readonly terms: DlcTerms;
  /** Chain state of the offer's funding inputs. */
  readonly utxos: UtxoLookup;
  readonly side: PartySide;
  readonly onProgress?: ProgressCallback;
  /** Adaptor-signature backend; default pure JS (node: `src/native` `ecdsaAdaptor()`, issue 10). */
  readonly scheme?: EcdsaAdaptor;
  /** Adaptor-point arithmetic; default pure JS (node: `src/native` `layoutPointOps()`). */
  readonly points?: LayoutPointOps<unknown>;
}

/**
 * Validates an offer ({@link validateOffer}), builds the contract with the accepter's side and
 * returns the `accept_dlc` with the accepter's CET adaptor signatures and refund signature.
 */
export function acceptOffer(params: AcceptOfferParams): {
  accept: AcceptDlc;
  contract: DlcContract;
} {
  const { unsigned, contract } = prepareAccept(params);
  const sigs = createAdaptorSignatures(
    params.side.fundingSecretKey,
    contract.adaptorItems,
    params.onProgress,
    params.scheme,
  );
  return completeAccept(unsigned, contract, sigs, params.side);
}

/** {@link acceptOffer} with the adaptor signatures created by `runner` (e.g. a worker pool). */
export async function acceptOfferAsync(
  params: AcceptOfferParams & { readonly runner: AdaptorRunner },
): Promise<{ accept: AcceptDlc; contract: DlcContract }> {
  const { unsigned, contract } = prepareAccept(params);
  const sigs = await params.runner.create(
    params.side.fundingSecretKey,
    contract.adaptorItems,
    params.onProgress,
  );
  return completeAccept(unsigned, contract, sigs, params.side);
}

function completeAccept(
  unsigned: AcceptDlc,
  contract: DlcContract,
  cetAdaptorSignatures: Uint8Array[],
  side: PartySide,
): { accept: AcceptDlc; contract: DlcContract } {
  const accept: AcceptDlc = {
    ...unsigned,
    cetAdaptorSignatures,
    refundSignature: signLowR(contract.refundSighash, side.fundingSecretKey),
  };
  return { accept, contract: { ...contract, accept } };
}

/** Everything of {@link acceptOffer} before the adaptor signatures. */
function prepareAccept(params: AcceptOfferParams): { unsigned: AcceptDlc; contract: DlcContract } {
  const { offer, terms, side } = params;
  validateOffer(offer, terms, params.utxos);
  assertStandardSpks('accept', side.payoutSpk, side.changeSpk);
  const fundingPubkey = publicKeyOf(side.fundingSecretKey);
  if (bytesEqual(fundingPubkey, offer.fundingPubkey)) {
    throw new DlcProtocolError('invalid_funding_pubkey', 'both parties use the same funding key');
  }
  const unsigned: AcceptDlc = {
    protocolVersion: PROTOCOL_VERSION,
    temporaryContractId: offer.temporaryContractId,
    acceptCollateral: offer.contractInfo.totalCollateral - offer.offerCollateral,
    fundingPubkey,
    payoutSpk: side.payoutSpk,
    payoutSerialId: side.payoutSerialId,
    fundingInputs: side.inputs,
    changeSpk: side.changeSpk,
    changeSerialId: side.changeSerialId,
    cetAdaptorSignatures: [],
    refundSignature: new Uint8Array(64),
    negotiationFields: null,
    tlvs: [],
  };
  return { unsigned, contract: deriveContract(offer, unsigned, terms.convention, params.points) };
}

export interface SignAcceptParams {
  /** The offer this party sent. */
  readonly offer: OfferDlc;
  readonly accept: AcceptDlc;
  readonly convention: HashConvention;
  /** Chain state of the accept's funding inputs. */
  readonly utxos: UtxoLookup;
  readonly side: PartySide;
  readonly onProgress?: ProgressCallback;
  /** Adaptor-signature backend; default pure JS (node: `src/native` `ecdsaAdaptor()`, issue 10). */
  readonly scheme?: EcdsaAdaptor;
  /** Adaptor-point arithmetic; default pure JS (node: `src/native` `layoutPointOps()`). */
  readonly points?: LayoutPointOps<unknown>;
}

/**
 * Checks an `accept_dlc` against the offer it answers, without signing: ids, collateral,
 * scripts, the accept's inputs on chain, the funding transaction's amounts and fees, the refund
 * signature and every CET adaptor signature. Returns the contract both parties now share.
 */
export function verifyAccept(params: VerifyAcceptParams): DlcContract {
  const contract = checkAccept(params);
  assertAdaptorSignatures(
    params.accept.fundingPubkey,
    contract.adaptorItems,
    params.accept.cetAdaptorSignatures,
    params.onProgress,
    params.scheme,
  );
  return contract;
}

/** {@link verifyAccept} with the adaptor signatures verified by `runner`. */
export async function verifyAcceptAsync(
  params: VerifyAcceptParams & { readonly runner: AdaptorRunner },
): Promise<DlcContract> {
  const contract = checkAccept(params);
  await params.runner.assertValid(
    params.accept.fundingPubkey,
    contract.adaptorItems,
    params.accept.cetAdaptorSignatures,
    params.onProgress,
  );
  return contract;
}

export interface VerifyAcceptParams {
  readonly offer: OfferDlc;
  readonly accept: AcceptDlc;
  readonly convention: HashConvention;
  readonly utxos: UtxoLookup;
  readonly onProgress?: ProgressCallback;
  /** Adaptor-signature backend; default pure JS (node: `src/native` `ecdsaAdaptor()`, issue 10). */
  readonly scheme?: EcdsaAdaptor;
  /** Adaptor-point arithmetic; default pure JS (node: `src/native` `layoutPointOps()`). */
  readonly points?: LayoutPointOps<unknown>;
}

/** Everything of {@link verifyAccept} but the adaptor signatures. */
function checkAccept(params: VerifyAcceptParams): DlcContract {
  const { offer, accept } = params;
  if (accept.protocolVersion !== PROTOCOL_VERSION) {
    throw new DlcProtocolError('unsupported_protocol_version', 'unsupported protocol_version');
  }
  if (!bytesEqual(accept.temporaryContractId, offer.temporaryContractId)) {
    throw new ContractTermsMismatchError('the accept is for another offer (temporary id)');
  }
  const expectedCollateral = offer.contractInfo.totalCollateral - offer.offerCollateral;
  if (accept.acceptCollateral !== expectedCollateral) {
    throw new ContractTermsMismatchError(
      `accept collateral ${accept.acceptCollateral} sat, expected ${expectedCollateral} sat`,
    );
  }
  if (accept.negotiationFields !== null) {
    throw new ContractTermsMismatchError('negotiation fields (other rounding) are not accepted');
  }
  assertPoint(accept.fundingPubkey, 'accept funding_pubkey');
  if (bytesEqual(accept.fundingPubkey, offer.fundingPubkey)) {
    throw new DlcProtocolError('invalid_funding_pubkey', 'both parties use the same funding key');
  }
  assertStandardSpks('accept', accept.payoutSpk, accept.changeSpk);
  assertFundingInputsAvailable(accept.fundingInputs, params.utxos);
  const contract = deriveContract(offer, accept, params.convention, params.points);
  assertRefundSignature(contract, accept.refundSignature, accept.fundingPubkey);
  return contract;
}

/**
 * Validates an `accept_dlc` against the offer this party made (ids, collateral, scripts, inputs
 * on chain, the refund signature and every CET adaptor signature), then returns the `sign_dlc`
 * with the offerer's adaptor signatures, refund signature and funding witnesses.
 */
export function signAccept(params: SignAcceptParams): { sign: SignDlc; contract: DlcContract } {
  const { offer, side } = params;
  if (!bytesEqual(publicKeyOf(side.fundingSecretKey), offer.fundingPubkey)) {
    throw new TypeError('side.fundingSecretKey is not the key of this offer');
  }
  const contract = verifyAccept(params);
  const sigs = createAdaptorSignatures(
    side.fundingSecretKey,
    contract.adaptorItems,
    params.onProgress,
    params.scheme,
  );
  return { sign: signDlcOf(contract, sigs, side), contract };
}

/**
 * {@link signAccept} with the adaptor signatures verified, then created, by `runner` (e.g. a
 * worker pool): nothing is signed before every check has passed.
 */
export async function signAcceptAsync(
  params: SignAcceptParams & { readonly runner: AdaptorRunner },
): Promise<{ sign: SignDlc; contract: DlcContract }> {
  const { offer, side } = params;
  if (!bytesEqual(publicKeyOf(side.fundingSecretKey), offer.fundingPubkey)) {
    throw new TypeError('side.fundingSecretKey is not the key of this offer');
  }
  const contract = await verifyAcceptAsync(params);
  const sigs = await params.runner.create(
    side.fundingSecretKey,
    contract.adaptorItems,
    params.onProgress,
  );
  return { sign: signDlcOf(contract, sigs, side), contract };
}

function signDlcOf(contract: DlcContract, sigs: Uint8Array[], side: PartySide): SignDlc {
  return {
    protocolVersion: PROTOCOL_VERSION,
    contractId: contract.contractId,
    cetAdaptorSignatures: sigs,
    refundSignature: signLowR(contract.refundSighash, side.fundingSecretKey),
    fundingSignatures: signFundingInputs(contract, 'offer', side),
    tlvs: [],
  };
}

export interface FinalizeSignParams {
  readonly offer: OfferDlc;
  /** The accept this party sent. */
  readonly accept: AcceptDlc;
  readonly sign: SignDlc;
  readonly convention: HashConvention;
  readonly side: PartySide;
  readonly onProgress?: ProgressCallback;
  /** Adaptor-signature backend; default pure JS (node: `src/native` `ecdsaAdaptor()`, issue 10). */
  readonly scheme?: EcdsaAdaptor;
  /** Adaptor-point arithmetic; default pure JS (node: `src/native` `layoutPointOps()`). */
  readonly points?: LayoutPointOps<unknown>;
}

/**
 * Checks a `sign_dlc` against the offer and accept, without signing: protocol version, contract
 * id, the refund signature, every CET adaptor signature and the offerer's funding witnesses.
 */
export function verifySign(params: VerifySignParams): DlcContract {
  const contract = checkSignBefore(params);
  assertAdaptorSignatures(
    params.offer.fundingPubkey,
    contract.adaptorItems,
    params.sign.cetAdaptorSignatures,
    params.onProgress,
    params.scheme,
  );
  checkSignAfter(contract, params.sign);
  return contract;
}

/** {@link verifySign} with the adaptor signatures verified by `runner`. */
export async function verifySignAsync(
  params: VerifySignParams & { readonly runner: AdaptorRunner },
): Promise<DlcContract> {
  const contract = checkSignBefore(params);
  await params.runner.assertValid(
    params.offer.fundingPubkey,
    contract.adaptorItems,
    params.sign.cetAdaptorSignatures,
    params.onProgress,
  );
  checkSignAfter(contract, params.sign);
  return contract;
}

export interface VerifySignParams {
  readonly offer: OfferDlc;
  readonly accept: AcceptDlc;
  readonly sign: SignDlc;
  readonly convention: HashConvention;
  readonly onProgress?: ProgressCallback;
  /** Adaptor-signature backend; default pure JS (node: `src/native` `ecdsaAdaptor()`, issue 10). */
  readonly scheme?: EcdsaAdaptor;
  /** Adaptor-point arithmetic; default pure JS (node: `src/native` `layoutPointOps()`). */
  readonly points?: LayoutPointOps<unknown>;
}

/** {@link verifySign} up to the adaptor signatures: version, contract id, refund signature. */
function checkSignBefore(params: VerifySignParams): DlcContract {
  const { offer, accept, sign } = params;
  if (sign.protocolVersion !== PROTOCOL_VERSION) {
    throw new DlcProtocolError('unsupported_protocol_version', 'unsupported protocol_version');
  }
  const contract = deriveContract(offer, accept, params.convention, params.points);
  if (!bytesEqual(sign.contractId, contract.contractId)) {
    throw new ContractTermsMismatchError('sign_dlc is for another contract id');
  }
  assertRefundSignature(contract, sign.refundSignature, offer.fundingPubkey);
  return contract;
}

/** {@link verifySign} after the adaptor signatures: the offerer's funding witnesses. */
function checkSignAfter(contract: DlcContract, sign: SignDlc): void {
  const offerIndices = contract.funding.inputs.flatMap((input, index) =>
    input.party === 'offer' ? [index] : [],
  );
  if (sign.fundingSignatures.length !== offerIndices.length) {
    throw new InvalidFundingSignatureError(
      `expected ${offerIndices.length} funding witnesses, got ${sign.fundingSignatures.length}`,
    );
  }
  offerIndices.forEach((txIndex, i) => {
    const witness = sign.fundingSignatures[i] as readonly Uint8Array[];
    let ok: boolean;
    try {
      ok = verifyFundingWitness(contract.funding, txIndex, witness);
    } catch {
      ok = false;
    }
    if (!ok) throw new InvalidFundingSignatureError(`funding witness ${i} does not verify`);
  });
}

/**
 * Validates a `sign_dlc` (contract id, refund signature, every CET adaptor signature, the
 * offerer's funding witnesses) and returns the fully signed funding transaction.
 */
export function finalizeSign(params: FinalizeSignParams): {
  fundingTx: Transaction;
  contract: DlcContract;
} {
  const { accept, sign, side } = params;
  if (!bytesEqual(publicKeyOf(side.fundingSecretKey), accept.fundingPubkey)) {
    throw new TypeError('side.fundingSecretKey is not the key of this accept');
  }
  return finalizeWith(verifySign(params), sign, side);
}

/** {@link finalizeSign} with the adaptor signatures verified by `runner` (e.g. a worker pool). */
export async function finalizeSignAsync(
  params: FinalizeSignParams & { readonly runner: AdaptorRunner },
): Promise<{ fundingTx: Transaction; contract: DlcContract }> {
  const { accept, sign, side } = params;
  if (!bytesEqual(publicKeyOf(side.fundingSecretKey), accept.fundingPubkey)) {
    throw new TypeError('side.fundingSecretKey is not the key of this accept');
  }
  return finalizeWith(await verifySignAsync(params), sign, side);
}

function finalizeWith(
  contract: DlcContract,
  sign: SignDlc,
  side: PartySide,
): { fundingTx: Transaction; contract: DlcContract } {
  const own = signFundingInputs(contract, 'accept', side);
  let nextOffer = 0;
  let nextOwn = 0;
  const witnesses = contract.funding.inputs.map((input) =>
    input.party === 'offer'
      ? (sign.fundingSignatures[nextOffer++] as readonly Uint8Array[])
      : (own[nextOwn++] as Uint8Array[]),
  );
  return { fundingTx: withFundingWitnesses(contract.funding, witnesses), contract };
}

// ---------------------------------------------------------------------------------------------
// Closing: CET from an attestation, refund

function counterpartyOf(contract: DlcContract, role: 'offer' | 'accept'): Uint8Array {
  return role === 'offer' ? contract.accept.fundingPubkey : contract.offer.fundingPubkey;
}

/**
 * Completes the CET that the attestations unlock (Protocol.md "Closing"; DLC-NOTES.md §7.3)
 * with `execution.ts`: each attestation must verify against the contract's announcement of its
 * oracle (else {@link InvalidAttestationError}, rather than "no CET matches"), then the first
 * adaptor signature in signing order whose outcome or digit prefix they match is decrypted with
 * the sum of the attestation scalars, checked, and joined with this party's signature.
 * @throws InvalidAttestationError, NoMatchingCetError, InvalidCetAdaptorSignaturesError
 */
export function executeCet(params: {
  readonly contract: DlcContract;
  readonly role: 'offer' | 'accept';
  readonly fundingSecretKey: Uint8Array;
  /** The counterparty's `cet_adaptor_signatures` (from accept_dlc or sign_dlc). */
  readonly counterpartyAdaptorSignatures: readonly Uint8Array[];
  readonly attestations: readonly OracleAttestation[];
}): { cetIndex: number; tx: Transaction } {
  const { contract } = params;
  const info = contract.offer.contractInfo;
  const announcements = info.parts.flatMap((part) => oraclesOf(part.oracleInfo).announcements);
  for (const att of params.attestations) {
    const own = announcements.filter((a) => bytesEqual(a.oraclePublicKey, att.oraclePublicKey));
    if (own.length === 0) {
      throw new UnexpectedOracleError(
        'the attestation is from an oracle the contract does not use',
      );
    }
    if (!own.some((a) => verifyAttestation(a, att, contract.convention))) {
      throw new InvalidAttestationError(
        `attestation of ${att.eventId} does not verify against the contract's announcement`,
      );
    }
  }
  const { selection, tx } = executeContract({
    contractInfo: info,
    contract: contract.cets,
    convention: contract.convention,
    attestations: params.attestations,
    counterpartyAdaptorSignatures: params.counterpartyAdaptorSignatures,
    fundingScript: contract.funding.fundingScript,
    fundOutputValue: contract.funding.fundOutputValue,
    ownFundingSecretKey: params.fundingSecretKey,
    counterpartyFundingPubkey: counterpartyOf(contract, params.role),
  });
  return { cetIndex: selection.cetIndex, tx };
}

/**
 * The signed refund transaction (valid once `refund_locktime` has passed): the counterparty's
 * refund signature, verified again, and this party's.
 * @throws InvalidRefundSignatureError
 */
export function signRefund(params: {
  readonly contract: DlcContract;
  readonly role: 'offer' | 'accept';
  readonly fundingSecretKey: Uint8Array;
  readonly counterpartyRefundSignature: Uint8Array;
}): Transaction {
  const { contract } = params;
  return completeRefund({
    refundTx: contract.refundTx,
    fundingScript: contract.funding.fundingScript,
    fundOutputValue: contract.funding.fundOutputValue,
    ownFundingSecretKey: params.fundingSecretKey,
    counterpartyFundingPubkey: counterpartyOf(contract, params.role),
    counterpartyRefundSignature: params.counterpartyRefundSignature,
  });
}
