/**
 * Transaction validation as Bitcoin Core's `CheckTransaction`, `IsStandardTx`, `IsFinalTx`,
 * `SequenceLocks`, `Consensus::CheckTxInputs`, `IsWitnessStandard` and `CheckInputScripts` do
 * it, restricted to the spends devnet can execute (P2WPKH and P2WSH). Rejections carry Core's
 * reason strings and RPC codes.
 */
import { satsToBtc } from '../amount.ts';
import { RPC_VERIFY_ERROR, RPC_VERIFY_REJECTED } from '../errors.ts';
import { toDisplayHex } from './bytes.ts';
import {
  MAX_OP_RETURN_RELAY,
  MAX_STANDARD_P2WSH_SCRIPT_SIZE,
  MAX_STANDARD_P2WSH_STACK_ITEM_SIZE,
  MAX_STANDARD_P2WSH_STACK_ITEMS,
  MAX_STANDARD_TX_WEIGHT,
  MIN_STANDARD_TX_NONWITNESS_SIZE,
  classifyOutput,
  isDust,
  witnessProgram,
} from './policy.ts';
import { COINBASE_MATURITY } from './regtest.ts';
import {
  MANDATORY_FLAGS,
  SCRIPT_ERRORS,
  UnsupportedScriptError,
  verifyP2shWitnessInput,
  verifyTaprootKeyPathInput,
  verifyWitnessV0Input,
} from './script-interpreter.ts';
import { sighashTaprootKeyPath, sighashWitnessV0 } from './sighash.ts';
import type { ParsedTx, Tx, TxOutput } from './tx-codec.ts';
import { isCoinbase } from './tx-codec.ts';

export const MAX_MONEY_SAT = 21_000_000n * 100_000_000n;
const MAX_BLOCK_WEIGHT = 4_000_000;
const LOCKTIME_THRESHOLD = 500_000_000;
const SEQUENCE_FINAL = 0xffffffff;
const SEQUENCE_LOCKTIME_DISABLE_FLAG = 0x80000000;
const SEQUENCE_LOCKTIME_TYPE_FLAG = 0x00400000;
const SEQUENCE_LOCKTIME_MASK = 0x0000ffff;
const SEQUENCE_LOCKTIME_GRANULARITY = 9;

/** A refusal in Core's terms: RPC code, reject reason, optional debug detail. */
export class TxRejectedError extends Error {
  readonly code = 'devnet_tx_rejected';
  constructor(
    readonly rpcCode: number,
    readonly reason: string,
    readonly debug?: string,
  ) {
    // Core `TxValidationState::ToString()`.
    super(debug === undefined ? reason : `${reason}, ${debug}`);
    this.name = 'TxRejectedError';
  }
}

export function reject(reason: string, debug?: string): never {
  throw new TxRejectedError(RPC_VERIFY_REJECTED, reason, debug);
}

export interface Coin {
  output: TxOutput;
  /** Height of the block that created it; tip + 1 for a mempool output. */
  height: number;
  coinbase: boolean;
}

/** Core `FormatMoney`: trailing zeros trimmed, at least two decimals ("50.00", "0.001"). */
export function formatMoney(sats: bigint): string {
  let s = satsToBtc(sats);
  while (s.endsWith('0') && s.length - s.indexOf('.') > 3) s = s.slice(0, -1);
  return s;
}

/** Core `CheckTransaction`: context-free consensus checks. */
export function checkTransaction(tx: ParsedTx): void {
  if (tx.inputs.length === 0) reject('bad-txns-vin-empty');
  if (tx.outputs.length === 0) reject('bad-txns-vout-empty');
  if (tx.baseSize * 4 > MAX_BLOCK_WEIGHT) reject('bad-txns-oversize');
  let total = 0n;
  for (const o of tx.outputs) {
    if (o.valueSat > MAX_MONEY_SAT) reject('bad-txns-vout-toolarge');
    total += o.valueSat;
    if (total > MAX_MONEY_SAT) reject('bad-txns-txouttotal-toolarge');
  }
  const seen = new Set<string>();
  for (const i of tx.inputs) {
    const key = `${toDisplayHex(i.prevTxid)}:${i.prevVout}`;
    if (seen.has(key)) reject('bad-txns-inputs-duplicate');
    seen.add(key);
  }
  if (isCoinbase(tx)) {
    const len = tx.inputs[0]!.scriptSig.length;
    if (len < 2 || len > 100) reject('bad-cb-length');
  } else if (tx.inputs.some((i) => i.prevVout === 0xffffffff && i.prevTxid.every((b) => b === 0))) {
    reject('bad-txns-prevout-null');
  }
}

/** Core `IsStandardTx` (Core 25–27 defaults: version 1–2, bare multisig permitted). */
export function checkStandard(tx: ParsedTx): void {
  if (tx.version < 1 || tx.version > 2) reject('version');
  if (tx.weight > MAX_STANDARD_TX_WEIGHT) reject('tx-size');
  for (const i of tx.inputs) {
    if (i.scriptSig.length > 1650) reject('scriptsig-size');
    if (!isPushOnly(i.scriptSig)) reject('scriptsig-not-pushonly');
  }
  let dataOutputs = 0;
  for (const o of tx.outputs) {
    const type = classifyOutput(o.scriptPubKey);
    if (type === 'nonstandard') reject('scriptpubkey');
    if (type === 'nulldata') {
      if (o.scriptPubKey.length > MAX_OP_RETURN_RELAY || !isPushOnly(o.scriptPubKey.subarray(1))) {
        reject('scriptpubkey');
      }
      dataOutputs++;
    } else if (isDust(o)) {
      reject('dust');
    }
  }
  if (dataOutputs > 1) reject('multi-op-return');
  if (tx.baseSize < MIN_STANDARD_TX_NONWITNESS_SIZE) reject('tx-size-small');
}

function isPushOnly(script: Uint8Array): boolean {
  let pc = 0;
  while (pc < script.length) {
    const op = script[pc++]!;
    if (op > 0x60) return false;
    if (op >= 0x01 && op <= 0x4b) pc += op;
    else if (op === 0x4c) pc += 1 + (script[pc] ?? 0);
    else if (op === 0x4d) pc += 2 + ((script[pc] ?? 0) | ((script[pc + 1] ?? 0) << 8));
    else if (op === 0x4e) return false;
    if (pc > script.length) return false;
  }
  return true;
}

/**
 * Core `IsFinalTx`: final if nLockTime is 0, below the height/time it is compared with (BIP113:
 * median time past), or if every input has sequence 0xffffffff.
 */
export function isFinalTx(tx: Tx, blockHeight: number, blockTimeSec: number): boolean {
  if (tx.lockTime === 0) return true;
  const limit = tx.lockTime < LOCKTIME_THRESHOLD ? blockHeight : blockTimeSec;
  if (tx.lockTime < limit) return true;
  return tx.inputs.every((i) => i.sequence === SEQUENCE_FINAL);
}

/**
 * BIP68 relative lock-times (Core `CalculateSequenceLocks` + `EvaluateSequenceLocks`).
 * `mtpAt(h)` is the median time past of the block at height h; `prevMtp` that of the block
 * before the one the transaction would enter.
 */
export function sequenceLocksSatisfied(
  tx: Tx,
  coins: readonly Coin[],
  blockHeight: number,
  prevMtp: number,
  mtpAt: (height: number) => number,
): boolean {
  if (tx.version < 2) return true;
  let minHeight = -1;
  let minTime = -1;
  tx.inputs.forEach((input, idx) => {
    if ((input.sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG) !== 0) return;
    const coinHeight = coins[idx]!.height;
    const value = input.sequence & SEQUENCE_LOCKTIME_MASK;
    if ((input.sequence & SEQUENCE_LOCKTIME_TYPE_FLAG) !== 0) {
      const coinTime = mtpAt(Math.max(coinHeight - 1, 0));
      minTime = Math.max(minTime, coinTime + value * 2 ** SEQUENCE_LOCKTIME_GRANULARITY - 1);
    } else {
      minHeight = Math.max(minHeight, coinHeight + value - 1);
    }
  });
  return minHeight < blockHeight && minTime < prevMtp;
}

/** Core `Consensus::CheckTxInputs`. Returns the fee. */
export function checkTxInputs(tx: ParsedTx, coins: readonly Coin[], spendHeight: number): bigint {
  let valueIn = 0n;
  for (const coin of coins) {
    if (coin.coinbase && spendHeight - coin.height < COINBASE_MATURITY) {
      reject(
        'bad-txns-premature-spend-of-coinbase',
        `tried to spend coinbase at depth ${spendHeight - coin.height}`,
      );
    }
    valueIn += coin.output.valueSat;
    if (coin.output.valueSat > MAX_MONEY_SAT || valueIn > MAX_MONEY_SAT) {
      reject('bad-txns-inputvalues-outofrange');
    }
  }
  const valueOut = tx.outputs.reduce((sum, o) => sum + o.valueSat, 0n);
  if (valueIn < valueOut) {
    reject(
      'bad-txns-in-belowout',
      `value in (${formatMoney(valueIn)}) < value out (${formatMoney(valueOut)})`,
    );
  }
  return valueIn - valueOut;
}

/**
 * The redeem script of a P2SH spend: the last push of its scriptSig (Core `AreInputsStandard`
 * evaluates the scriptSig the same way); null when the scriptSig pushes nothing.
 */
function lastPush(scriptSig: Uint8Array): Uint8Array | null {
  let pc = 0;
  let last: Uint8Array | null = null;
  while (pc < scriptSig.length) {
    const op = scriptSig[pc++]!;
    let size = -1;
    if (op < 0x4c) size = op;
    else if (op === 0x4c) size = scriptSig[pc++] ?? 0;
    else if (op === 0x4d) {
      size = (scriptSig[pc] ?? 0) | ((scriptSig[pc + 1] ?? 0) << 8);
      pc += 2;
    } else if (op === 0x4e) {
      return null;
    }
    if (size < 0) {
      last = op === 0x4f ? Uint8Array.of(0x81) : Uint8Array.of(op - 0x50);
      continue;
    }
    last = scriptSig.slice(pc, pc + size);
    pc += size;
  }
  return last;
}

/**
 * Core `AreInputsStandard` and `IsWitnessStandard`, narrowed to what devnet executes: inputs
 * must spend P2WPKH or P2WSH outputs, native or P2SH-wrapped (BIP141 nested), or P2TR outputs
 * by the key path; a deliberate devnet limit: Core also relays P2PKH, bare P2SH and taproot
 * script-path spends.
 */
export function checkInputsStandard(tx: ParsedTx, coins: readonly Coin[]): void {
  tx.inputs.forEach((input, idx) => {
    let type = classifyOutput(coins[idx]!.output.scriptPubKey);
    if (type === 'scripthash') {
      // Core AreInputsStandard / IsWitnessStandard: the redeem script is the scriptSig's last push.
      const redeem = lastPush(input.scriptSig);
      if (redeem === null) {
        reject('bad-txns-nonstandard-inputs', `input ${idx}: a P2SH spend with no redeem script`);
      }
      const inner = classifyOutput(redeem);
      if (inner !== 'witness_v0_keyhash' && inner !== 'witness_v0_scripthash') {
        reject(
          'bad-txns-nonstandard-inputs',
          `devnet spends P2SH outputs only with a witness v0 redeem script, input ${idx} has ${inner}`,
        );
      }
      type = inner;
    }
    if (type === 'witness_v1_taproot') {
      // Core IsWitnessStandard: an annex is non-standard.
      const w = input.witness;
      if (w.length >= 2 && w[w.length - 1]![0] === 0x50) reject('bad-witness-nonstandard');
      return;
    }
    if (type !== 'witness_v0_keyhash' && type !== 'witness_v0_scripthash') {
      reject(
        'bad-txns-nonstandard-inputs',
        `devnet spends only P2WPKH, P2WSH (native or P2SH-wrapped) and P2TR key-path outputs, input ${idx} spends ${type}`,
      );
    }
    if (type === 'witness_v0_scripthash') {
      const script = input.witness[input.witness.length - 1];
      if (script === undefined) return;
      if (script.length > MAX_STANDARD_P2WSH_SCRIPT_SIZE) reject('bad-witness-nonstandard');
      const items = input.witness.length - 1;
      if (items > MAX_STANDARD_P2WSH_STACK_ITEMS) reject('bad-witness-nonstandard');
      for (let j = 0; j < items; j++) {
        if (input.witness[j]!.length > MAX_STANDARD_P2WSH_STACK_ITEM_SIZE)
          reject('bad-witness-nonstandard');
      }
    }
  });
}

/**
 * Core `CheckInputScripts`. Under policy (`standardFlags` given) a failure is re-run with the
 * mandatory flags only, to tell `non-mandatory-script-verify-flag` (policy) from
 * `mandatory-script-verify-flag-failed` (consensus); both report the error of the first run.
 */
export function checkInputScripts(tx: ParsedTx, coins: readonly Coin[], flags: number): void {
  tx.inputs.forEach((input, idx) => {
    const coin = coins[idx]!;
    const spk = coin.output.scriptPubKey;
    const wp = witnessProgram(spk);
    const p2sh = classifyOutput(spk) === 'scripthash';
    if (classifyOutput(spk) === 'witness_v1_taproot') {
      const spent = coins.map((c) => ({
        valueSat: c.output.valueSat,
        scriptPubKey: c.output.scriptPubKey,
      }));
      let trError;
      try {
        trError = verifyTaprootKeyPathInput(input.scriptSig, wp!.program, input.witness, (h, a) =>
          sighashTaprootKeyPath(tx, idx, spent, h, a),
        );
      } catch (e) {
        if (e instanceof UnsupportedScriptError) reject('bad-txns-nonstandard-inputs', e.message);
        throw e;
      }
      // Every taproot key-path rule is consensus (no policy-only flag applies).
      if (trError !== null) {
        reject(`mandatory-script-verify-flag-failed (${SCRIPT_ERRORS[trError]})`);
      }
      return;
    }
    if (!p2sh && (wp === null || wp.version !== 0)) {
      reject('bad-txns-nonstandard-inputs', `devnet cannot execute the script of input ${idx}`);
    }
    const sighash = (scriptCode: Uint8Array, hashType: number): Uint8Array =>
      sighashWitnessV0(tx, idx, scriptCode, coin.output.valueSat, hashType);
    const verify = (f: number) =>
      p2sh
        ? verifyP2shWitnessInput(input.scriptSig, spk.subarray(2, 22), input.witness, f, sighash)
        : verifyWitnessV0Input(input.scriptSig, wp!.program, input.witness, f, sighash);
    let error;
    try {
      error = verify(flags);
      if (error !== null && flags !== MANDATORY_FLAGS) {
        const consensusError = verify(MANDATORY_FLAGS);
        if (consensusError === null)
          reject(`non-mandatory-script-verify-flag (${SCRIPT_ERRORS[error]})`);
      }
    } catch (e) {
      if (e instanceof UnsupportedScriptError) reject('bad-txns-nonstandard-inputs', e.message);
      throw e;
    }
    if (error !== null) reject(`mandatory-script-verify-flag-failed (${SCRIPT_ERRORS[error]})`);
  });
}

export function missingInputs(): never {
  throw new TxRejectedError(RPC_VERIFY_ERROR, 'bad-txns-inputs-missingorspent');
}
