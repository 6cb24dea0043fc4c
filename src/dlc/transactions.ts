/**
 * The DLC transactions (dlcspecs `Transactions.md`, DLC-NOTES.md §7): the funding transaction with
 * its 2-of-2 P2WSH output, the CETs and the refund transaction, their BIP143 signature hashes and
 * the witness that spends the funding output.
 *
 * Transactions are built as data, serialized by scure's `RawTx` coder and returned as scure
 * `Transaction`s (`tx.toBytes(true, false)` is the unsigned transaction, `tx.id` its txid).
 */
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { RawTx, SigHash, Transaction } from '@scure/btc-signer';
import type { TxOpts } from '@scure/btc-signer';
import { contractFees, type ContractFees } from './fees.ts';
import {
  bytesEqual,
  DlcTransactionError,
  feeInputOf,
  fundingInputPrevout,
  fundingInputScriptSig,
  hash160,
  type FundingInput,
  type FundingInputPrevout,
} from './funding-input.ts';

/** Transaction version of all DLC transactions. */
export const DLC_TX_VERSION = 2;
/** nSequence of the CET and refund input: enables nLockTime (DLC-NOTES.md §7.3). */
export const CET_SEQUENCE = 0xfffffffe;
/** CET/refund outputs and change below this are dust (DLC-NOTES.md §7.5, rust-dlc). */
export const DUST_LIMIT_SAT = 1000n;
/** nLockTime values below this are block heights, from it on UNIX times (Bitcoin consensus). */
export const LOCKTIME_THRESHOLD = 500_000_000;

/** Options under which scure parses our transactions: payout/change scripts may be any script. */
const TX_OPTS: TxOpts = {
  allowUnknownOutputs: true,
  allowUnknownInputs: true,
  disableScriptCheck: true,
};

const U64_MAX = (1n << 64n) - 1n;

/** The inputs do not cover collateral + fees (dlcspecs Protocol.md: MUST reject). */
export class InsufficientFundsError extends DlcTransactionError {
  readonly party: 'offer' | 'accept';
  readonly shortfall: bigint;
  constructor(party: 'offer' | 'accept', shortfall: bigint) {
    super(
      'insufficient_funds',
      `${party} funding inputs are ${shortfall} sat short of collateral + fees`,
    );
    this.party = party;
    this.shortfall = shortfall;
  }
}

/** A change output would be dust (below {@link DUST_LIMIT_SAT}). */
export class DustChangeError extends DlcTransactionError {
  readonly party: 'offer' | 'accept';
  readonly change: bigint;
  constructor(party: 'offer' | 'accept', change: bigint) {
    super(
      'dust_change',
      `${party} change of ${change} sat is below the ${DUST_LIMIT_SAT} sat dust limit: add or remove inputs`,
    );
    this.party = party;
    this.change = change;
  }
}

/** Serial ids that must differ do not (dlcspecs Protocol.md: MUST reject). */
export class DuplicateSerialIdError extends DlcTransactionError {
  constructor(message: string) {
    super('duplicate_serial_id', message);
  }
}

/** cet_locktime / refund_locktime violate dlcspecs Protocol.md. */
export class InvalidLocktimeError extends DlcTransactionError {
  constructor(message: string) {
    super('invalid_locktime', message);
  }
}

// ---------------------------------------------------------------------------------------------
// Funding script

function assertPubkey(pubkey: Uint8Array, name: string): void {
  if (!(pubkey instanceof Uint8Array) || pubkey.length !== 33) {
    throw new TypeError(`${name} must be a 33-byte compressed public key`);
  }
  try {
    secp256k1.Point.fromBytes(pubkey);
  } catch {
    throw new TypeError(`${name} is not a valid secp256k1 point`);
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** The two funding keys in script order: lexicographically lesser first (BIP67). */
export function sortFundingPubkeys(
  pubkeyA: Uint8Array,
  pubkeyB: Uint8Array,
): [Uint8Array, Uint8Array] {
  assertPubkey(pubkeyA, 'pubkeyA');
  assertPubkey(pubkeyB, 'pubkeyB');
  const cmp = compareBytes(pubkeyA, pubkeyB);
  if (cmp === 0) throw new RangeError('the two funding pubkeys must differ');
  return cmp < 0 ? [pubkeyA, pubkeyB] : [pubkeyB, pubkeyA];
}

/**
 * The funding output's witness script: `OP_2 <pk1> <pk2> OP_2 OP_CHECKMULTISIG`, `pk1` the
 * lexicographically lesser key (Transactions.md "Funding Output").
 */
export function fundingScript(pubkeyA: Uint8Array, pubkeyB: Uint8Array): Uint8Array {
  const [pk1, pk2] = sortFundingPubkeys(pubkeyA, pubkeyB);
  const script = new Uint8Array(71);
  script[0] = 0x52; // OP_2
  script[1] = 0x21;
  script.set(pk1, 2);
  script[35] = 0x21;
  script.set(pk2, 36);
  script[69] = 0x52; // OP_2
  script[70] = 0xae; // OP_CHECKMULTISIG
  return script;
}

/** The two keys of a funding script, in script order; throws if `script` is not one. */
export function fundingScriptPubkeys(script: Uint8Array): [Uint8Array, Uint8Array] {
  if (
    script.length !== 71 ||
    script[0] !== 0x52 ||
    script[1] !== 0x21 ||
    script[35] !== 0x21 ||
    script[69] !== 0x52 ||
    script[70] !== 0xae
  ) {
    throw new TypeError('not a DLC 2-of-2 funding script');
  }
  return [script.slice(2, 35), script.slice(36, 69)];
}

/** The funding output's scriptPubKey: P2WSH `OP_0 <sha256(script)>`. */
export function fundingSpk(script: Uint8Array): Uint8Array {
  const spk = new Uint8Array(34);
  spk[0] = 0x00;
  spk[1] = 0x20;
  spk.set(sha256(script), 2);
  return spk;
}

// ---------------------------------------------------------------------------------------------
// Funding transaction

/** One party's contribution to the funding transaction (fields of offer_dlc / accept_dlc). */
export interface PartyFundingParams {
  readonly fundingPubkey: Uint8Array;
  /** `offer_collateral` / `accept_collateral`; 0 for the party without inputs of a single-funded contract. */
  readonly collateral: bigint;
  /** May be empty: then the party pays no fee and gets no change output (single-funded). */
  readonly inputs: readonly FundingInput[];
  readonly changeSpk: Uint8Array;
  readonly changeSerialId: bigint;
  readonly payoutSpk: Uint8Array;
  readonly payoutSerialId: bigint;
}

/** What to do with a change output below {@link DUST_LIMIT_SAT}. */
export type DustChangePolicy = 'reject' | 'drop';

export interface BuildFundingParams {
  readonly offer: PartyFundingParams;
  readonly accept: PartyFundingParams;
  readonly fundOutputSerialId: bigint;
  /** The offer's `feerate_per_vb`. */
  readonly feeRatePerVb: bigint;
  /**
   * Dust change. `'reject'` (default) follows dlcspecs Transactions.md/Protocol.md: a party must
   * bring inputs whose change is not dust, and the counterparty may reject otherwise.
   * `'drop'` does what rust-dlc does: omit the output and let its value go to the miners (the
   * fees stay as computed with the change output counted, so the effective fee rate is higher).
   */
  readonly dustChange?: DustChangePolicy;
}

/** A funding transaction input with the party that brings it. */
export interface FundingTxInput {
  readonly party: 'offer' | 'accept';
  readonly fundingInput: FundingInput;
  readonly prevout: FundingInputPrevout;
}

export interface FundingTransaction {
  /** The unsigned funding transaction (P2SH-wrapped inputs already carry their scriptSig). */
  readonly tx: Transaction;
  /** Txid in display (RPC) order, hex. */
  readonly txid: string;
  readonly fundOutputIndex: number;
  readonly fundOutputValue: bigint;
  /** The 2-of-2 witness script. */
  readonly fundingScript: Uint8Array;
  /** The inputs in transaction order. */
  readonly inputs: readonly FundingTxInput[];
  readonly fees: ContractFees;
  /** Each party's change value, `null` when it has no change output (no inputs, or dropped dust). */
  readonly offerChange: bigint | null;
  readonly acceptChange: bigint | null;
}

function assertU64(value: bigint, name: string): void {
  if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) {
    throw new RangeError(`${name} must be a u64 bigint, got ${String(value)}`);
  }
}

/** Stable ascending sort by serial id; the original order breaks ties. */
export function sortBySerialId<T>(items: readonly T[], serialId: (item: T) => bigint): T[] {
  return items
    .map((item, position) => ({ item, position, id: serialId(item) }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.position - b.position))
    .map(({ item }) => item);
}

/**
 * Builds the unsigned funding transaction (Transactions.md "Funding Transaction", DLC-NOTES §7.1):
 * version 2, nLockTime 0, both parties' inputs sorted by `input_serial_id`, the funding output and
 * the change outputs sorted by `fund_output_serial_id` / `change_serial_id`.
 *
 * funding output value = offer_collateral + accept_collateral + offer_closing_fee +
 * accept_closing_fee; change = Σ own inputs − own collateral − own funding fee − own closing fee.
 * Fees per {@link contractFees}: in a single-funded contract the party with inputs pays all.
 */
export function buildFundingTransaction(params: BuildFundingParams): FundingTransaction {
  const { offer, accept, fundOutputSerialId, feeRatePerVb } = params;
  const dustChange = params.dustChange ?? 'reject';
  assertU64(fundOutputSerialId, 'fundOutputSerialId');
  for (const [name, party] of [
    ['offer', offer],
    ['accept', accept],
  ] as const) {
    assertU64(party.changeSerialId, `${name}.changeSerialId`);
    assertU64(party.payoutSerialId, `${name}.payoutSerialId`);
    if (typeof party.collateral !== 'bigint' || party.collateral < 0n) {
      throw new RangeError(`${name}.collateral must be a non-negative bigint`);
    }
  }

  // Protocol.md: input_serial_ids unique; change_serial_id ≠ fund_output_serial_id (and the
  // two change ids differ, else the output order is not defined).
  const inputIds = new Set<bigint>();
  for (const input of [...offer.inputs, ...accept.inputs]) {
    if (inputIds.has(input.inputSerialId)) {
      throw new DuplicateSerialIdError(`duplicate input_serial_id ${input.inputSerialId}`);
    }
    inputIds.add(input.inputSerialId);
  }
  if (offer.changeSerialId === fundOutputSerialId || accept.changeSerialId === fundOutputSerialId) {
    throw new DuplicateSerialIdError('change_serial_id equals fund_output_serial_id');
  }
  if (
    offer.inputs.length > 0 &&
    accept.inputs.length > 0 &&
    offer.changeSerialId === accept.changeSerialId
  ) {
    throw new DuplicateSerialIdError('offer and accept change_serial_id are equal');
  }

  const script = fundingScript(offer.fundingPubkey, accept.fundingPubkey);
  const fees = contractFees({
    offer: {
      inputs: offer.inputs.map(feeInputOf),
      changeSpkLen: offer.changeSpk.length,
      payoutSpkLen: offer.payoutSpk.length,
    },
    accept: {
      inputs: accept.inputs.map(feeInputOf),
      changeSpkLen: accept.changeSpk.length,
      payoutSpkLen: accept.payoutSpk.length,
    },
    feeRatePerVb,
  });

  const txInputs: FundingTxInput[] = [];
  const change = (name: 'offer' | 'accept', party: PartyFundingParams): bigint | null => {
    const partyFees = fees[name];
    if (party.inputs.length === 0) {
      // Single-funded: the party without inputs can lock no collateral and pays nothing.
      if (party.collateral > 0n) throw new InsufficientFundsError(name, party.collateral);
      return null;
    }
    let total = 0n;
    for (const fundingInput of party.inputs) {
      const prevout = fundingInputPrevout(fundingInput);
      txInputs.push({ party: name, fundingInput, prevout });
      total += prevout.amount;
    }
    const value = total - party.collateral - partyFees.fundingFee - partyFees.closingFee;
    if (value < 0n) throw new InsufficientFundsError(name, -value);
    if (value < DUST_LIMIT_SAT) {
      if (dustChange === 'reject') throw new DustChangeError(name, value);
      return null;
    }
    return value;
  };
  const offerChange = change('offer', offer);
  const acceptChange = change('accept', accept);

  const fundOutputValue =
    offer.collateral + accept.collateral + fees.offer.closingFee + fees.accept.closingFee;

  interface PendingOutput {
    readonly serialId: bigint;
    readonly amount: bigint;
    readonly script: Uint8Array;
    readonly isFunding: boolean;
  }
  const outputs: PendingOutput[] = [
    {
      serialId: fundOutputSerialId,
      amount: fundOutputValue,
      script: fundingSpk(script),
      isFunding: true,
    },
  ];
  if (offerChange !== null) {
    outputs.push({
      serialId: offer.changeSerialId,
      amount: offerChange,
      script: offer.changeSpk,
      isFunding: false,
    });
  }
  if (acceptChange !== null) {
    outputs.push({
      serialId: accept.changeSerialId,
      amount: acceptChange,
      script: accept.changeSpk,
      isFunding: false,
    });
  }
  const sortedOutputs = sortBySerialId(outputs, (o) => o.serialId);
  const sortedInputs = sortBySerialId(txInputs, (i) => i.fundingInput.inputSerialId);

  const raw = RawTx.encode({
    version: DLC_TX_VERSION,
    segwitFlag: false,
    inputs: sortedInputs.map(({ fundingInput, prevout }) => ({
      txid: prevout.txid,
      index: prevout.index,
      finalScriptSig: fundingInputScriptSig(fundingInput),
      sequence: fundingInput.sequence,
    })),
    outputs: sortedOutputs.map(({ amount, script: spk }) => ({ amount, script: spk })),
    witnesses: undefined,
    lockTime: 0,
  });
  const tx = Transaction.fromRaw(raw, TX_OPTS);
  return {
    tx,
    txid: tx.id,
    fundOutputIndex: sortedOutputs.findIndex((o) => o.isFunding),
    fundOutputValue,
    fundingScript: script,
    inputs: sortedInputs,
    fees,
    offerChange,
    acceptChange,
  };
}

// ---------------------------------------------------------------------------------------------
// CETs and refund

function txidBytes(txid: string | Uint8Array): Uint8Array {
  const bytes = typeof txid === 'string' ? hexToBytes(txid) : txid;
  if (bytes.length !== 32) throw new TypeError('fundingTxid must be 32 bytes (display order)');
  return bytes;
}

function assertLocktime(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`${name} must be a u32, got ${String(value)}`);
  }
}

function assertOutputIndex(value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`fundOutputIndex must be a u32, got ${String(value)}`);
  }
}

/** Payout outputs of a transaction spending the funding output. */
interface ClosingOutput {
  readonly serialId: bigint;
  readonly amount: bigint;
  readonly script: Uint8Array;
}

function buildClosingTx(
  fundingTxid: string | Uint8Array,
  fundOutputIndex: number,
  lockTime: number,
  outputs: readonly ClosingOutput[],
): Transaction {
  assertOutputIndex(fundOutputIndex);
  for (const o of outputs) {
    if (typeof o.amount !== 'bigint' || o.amount < 0n) {
      throw new RangeError(`payout must be a non-negative bigint, got ${String(o.amount)}`);
    }
  }
  // DLC-NOTES.md §7.3: an output below 1000 sat is omitted (rust-dlc keeps values ≥ 1000).
  const kept = outputs.filter((o) => o.amount >= DUST_LIMIT_SAT);
  if (kept.length === 0) throw new RangeError('every payout output is dust: nothing to pay out');
  const raw = RawTx.encode({
    version: DLC_TX_VERSION,
    segwitFlag: false,
    inputs: [
      {
        // The funding output's actual index after sorting (DLC-NOTES §7.3), not "output 0".
        txid: txidBytes(fundingTxid),
        index: fundOutputIndex,
        finalScriptSig: new Uint8Array(0),
        sequence: CET_SEQUENCE,
      },
    ],
    outputs: kept.map(({ amount, script }) => ({ amount, script })),
    witnesses: undefined,
    lockTime,
  });
  return Transaction.fromRaw(raw, TX_OPTS);
}

export interface BuildCetParams {
  /** Funding txid, display order (hex or bytes). */
  readonly fundingTxid: string | Uint8Array;
  readonly fundOutputIndex: number;
  readonly offerPayout: bigint;
  readonly acceptPayout: bigint;
  readonly offerPayoutSpk: Uint8Array;
  readonly acceptPayoutSpk: Uint8Array;
  readonly offerPayoutSerialId: bigint;
  readonly acceptPayoutSerialId: bigint;
  readonly cetLocktime: number;
}

/**
 * A contract execution transaction (Transactions.md "Contract Execution Transaction"): version 2,
 * nLockTime `cet_locktime`, the funding output as only input with sequence 0xfffffffe, outputs
 * sorted by `payout_serial_id`, outputs below 1000 sat omitted. The CET fee was prepaid in the
 * funding output, so the outputs are the exact payouts.
 */
export function buildCet(params: BuildCetParams): Transaction {
  assertLocktime(params.cetLocktime, 'cetLocktime');
  assertU64(params.offerPayoutSerialId, 'offerPayoutSerialId');
  assertU64(params.acceptPayoutSerialId, 'acceptPayoutSerialId');
  if (params.offerPayoutSerialId === params.acceptPayoutSerialId) {
    throw new DuplicateSerialIdError('offer and accept payout_serial_id are equal');
  }
  const outputs = sortBySerialId<ClosingOutput>(
    [
      {
        serialId: params.offerPayoutSerialId,
        amount: params.offerPayout,
        script: params.offerPayoutSpk,
      },
      {
        serialId: params.acceptPayoutSerialId,
        amount: params.acceptPayout,
        script: params.acceptPayoutSpk,
      },
    ],
    (o) => o.serialId,
  );
  return buildClosingTx(params.fundingTxid, params.fundOutputIndex, params.cetLocktime, outputs);
}

/** The CET fields that are the same for every CET of a contract (see {@link cetSighashFn}). */
export interface CetSighashParams {
  /** Funding txid, display order (hex or bytes). */
  readonly fundingTxid: string | Uint8Array;
  readonly fundOutputIndex: number;
  readonly fundOutputValue: bigint;
  /** The 2-of-2 funding script (BIP143 script code). */
  readonly fundingScript: Uint8Array;
  readonly offerPayoutSpk: Uint8Array;
  readonly acceptPayoutSpk: Uint8Array;
  readonly offerPayoutSerialId: bigint;
  readonly acceptPayoutSerialId: bigint;
  readonly cetLocktime: number;
}

/** Transaction amounts are signed 64-bit on the wire. */
const I64_MAX = (1n << 63n) - 1n;

const sha256d = (bytes: Uint8Array): Uint8Array => sha256(sha256(bytes));

function writeU32LE(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value & 0xff;
  out[offset + 1] = (value >>> 8) & 0xff;
  out[offset + 2] = (value >>> 16) & 0xff;
  out[offset + 3] = (value >>> 24) & 0xff;
}

function writeU64LE(out: Uint8Array, offset: number, value: bigint): void {
  writeU32LE(out, offset, Number(value & 0xffffffffn));
  writeU32LE(out, offset + 4, Number(value >> 32n));
}

/** Bitcoin CompactSize of `n` (script lengths). */
function compactSize(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >>> 8);
  const out = new Uint8Array(5);
  out[0] = 0xfe;
  writeU32LE(out, 1, n);
  return out;
}

/**
 * The CET sighash as a function of the payouts, for many CETs of one contract: the same digest as
 * `cetSighash(buildCet(...), fundingScript, fundOutputValue)` (BIP143 SIGHASH_ALL, checked
 * against it in the tests), without building a transaction. Of the BIP143 preimage only
 * `hashOutputs` depends on the payouts; the rest is serialized once. The same checks as
 * {@link buildCet} (locktime, serial ids, payouts, all-dust) throw the same errors.
 */
export function cetSighashFn(
  params: CetSighashParams,
): (offerPayout: bigint, acceptPayout: bigint) => Uint8Array {
  assertLocktime(params.cetLocktime, 'cetLocktime');
  assertU64(params.offerPayoutSerialId, 'offerPayoutSerialId');
  assertU64(params.acceptPayoutSerialId, 'acceptPayoutSerialId');
  if (params.offerPayoutSerialId === params.acceptPayoutSerialId) {
    throw new DuplicateSerialIdError('offer and accept payout_serial_id are equal');
  }
  assertOutputIndex(params.fundOutputIndex);
  if (params.fundOutputValue < 0n || params.fundOutputValue > I64_MAX) {
    throw new RangeError(`fundOutputValue ${params.fundOutputValue} sat is not an i64 amount`);
  }
  fundingScriptPubkeys(params.fundingScript);
  const offerFirst = params.offerPayoutSerialId < params.acceptPayoutSerialId;
  const firstSpk = offerFirst ? params.offerPayoutSpk : params.acceptPayoutSpk;
  const secondSpk = offerFirst ? params.acceptPayoutSpk : params.offerPayoutSpk;
  const withLength = (spk: Uint8Array): Uint8Array => {
    const len = compactSize(spk.length);
    const out = new Uint8Array(len.length + spk.length);
    out.set(len, 0);
    out.set(spk, len.length);
    return out;
  };
  const firstScript = withLength(firstSpk);
  const secondScript = withLength(secondSpk);
  // The outputs buffer of both outputs, each `amount (8, LE) ‖ script`; reused per call.
  const both = new Uint8Array(16 + firstScript.length + secondScript.length);
  both.set(firstScript, 8);
  both.set(secondScript, 16 + firstScript.length);
  const secondAt = 8 + firstScript.length;

  // BIP143 preimage: version ‖ hashPrevouts ‖ hashSequence ‖ outpoint ‖ scriptCode ‖ amount ‖
  // nSequence ‖ hashOutputs ‖ nLockTime ‖ sighash type.
  const outpoint = new Uint8Array(36);
  outpoint.set(txidBytes(params.fundingTxid).slice().reverse(), 0);
  writeU32LE(outpoint, 32, params.fundOutputIndex);
  const sequence = new Uint8Array(4);
  writeU32LE(sequence, 0, CET_SEQUENCE);
  const scriptCode = withLength(params.fundingScript);
  const preimage = new Uint8Array(4 + 32 + 32 + 36 + scriptCode.length + 8 + 4 + 32 + 4 + 4);
  let at = 0;
  writeU32LE(preimage, at, DLC_TX_VERSION);
  at += 4;
  preimage.set(sha256d(outpoint), at);
  at += 32;
  preimage.set(sha256d(sequence), at);
  at += 32;
  preimage.set(outpoint, at);
  at += 36;
  preimage.set(scriptCode, at);
  at += scriptCode.length;
  writeU64LE(preimage, at, params.fundOutputValue);
  at += 8;
  preimage.set(sequence, at);
  at += 4;
  const hashOutputsAt = at;
  at += 32;
  writeU32LE(preimage, at, params.cetLocktime);
  at += 4;
  writeU32LE(preimage, at, SigHash.ALL);

  return (offerPayout, acceptPayout) => {
    for (const amount of [offerPayout, acceptPayout]) {
      if (typeof amount !== 'bigint' || amount < 0n) {
        throw new RangeError(`payout must be a non-negative bigint, got ${String(amount)}`);
      }
      if (amount > I64_MAX) throw new RangeError(`payout ${amount} sat exceeds an i64`);
    }
    const firstAmount = offerFirst ? offerPayout : acceptPayout;
    const secondAmount = offerFirst ? acceptPayout : offerPayout;
    // DLC-NOTES.md §7.3: an output below 1000 sat is omitted (as in buildClosingTx).
    const keepFirst = firstAmount >= DUST_LIMIT_SAT;
    const keepSecond = secondAmount >= DUST_LIMIT_SAT;
    let outputs: Uint8Array;
    if (keepFirst && keepSecond) {
      writeU64LE(both, 0, firstAmount);
      writeU64LE(both, secondAt, secondAmount);
      outputs = both;
    } else if (keepFirst) {
      writeU64LE(both, 0, firstAmount);
      outputs = both.subarray(0, secondAt);
    } else if (keepSecond) {
      writeU64LE(both, secondAt, secondAmount);
      outputs = both.subarray(secondAt);
    } else {
      throw new RangeError('every payout output is dust: nothing to pay out');
    }
    preimage.set(sha256d(outputs), hashOutputsAt);
    return sha256d(preimage);
  };
}

/**
 * Refund output order. `'offer-first'` (default): offer output, then accept output, whatever the
 * serial ids; this is what rust-dlc's `create_refund_transaction` builds and what the
 * signatures of every upstream protocol-v1 vector commit to, so it is what deployed
 * counterparties sign. `'serial-id'`: sorted by `payout_serial_id`, as Transactions.md's
 * "exactly the same as a CET" implies (DLC-NOTES.md §7.4).
 */
export type RefundOutputOrder = 'offer-first' | 'serial-id';

export interface BuildRefundParams {
  readonly fundingTxid: string | Uint8Array;
  readonly fundOutputIndex: number;
  readonly offerCollateral: bigint;
  readonly acceptCollateral: bigint;
  readonly offerPayoutSpk: Uint8Array;
  readonly acceptPayoutSpk: Uint8Array;
  readonly offerPayoutSerialId: bigint;
  readonly acceptPayoutSerialId: bigint;
  readonly refundLocktime: number;
  readonly outputOrder?: RefundOutputOrder;
}

/**
 * The refund transaction (Transactions.md "Refund Transaction"): like a CET with nLockTime
 * `refund_locktime` and each party's collateral as output (a zero/dust collateral, as the
 * non-funding party's in a single-funded contract, is omitted).
 */
export function buildRefund(params: BuildRefundParams): Transaction {
  assertLocktime(params.refundLocktime, 'refundLocktime');
  assertU64(params.offerPayoutSerialId, 'offerPayoutSerialId');
  assertU64(params.acceptPayoutSerialId, 'acceptPayoutSerialId');
  if (params.offerPayoutSerialId === params.acceptPayoutSerialId) {
    throw new DuplicateSerialIdError('offer and accept payout_serial_id are equal');
  }
  const unsorted: ClosingOutput[] = [
    {
      serialId: params.offerPayoutSerialId,
      amount: params.offerCollateral,
      script: params.offerPayoutSpk,
    },
    {
      serialId: params.acceptPayoutSerialId,
      amount: params.acceptCollateral,
      script: params.acceptPayoutSpk,
    },
  ];
  const outputs =
    (params.outputOrder ?? 'offer-first') === 'serial-id'
      ? sortBySerialId(unsorted, (o) => o.serialId)
      : unsorted;
  return buildClosingTx(params.fundingTxid, params.fundOutputIndex, params.refundLocktime, outputs);
}

/**
 * dlcspecs Protocol.md: `cet_locktime` and `refund_locktime` are both block heights or both UNIX
 * times (nLockTime < 500 000 000 is a height), and `cet_locktime < refund_locktime`.
 */
export function validateLocktimes(cetLocktime: number, refundLocktime: number): void {
  assertLocktime(cetLocktime, 'cetLocktime');
  assertLocktime(refundLocktime, 'refundLocktime');
  const cetIsHeight = cetLocktime < LOCKTIME_THRESHOLD;
  const refundIsHeight = refundLocktime < LOCKTIME_THRESHOLD;
  if (cetIsHeight !== refundIsHeight) {
    throw new InvalidLocktimeError(
      'cet_locktime and refund_locktime must both be block heights or both be UNIX times',
    );
  }
  if (cetLocktime >= refundLocktime) {
    throw new InvalidLocktimeError('cet_locktime must be earlier than refund_locktime');
  }
}

// ---------------------------------------------------------------------------------------------
// Signature hashes and witnesses

/**
 * BIP143 (SegWit v0) SIGHASH_ALL digest of input 0 of a CET or the refund transaction: script
 * code = the 2-of-2 funding script, amount = the funding output value (DLC-NOTES §7.3).
 */
export function cetSighash(
  tx: Transaction,
  fundingScriptBytes: Uint8Array,
  fundOutputValue: bigint,
): Uint8Array {
  fundingScriptPubkeys(fundingScriptBytes);
  if (tx.inputsLength !== 1) throw new TypeError('a CET/refund transaction has exactly one input');
  return tx.preimageWitnessV0(0, fundingScriptBytes, SigHash.ALL, fundOutputValue);
}

/** The refund transaction spends the funding output exactly like a CET. */
export const refundSighash = cetSighash;

/**
 * BIP143 SIGHASH_ALL digest of a P2WPKH funding input (native or P2SH-wrapped): script code
 * `OP_DUP OP_HASH160 <hash160(pubkey)> OP_EQUALVERIFY OP_CHECKSIG` (BIP143 "P2WPKH").
 */
export function p2wpkhSighash(
  tx: Transaction,
  inputIndex: number,
  pubkey: Uint8Array,
  amount: bigint,
): Uint8Array {
  assertPubkey(pubkey, 'pubkey');
  const scriptCode = new Uint8Array(25);
  scriptCode.set([0x76, 0xa9, 0x14], 0);
  scriptCode.set(hash160(pubkey), 3);
  scriptCode.set([0x88, 0xac], 23);
  return tx.preimageWitnessV0(inputIndex, scriptCode, SigHash.ALL, amount);
}

/** DER encoding + SIGHASH_ALL byte of a 64-byte compact low-s ECDSA signature. */
export function toWitnessSignature(compactSig: Uint8Array): Uint8Array {
  if (!(compactSig instanceof Uint8Array) || compactSig.length !== 64) {
    throw new TypeError('signature must be a 64-byte compact ECDSA signature');
  }
  const sig = secp256k1.Signature.fromBytes(compactSig, 'compact');
  // BIP62/BIP146 standardness (LOW_S): a high-s signature would not relay.
  if (sig.hasHighS()) throw new RangeError('signature has a high s value');
  const der = sig.toBytes('der');
  const out = new Uint8Array(der.length + 1);
  out.set(der);
  out[der.length] = SigHash.ALL;
  return out;
}

/**
 * Verifies a 64-byte compact ECDSA signature over the funding-output spend of `tx` (CET or
 * refund) by `pubkey`. Returns false for a wrong signature; throws only on malformed arguments.
 */
export function verifyFundingSpendSignature(
  tx: Transaction,
  fundingScriptBytes: Uint8Array,
  fundOutputValue: bigint,
  compactSig: Uint8Array,
  pubkey: Uint8Array,
): boolean {
  const digest = cetSighash(tx, fundingScriptBytes, fundOutputValue);
  return secp256k1.verify(compactSig, digest, pubkey, { prehash: false, lowS: true });
}

/**
 * Returns a copy of `tx` (a CET or the refund) with the funding-output witness set:
 * `[<empty>, sig(pk1), sig(pk2), funding script]`, signatures DER + SIGHASH_ALL in the order of
 * the keys in the script (the lesser key first; DLC-NOTES §7.3). `sigA`/`sigB` are 64-byte
 * compact signatures by `pubA`/`pubB`, which must be the two keys of `fundingScriptBytes`.
 */
export function finalizeCetWitness(
  tx: Transaction,
  fundingScriptBytes: Uint8Array,
  sigA: Uint8Array,
  pubA: Uint8Array,
  sigB: Uint8Array,
  pubB: Uint8Array,
): Transaction {
  const [pk1, pk2] = fundingScriptPubkeys(fundingScriptBytes);
  let first: Uint8Array;
  let second: Uint8Array;
  if (bytesEqual(pubA, pk1) && bytesEqual(pubB, pk2)) {
    [first, second] = [sigA, sigB];
  } else if (bytesEqual(pubA, pk2) && bytesEqual(pubB, pk1)) {
    [first, second] = [sigB, sigA];
  } else {
    throw new TypeError('pubA and pubB must be the two keys of the funding script');
  }
  if (tx.inputsLength !== 1) throw new TypeError('a CET/refund transaction has exactly one input');
  const signed = tx.clone();
  signed.updateInput(
    0,
    {
      finalScriptWitness: [
        new Uint8Array(0), // OP_CHECKMULTISIG's extra stack element
        toWitnessSignature(first),
        toWitnessSignature(second),
        fundingScriptBytes,
      ],
    },
    true,
  );
  return signed;
}

/**
 * The P2WPKH key hash a funding input pays to: the program of its native prevout or of its
 * P2SH-wrapped redeem script; `null` for other input types (P2WSH).
 */
function p2wpkhProgram(input: FundingTxInput): Uint8Array | null {
  const program =
    input.fundingInput.redeemScript.length > 0
      ? input.fundingInput.redeemScript
      : input.prevout.script;
  if (program.length === 22 && program[0] === 0x00 && program[1] === 0x14) {
    return program.subarray(2);
  }
  return null;
}

function fundingTxInputAt(funding: FundingTransaction, inputIndex: number): FundingTxInput {
  const input = funding.inputs[inputIndex];
  if (input === undefined) throw new RangeError(`no funding input at index ${inputIndex}`);
  return input;
}

/**
 * Deterministic low-s, low-R ECDSA signature (64-byte compact) as Bitcoin Core signs: RFC6979,
 * and while r has its top bit set, RFC6979 again with extra data = a 32-byte little-endian
 * counter starting at 1 (`CKey::Sign` "grind"). A low-R signature is one byte shorter in DER, so
 * a P2WPKH witness fits the `max_witness_len` of 107 that the dlcspecs vectors use.
 */
export function signLowR(digest: Uint8Array, privateKey: Uint8Array): Uint8Array {
  let sig = secp256k1.sign(digest, privateKey, { prehash: false, lowS: true });
  const extraEntropy = new Uint8Array(32);
  for (let counter = 1; (sig[0] as number) >= 0x80; counter++) {
    new DataView(extraEntropy.buffer).setUint32(0, counter, true);
    sig = secp256k1.sign(digest, privateKey, { prehash: false, lowS: true, extraEntropy });
  }
  return sig;
}

/**
 * Signs a P2WPKH (native or P2SH-wrapped) funding input: witness `[DER sig + 01, pubkey]`
 * (BIP143 sighash, SIGHASH_ALL). `sign` returns a 64-byte compact signature ({@link signLowR} by
 * default). Verifies its own output, including the `max_witness_len` bound, before returning.
 */
export function signP2wpkhFundingInput(
  funding: FundingTransaction,
  inputIndex: number,
  privateKey: Uint8Array,
  sign: (digest: Uint8Array, privateKey: Uint8Array) => Uint8Array = signLowR,
): Uint8Array[] {
  const input = fundingTxInputAt(funding, inputIndex);
  const pubkey = secp256k1.getPublicKey(privateKey, true);
  const program = p2wpkhProgram(input);
  if (program === null) throw new TypeError('funding input is not P2WPKH');
  if (!bytesEqual(program, hash160(pubkey))) {
    throw new TypeError('privateKey does not own this funding input');
  }
  const digest = p2wpkhSighash(funding.tx, inputIndex, pubkey, input.prevout.amount);
  const witness = [toWitnessSignature(sign(digest, privateKey)), pubkey];
  if (!verifyP2wpkhFundingWitness(funding, inputIndex, witness)) {
    throw new Error('signP2wpkhFundingInput: produced an invalid signature');
  }
  return witness;
}

/**
 * Verifies a funding input witness from a counterparty (`sign_dlc` funding_signatures, dlcspecs
 * Protocol.md: MUST reject an invalid one) for a P2WPKH input (native or P2SH-wrapped):
 * `[sig, pubkey]`, the key hashing to the input's program, the signature DER + SIGHASH_ALL
 * valid over the BIP143 sighash, and the witness no longer than `max_witness_len`. Returns
 * false for any mismatch; throws a TypeError for an input that is not P2WPKH.
 */
export function verifyP2wpkhFundingWitness(
  funding: FundingTransaction,
  inputIndex: number,
  witness: readonly Uint8Array[],
): boolean {
  const input = fundingTxInputAt(funding, inputIndex);
  const program = p2wpkhProgram(input);
  if (program === null) throw new TypeError('funding input is not P2WPKH');
  if (witness.length !== 2) return false;
  const [sigWithType, pubkey] = witness as [Uint8Array, Uint8Array];
  // Serialized witness: element count + each element with its length byte.
  const serializedLen = 1 + 1 + sigWithType.length + 1 + pubkey.length;
  if (serializedLen > input.fundingInput.maxWitnessLen) return false;
  if (pubkey.length !== 33 || !bytesEqual(hash160(pubkey), program)) return false;
  if (sigWithType[sigWithType.length - 1] !== SigHash.ALL) return false;
  let compact: Uint8Array;
  try {
    compact = secp256k1.Signature.fromBytes(sigWithType.subarray(0, -1), 'der').toBytes('compact');
    secp256k1.Point.fromBytes(pubkey);
  } catch {
    return false;
  }
  const digest = p2wpkhSighash(funding.tx, inputIndex, pubkey, input.prevout.amount);
  return secp256k1.verify(compact, digest, pubkey, { prehash: false, lowS: true });
}

/** A k-of-n `OP_k <33-byte key>… OP_n OP_CHECKMULTISIG` script (1 ≤ k ≤ n ≤ 16). */
export interface MultisigScript {
  readonly m: number;
  readonly pubkeys: readonly Uint8Array[];
}

/** Parses a bare k-of-n CHECKMULTISIG script of compressed keys; null for any other script. */
export function parseMultisigScript(script: Uint8Array): MultisigScript | null {
  const n = script.length;
  if (n < 37 || script[n - 1] !== 0xae) return null;
  const m = script[0]! - 0x50;
  const count = script[n - 2]! - 0x50;
  if (m < 1 || m > 16 || count < m || count > 16) return null;
  if (n !== 1 + count * 34 + 2) return null;
  const pubkeys: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const at = 1 + i * 34;
    if (script[at] !== 33) return null;
    const key = script.subarray(at + 1, at + 34);
    if (key[0] !== 0x02 && key[0] !== 0x03) return null;
    pubkeys.push(key);
  }
  return { m, pubkeys };
}

/**
 * The largest serialized witness of a k-of-n CHECKMULTISIG P2WSH input, for `max_witness_len`:
 * the item count, the empty CHECKMULTISIG dummy, k signatures of at most 72 bytes (71-byte low-S
 * DER + the sighash byte) and the witness script with its length prefix.
 */
export function multisigMaxWitnessLen(script: Uint8Array): number {
  const ms = parseMultisigScript(script);
  if (ms === null) throw new TypeError('not a k-of-n CHECKMULTISIG script');
  const scriptPrefix = script.length < 0xfd ? 1 : 3;
  return 1 + 1 + ms.m * (1 + 72) + scriptPrefix + script.length;
}

function varIntLen(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : 5;
}

/**
 * Verifies a funding input witness of any type this implementation accepts: P2WPKH (native or
 * P2SH-wrapped, {@link verifyP2wpkhFundingWitness}) or P2WSH (native or P2SH-wrapped) with a
 * k-of-n CHECKMULTISIG witness script: `[<empty>, sig…, script]`, the script hashing to the
 * program, k DER + SIGHASH_ALL signatures valid over the BIP143 sighash in key order (as
 * CHECKMULTISIG matches them), and the witness no longer than `max_witness_len`. Returns false
 * for any mismatch or another script shape.
 */
export function verifyFundingWitness(
  funding: FundingTransaction,
  inputIndex: number,
  witness: readonly Uint8Array[],
): boolean {
  const input = fundingTxInputAt(funding, inputIndex);
  if (p2wpkhProgram(input) !== null)
    return verifyP2wpkhFundingWitness(funding, inputIndex, witness);
  const spk = input.prevout.script;
  if (
    input.fundingInput.redeemScript.length === 0 &&
    spk.length === 34 &&
    spk[0] === 0x51 &&
    spk[1] === 0x20
  ) {
    return verifyTaprootKeyPathWitness(funding, inputIndex, witness);
  }
  const program =
    input.fundingInput.redeemScript.length > 0
      ? input.fundingInput.redeemScript
      : input.prevout.script;
  if (program.length !== 34 || program[0] !== 0x00 || program[1] !== 0x20) return false;
  const script = witness[witness.length - 1];
  if (script === undefined || !bytesEqual(sha256(script), program.subarray(2))) return false;
  const ms = parseMultisigScript(script);
  if (ms === null || witness.length !== ms.m + 2 || witness[0]!.length !== 0) return false;
  const serializedLen =
    varIntLen(witness.length) + witness.reduce((n, w) => n + varIntLen(w.length) + w.length, 0);
  if (serializedLen > input.fundingInput.maxWitnessLen) return false;
  const digest = funding.tx.preimageWitnessV0(
    inputIndex,
    script,
    SigHash.ALL,
    input.prevout.amount,
  );
  let key = 0;
  for (const sigWithType of witness.slice(1, -1)) {
    if (sigWithType[sigWithType.length - 1] !== SigHash.ALL) return false;
    let compact: Uint8Array;
    try {
      compact = secp256k1.Signature.fromBytes(sigWithType.subarray(0, -1), 'der').toBytes(
        'compact',
      );
    } catch {
      return false;
    }
    while (
      key < ms.pubkeys.length &&
      !secp256k1.verify(compact, digest, ms.pubkeys[key]!, { prehash: false, lowS: true })
    ) {
      key++;
    }
    if (key === ms.pubkeys.length) return false;
    key++;
  }
  return true;
}

/** The serialized witness of a taproot key-path spend with an explicit hash type: 1 + 1 + 65. */
export const P2TR_KEY_PATH_MAX_WITNESS_LEN = 67;

/**
 * A P2TR key-path funding witness (BIP341): one BIP340 signature of the output key over the
 * BIP341 sighash, SIGHASH_DEFAULT (64 bytes) or SIGHASH_ALL (65), within `max_witness_len`.
 */
function verifyTaprootKeyPathWitness(
  funding: FundingTransaction,
  inputIndex: number,
  witness: readonly Uint8Array[],
): boolean {
  const input = fundingTxInputAt(funding, inputIndex);
  if (witness.length !== 1) return false;
  const sig = witness[0]!;
  if (sig.length !== 64 && !(sig.length === 65 && sig[64] === SigHash.ALL)) return false;
  if (1 + 1 + sig.length > input.fundingInput.maxWitnessLen) return false;
  const hashType = sig.length === 65 ? SigHash.ALL : SigHash.DEFAULT;
  const digest = funding.tx.preimageWitnessV1(
    inputIndex,
    funding.inputs.map((i) => i.prevout.script),
    hashType,
    funding.inputs.map((i) => i.prevout.amount),
  );
  try {
    return schnorr.verify(sig.subarray(0, 64), digest, input.prevout.script.subarray(2));
  } catch {
    return false;
  }
}

/**
 * The funding transaction with every input's witness set (`witnesses[i]` for input `i` in
 * transaction order, i.e. by input_serial_id), ready to broadcast.
 */
export function withFundingWitnesses(
  funding: FundingTransaction,
  witnesses: readonly (readonly Uint8Array[])[],
): Transaction {
  if (witnesses.length !== funding.inputs.length) {
    throw new RangeError(`expected ${funding.inputs.length} witnesses, got ${witnesses.length}`);
  }
  const signed = funding.tx.clone();
  witnesses.forEach((witness, index) => {
    if (witness.length === 0) throw new RangeError(`witness of input ${index} is empty`);
    signed.updateInput(index, { finalScriptWitness: [...witness] }, true);
  });
  return signed;
}

/** Unsigned serialization (no witness) as hex: for logs, RPC and comparisons at the edges. */
export function unsignedTxHex(tx: Transaction): string {
  return bytesToHex(tx.toBytes(true, false));
}
