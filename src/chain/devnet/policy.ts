/** Bitcoin Core's standardness rules that apply to the transactions Verdict makes. */
import type { TxOutput } from './tx-codec.ts';

export type OutputType =
  | 'pubkey'
  | 'pubkeyhash'
  | 'scripthash'
  | 'multisig'
  | 'nulldata'
  | 'witness_v0_keyhash'
  | 'witness_v0_scripthash'
  | 'witness_v1_taproot'
  | 'witness_unknown'
  | 'anchor'
  | 'nonstandard';

/** Core `-dustrelayfee` default, sat/kvB. */
export const DUST_RELAY_FEE_SAT_PER_KVB = 3000n;
/** Core `-minrelaytxfee` default used here, sat/kvB (1 sat/vB). */
export const MIN_RELAY_FEE_SAT_PER_KVB = 1000n;
/** Core `MAX_STANDARD_TX_WEIGHT`. */
export const MAX_STANDARD_TX_WEIGHT = 400_000;
/** Core `MIN_STANDARD_TX_NONWITNESS_SIZE`. */
export const MIN_STANDARD_TX_NONWITNESS_SIZE = 65;
/** Core `MAX_OP_RETURN_RELAY` (Core ≤ 29). */
export const MAX_OP_RETURN_RELAY = 83;
/** Core policy limits for P2WSH witnesses (`IsWitnessStandard`). */
export const MAX_STANDARD_P2WSH_SCRIPT_SIZE = 3600;
export const MAX_STANDARD_P2WSH_STACK_ITEMS = 100;
export const MAX_STANDARD_P2WSH_STACK_ITEM_SIZE = 80;

/** Witness program (version, program) of a scriptPubKey, Core `IsWitnessProgram`. */
export function witnessProgram(
  script: Uint8Array,
): { version: number; program: Uint8Array } | null {
  if (script.length < 4 || script.length > 42) return null;
  const op = script[0]!;
  if (op !== 0x00 && (op < 0x51 || op > 0x60)) return null;
  if (script[1]! + 2 !== script.length) return null;
  return { version: op === 0 ? 0 : op - 0x50, program: script.subarray(2) };
}

/** Core `Solver`, reduced to the type names `getrawtransaction` prints. */
export function classifyOutput(script: Uint8Array): OutputType {
  const n = script.length;
  if (
    n === 25 &&
    script[0] === 0x76 &&
    script[1] === 0xa9 &&
    script[2] === 20 &&
    script[23] === 0x88 &&
    script[24] === 0xac
  ) {
    return 'pubkeyhash';
  }
  if (n === 23 && script[0] === 0xa9 && script[1] === 20 && script[22] === 0x87)
    return 'scripthash';
  if (n >= 1 && script[0] === 0x6a) return 'nulldata';
  const wp = witnessProgram(script);
  if (wp !== null) {
    if (wp.version === 0 && wp.program.length === 20) return 'witness_v0_keyhash';
    if (wp.version === 0 && wp.program.length === 32) return 'witness_v0_scripthash';
    if (wp.version === 1 && wp.program.length === 32) return 'witness_v1_taproot';
    if (wp.version === 1 && wp.program.length === 2 && script[2] === 0x4e && script[3] === 0x73) {
      return 'anchor';
    }
    if (wp.version !== 0) return 'witness_unknown';
    return 'nonstandard';
  }
  if (
    (n === 35 && script[0] === 33 && script[34] === 0xac) ||
    (n === 67 && script[0] === 65 && script[66] === 0xac)
  ) {
    return 'pubkey';
  }
  if (isBareMultisig(script)) return 'multisig';
  return 'nonstandard';
}

/** `OP_m <key>… OP_n OP_CHECKMULTISIG` with 1 ≤ m ≤ n ≤ 3 (Core's standard bare multisig). */
function isBareMultisig(script: Uint8Array): boolean {
  const n = script.length;
  if (n < 37 || script[n - 1] !== 0xae) return false;
  const m = script[0]! - 0x50;
  const keys = script[n - 2]! - 0x50;
  if (m < 1 || keys < m || keys > 3) return false;
  let pc = 1;
  for (let k = 0; k < keys; k++) {
    const len = script[pc];
    if (len !== 33 && len !== 65) return false;
    pc += 1 + len;
  }
  return pc === n - 2;
}

function compactSizeLength(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : 5;
}

/**
 * Core `GetDustThreshold`: the fee, at the dust relay fee, of creating and spending the output.
 * 294 sat for P2WPKH, 330 for P2WSH, 546 for P2PKH at 3000 sat/kvB.
 */
export function dustThresholdSat(output: TxOutput): bigint {
  if (output.scriptPubKey[0] === 0x6a) return 0n;
  let size = 8 + compactSizeLength(output.scriptPubKey.length) + output.scriptPubKey.length;
  // Spending input: outpoint 32+4, scriptSig length 1, sequence 4, plus a 107-byte witness
  // discounted 4× for witness programs, or a 107-byte scriptSig otherwise.
  size +=
    witnessProgram(output.scriptPubKey) !== null
      ? 32 + 4 + 1 + Math.floor(107 / 4) + 4
      : 32 + 4 + 1 + 107 + 4;
  return (BigInt(size) * DUST_RELAY_FEE_SAT_PER_KVB) / 1000n;
}

export function isDust(output: TxOutput): boolean {
  return output.valueSat < dustThresholdSat(output);
}

/** Minimum relay fee for a transaction of this virtual size (Core `CFeeRate::GetFee`). */
export function minRelayFeeSat(vsize: number): bigint {
  return (BigInt(vsize) * MIN_RELAY_FEE_SAT_PER_KVB) / 1000n;
}
