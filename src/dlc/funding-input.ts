/**
 * The `funding_input` of `offer_dlc` / `accept_dlc` (dlcspecs `Messaging.md`, DLC-NOTES.md §8):
 * `u64 input_serial_id ‖ bigsize prevtx_len ‖ prevtx ‖ u32 prevtx_vout ‖ u32 sequence ‖
 * u16 max_witness_len ‖ spk redeemscript`, and what the transaction code needs from it.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { RawTx } from '@scure/btc-signer';
import type { FeeInput } from './fees.ts';

/** One `funding_input`. Bytes as on the wire; `redeemScript` is empty for native SegWit. */
export interface FundingInput {
  /** u64 `input_serial_id`: the funding transaction's inputs are sorted by it. */
  readonly inputSerialId: bigint;
  /** The whole previous transaction (with or without witness data). */
  readonly prevTx: Uint8Array;
  readonly prevTxVout: number;
  readonly sequence: number;
  /** u16 `max_witness_len`: the full serialized witness size used by the fee formula. */
  readonly maxWitnessLen: number;
  /** The P2SH redeem script (a witness program) of a wrapped input; empty when native. */
  readonly redeemScript: Uint8Array;
}

/** The output a funding input spends, read from its `prevtx`. */
export interface FundingInputPrevout {
  /** Txid of `prevtx` in display (RPC) order, as scure's `RawInput.txid` expects. */
  readonly txid: Uint8Array;
  readonly index: number;
  readonly amount: bigint;
  readonly script: Uint8Array;
}

/** An output as scure's `RawTx` decodes it. */
interface RawTxOutput {
  readonly amount: bigint;
  readonly script: Uint8Array;
}

/** Base class of the DLC transaction errors: a stable `code` for callers to map. */
export class DlcTransactionError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A funding input that is malformed or not SegWit (dlcspecs Protocol.md: MUST reject). */
export class InvalidFundingInputError extends DlcTransactionError {
  constructor(message: string) {
    super('invalid_funding_input', message);
  }
}

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffffffff;

function sha256d(bytes: Uint8Array): Uint8Array {
  return sha256(sha256(bytes));
}

/** Constant-length-agnostic byte equality (public data only; not constant time). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** hash160 = RIPEMD160(SHA256(x)). */
export function hash160(bytes: Uint8Array): Uint8Array {
  return ripemd160(sha256(bytes));
}

/** The txid of a raw transaction in display order (witness data is not part of the txid). */
export function txidOf(rawTx: Uint8Array): Uint8Array {
  const decoded = RawTx.decode(rawTx);
  const stripped = RawTx.encode({ ...decoded, segwitFlag: false, witnesses: undefined });
  return sha256d(stripped).reverse();
}

/** {@link txidOf} as hex. */
export function txidHexOf(rawTx: Uint8Array): string {
  return bytesToHex(txidOf(rawTx));
}

/**
 * Whether `script` is a witness program: `OP_n <2..40 bytes>` with n in 0..16 (BIP141), v0
 * programs being 20 (P2WPKH) or 32 (P2WSH) bytes.
 */
export function isWitnessProgram(script: Uint8Array): boolean {
  if (script.length < 4 || script.length > 42) return false;
  const version = script[0];
  const pushLen = script[1];
  if (version === undefined || pushLen === undefined) return false;
  if (version !== 0x00 && (version < 0x51 || version > 0x60)) return false;
  if (pushLen + 2 !== script.length) return false;
  if (version === 0x00 && pushLen !== 20 && pushLen !== 32) return false;
  return true;
}

/** `OP_HASH160 <20> OP_EQUAL`. */
function isP2sh(script: Uint8Array): boolean {
  return script.length === 23 && script[0] === 0xa9 && script[1] === 0x14 && script[22] === 0x87;
}

/**
 * Reads the spent output from `prevtx` and checks what dlcspecs requires of a funding input:
 * the prevout is native SegWit with an empty redeem script, or P2SH of the given redeem script
 * which is itself a witness program.
 */
export function fundingInputPrevout(input: FundingInput): FundingInputPrevout {
  validateFundingInputFields(input);
  let outputs: readonly RawTxOutput[];
  try {
    // scure's RawTx output type is elided to `any` in its declarations: name it here.
    outputs = RawTx.decode(input.prevTx).outputs;
  } catch (error) {
    throw new InvalidFundingInputError(
      `input ${input.inputSerialId}: prevtx does not parse: ${(error as Error).message}`,
    );
  }
  const output = outputs[input.prevTxVout];
  if (output === undefined) {
    throw new InvalidFundingInputError(
      `input ${input.inputSerialId}: prevtx_vout ${input.prevTxVout} out of range (${outputs.length} outputs)`,
    );
  }
  if (input.redeemScript.length === 0) {
    if (!isWitnessProgram(output.script)) {
      throw new InvalidFundingInputError(
        `input ${input.inputSerialId}: prevout script is not a witness program (non-SegWit funding input)`,
      );
    }
  } else {
    if (!isP2sh(output.script)) {
      throw new InvalidFundingInputError(
        `input ${input.inputSerialId}: redeemscript given but prevout is not P2SH`,
      );
    }
    if (!bytesEqual(output.script.subarray(2, 22), hash160(input.redeemScript))) {
      throw new InvalidFundingInputError(
        `input ${input.inputSerialId}: redeemscript does not match the P2SH prevout`,
      );
    }
    if (!isWitnessProgram(input.redeemScript)) {
      throw new InvalidFundingInputError(
        `input ${input.inputSerialId}: redeemscript is not a witness program (non-SegWit funding input)`,
      );
    }
  }
  return {
    txid: txidOf(input.prevTx),
    index: input.prevTxVout,
    amount: output.amount,
    script: output.script,
  };
}

/** Range checks of the integer fields (u64, u32, u32, u16). */
export function validateFundingInputFields(input: FundingInput): void {
  if (input.inputSerialId < 0n || input.inputSerialId > U64_MAX) {
    throw new RangeError(`inputSerialId out of u64 range: ${input.inputSerialId}`);
  }
  if (!Number.isInteger(input.prevTxVout) || input.prevTxVout < 0 || input.prevTxVout > U32_MAX) {
    throw new RangeError(`prevTxVout out of u32 range: ${input.prevTxVout}`);
  }
  if (!Number.isInteger(input.sequence) || input.sequence < 0 || input.sequence > U32_MAX) {
    throw new RangeError(`sequence out of u32 range: ${input.sequence}`);
  }
  if (
    !Number.isInteger(input.maxWitnessLen) ||
    input.maxWitnessLen < 0 ||
    input.maxWitnessLen > 0xffff
  ) {
    throw new RangeError(`maxWitnessLen out of u16 range: ${input.maxWitnessLen}`);
  }
}

/**
 * The funding transaction's scriptSig for this input: empty for native SegWit, else the push of
 * the redeem script (BIP141 P2SH-wrapped SegWit). It is part of the txid, so it is set in the
 * unsigned funding transaction already.
 */
export function fundingInputScriptSig(input: FundingInput): Uint8Array {
  const len = input.redeemScript.length;
  if (len === 0) return new Uint8Array(0);
  if (len > 75) throw new InvalidFundingInputError('redeemscript longer than a direct push');
  const out = new Uint8Array(1 + len);
  out[0] = len;
  out.set(input.redeemScript, 1);
  return out;
}

/** The fee formula's view of a funding input. */
export function feeInputOf(input: FundingInput): FeeInput {
  return { redeemScriptLen: input.redeemScript.length, maxWitnessLen: input.maxWitnessLen };
}
