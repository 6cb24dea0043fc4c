/** BIP143 signature hash for version 0 witness programs; BIP341 for taproot key-path spends. */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { ByteWriter, sha256d } from './bytes.ts';
import type { Tx } from './tx-codec.ts';

export const SIGHASH_ALL = 0x01;
export const SIGHASH_NONE = 0x02;
export const SIGHASH_SINGLE = 0x03;
export const SIGHASH_ANYONECANPAY = 0x80;

const ZERO32 = new Uint8Array(32);

/**
 * BIP143: double SHA256 of
 * nVersion | hashPrevouts | hashSequence | outpoint | scriptCode | amount | nSequence |
 * hashOutputs | nLockTime | sighash type.
 */
export function sighashWitnessV0(
  tx: Tx,
  inputIndex: number,
  scriptCode: Uint8Array,
  amountSat: bigint,
  hashType: number,
): Uint8Array {
  const input = tx.inputs[inputIndex];
  if (input === undefined) throw new RangeError('inputIndex: out of range');
  const anyoneCanPay = (hashType & SIGHASH_ANYONECANPAY) !== 0;
  const base = hashType & 0x1f;

  // BIP143: "If the ANYONECANPAY flag is not set, hashPrevouts is the double SHA256 of the
  // serialization of all input outpoints; otherwise, hashPrevouts is a uint256 of 0x0000......0000."
  let hashPrevouts: Uint8Array = ZERO32;
  if (!anyoneCanPay) {
    const w = new ByteWriter();
    for (const i of tx.inputs) w.bytes(i.prevTxid).u32(i.prevVout);
    hashPrevouts = sha256d(w.finish());
  }
  // "If none of the ANYONECANPAY, SINGLE, NONE sighash type is set, hashSequence is the double
  // SHA256 of the serialization of nSequence of all inputs"
  let hashSequence: Uint8Array = ZERO32;
  if (!anyoneCanPay && base !== SIGHASH_SINGLE && base !== SIGHASH_NONE) {
    const w = new ByteWriter();
    for (const i of tx.inputs) w.u32(i.sequence);
    hashSequence = sha256d(w.finish());
  }
  // "If the sighash type is neither SINGLE nor NONE, hashOutputs is the double SHA256 of the
  // serialization of all output amount with scriptPubKey; if sighash type is SINGLE and the
  // input index is smaller than the number of outputs, hashOutputs is the double SHA256 of the
  // output amount with scriptPubKey of the same index as the input"
  let hashOutputs: Uint8Array = ZERO32;
  if (base !== SIGHASH_SINGLE && base !== SIGHASH_NONE) {
    const w = new ByteWriter();
    for (const o of tx.outputs) w.u64(o.valueSat).varBytes(o.scriptPubKey);
    hashOutputs = sha256d(w.finish());
  } else if (base === SIGHASH_SINGLE && inputIndex < tx.outputs.length) {
    const o = tx.outputs[inputIndex]!;
    hashOutputs = sha256d(new ByteWriter().u64(o.valueSat).varBytes(o.scriptPubKey).finish());
  }

  const preimage = new ByteWriter()
    .u32(tx.version)
    .bytes(hashPrevouts)
    .bytes(hashSequence)
    .bytes(input.prevTxid)
    .u32(input.prevVout)
    .varBytes(scriptCode)
    .u64(amountSat)
    .u32(input.sequence)
    .bytes(hashOutputs)
    .u32(tx.lockTime)
    .u32(hashType)
    .finish();
  return sha256d(preimage);
}

const sha256 = (data: Uint8Array): Uint8Array => nobleSha256(data);

function taggedHash(tag: string, msg: Uint8Array): Uint8Array {
  const t = sha256(new TextEncoder().encode(tag));
  return sha256(new ByteWriter().bytes(t).bytes(t).bytes(msg).finish());
}

/**
 * BIP341 signature hash of a taproot key-path spend (`ext_flag` 0): TapSighash of epoch 0 and
 * SigMsg. `spent` are the amounts and scriptPubKeys of every input's coin. Returns null for a
 * SIGHASH_SINGLE without an output at the input's index (Core: an invalid hash type).
 */
export function sighashTaprootKeyPath(
  tx: Tx,
  inputIndex: number,
  spent: readonly { valueSat: bigint; scriptPubKey: Uint8Array }[],
  hashType: number,
  annex: Uint8Array | null,
): Uint8Array | null {
  const input = tx.inputs[inputIndex];
  if (input === undefined) throw new RangeError('inputIndex: out of range');
  const anyoneCanPay = (hashType & SIGHASH_ANYONECANPAY) !== 0;
  const base = hashType & 0x03;
  const w = new ByteWriter().u8(0).u8(hashType).u32(tx.version).u32(tx.lockTime);
  if (!anyoneCanPay) {
    const prevouts = new ByteWriter();
    const amounts = new ByteWriter();
    const scripts = new ByteWriter();
    const sequences = new ByteWriter();
    tx.inputs.forEach((i, idx) => {
      prevouts.bytes(i.prevTxid).u32(i.prevVout);
      amounts.u64(spent[idx]!.valueSat);
      scripts.varBytes(spent[idx]!.scriptPubKey);
      sequences.u32(i.sequence);
    });
    w.bytes(sha256(prevouts.finish()))
      .bytes(sha256(amounts.finish()))
      .bytes(sha256(scripts.finish()))
      .bytes(sha256(sequences.finish()));
  }
  if (base !== SIGHASH_NONE && base !== SIGHASH_SINGLE) {
    const outputs = new ByteWriter();
    for (const o of tx.outputs) outputs.u64(o.valueSat).varBytes(o.scriptPubKey);
    w.bytes(sha256(outputs.finish()));
  }
  w.u8(annex === null ? 0 : 1);
  if (anyoneCanPay) {
    w.bytes(input.prevTxid)
      .u32(input.prevVout)
      .u64(spent[inputIndex]!.valueSat)
      .varBytes(spent[inputIndex]!.scriptPubKey)
      .u32(input.sequence);
  } else {
    w.u32(inputIndex);
  }
  if (annex !== null) w.bytes(sha256(new ByteWriter().varBytes(annex).finish()));
  if (base === SIGHASH_SINGLE) {
    const o = tx.outputs[inputIndex];
    if (o === undefined) return null;
    w.bytes(sha256(new ByteWriter().u64(o.valueSat).varBytes(o.scriptPubKey).finish()));
  }
  return taggedHash('TapSighash', w.finish());
}
