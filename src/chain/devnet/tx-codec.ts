/** Bitcoin transaction wire format (BIP144 for witness transactions). */
import { ByteReader, ByteWriter, DecodeError, sha256d, toDisplayHex } from './bytes.ts';

export interface TxInput {
  /** Previous txid, internal byte order. */
  prevTxid: Uint8Array;
  prevVout: number;
  scriptSig: Uint8Array;
  sequence: number;
  witness: Uint8Array[];
}

export interface TxOutput {
  valueSat: bigint;
  scriptPubKey: Uint8Array;
}

export interface Tx {
  version: number;
  inputs: TxInput[];
  outputs: TxOutput[];
  lockTime: number;
}

/** A decoded transaction with its identifiers and sizes. */
export interface ParsedTx extends Tx {
  /** Display hex. */
  txid: string;
  wtxid: string;
  raw: Uint8Array;
  /** Size without witness data. */
  baseSize: number;
  weight: number;
  vsize: number;
}

export function hasWitness(tx: Tx): boolean {
  return tx.inputs.some((i) => i.witness.length > 0);
}

/** Decodes one transaction that must occupy all of `raw`. */
export function decodeTx(raw: Uint8Array): ParsedTx {
  const r = new ByteReader(raw);
  const tx = readTx(r);
  if (r.remaining !== 0) throw new DecodeError('trailing bytes after transaction');
  return describeTx(tx);
}

export function readTx(r: ByteReader): Tx {
  const version = r.u32();
  let inputCount = r.varint();
  let segwit = false;
  if (inputCount === 0) {
    // BIP144 marker 0x00 followed by flag 0x01.
    const flag = r.u8();
    if (flag !== 1) throw new DecodeError('unknown transaction flag');
    segwit = true;
    inputCount = r.varint();
  }
  const inputs: TxInput[] = [];
  for (let i = 0; i < inputCount; i++) {
    inputs.push({
      prevTxid: r.bytes(32),
      prevVout: r.u32(),
      scriptSig: r.varBytes(),
      sequence: r.u32(),
      witness: [],
    });
  }
  const outputCount = r.varint();
  const outputs: TxOutput[] = [];
  for (let i = 0; i < outputCount; i++) {
    outputs.push({ valueSat: r.u64(), scriptPubKey: r.varBytes() });
  }
  if (segwit) {
    for (const input of inputs) {
      const items = r.varint();
      for (let j = 0; j < items; j++) input.witness.push(r.varBytes());
    }
    // Core: "Superfluous witness record".
    if (!inputs.some((i) => i.witness.length > 0)) throw new DecodeError('superfluous witness');
  }
  const lockTime = r.u32();
  return { version, inputs, outputs, lockTime };
}

export function encodeTx(tx: Tx, withWitness = true): Uint8Array {
  const w = new ByteWriter();
  writeTx(w, tx, withWitness);
  return w.finish();
}

export function writeTx(w: ByteWriter, tx: Tx, withWitness = true): void {
  const segwit = withWitness && hasWitness(tx);
  w.u32(tx.version);
  if (segwit) w.u8(0).u8(1);
  w.varint(tx.inputs.length);
  for (const i of tx.inputs)
    w.bytes(i.prevTxid).u32(i.prevVout).varBytes(i.scriptSig).u32(i.sequence);
  w.varint(tx.outputs.length);
  for (const o of tx.outputs) w.u64(o.valueSat).varBytes(o.scriptPubKey);
  if (segwit) {
    for (const i of tx.inputs) {
      w.varint(i.witness.length);
      for (const item of i.witness) w.varBytes(item);
    }
  }
  w.u32(tx.lockTime);
}

export function describeTx(tx: Tx): ParsedTx {
  const raw = encodeTx(tx, true);
  const base = encodeTx(tx, false);
  const weight = base.length * 3 + raw.length;
  return {
    ...tx,
    txid: toDisplayHex(sha256d(base)),
    wtxid: toDisplayHex(sha256d(raw)),
    raw,
    baseSize: base.length,
    weight,
    vsize: Math.ceil(weight / 4),
  };
}

export function isCoinbase(tx: Tx): boolean {
  const first = tx.inputs[0];
  return (
    tx.inputs.length === 1 &&
    first !== undefined &&
    first.prevVout === 0xffffffff &&
    first.prevTxid.every((b) => b === 0)
  );
}
