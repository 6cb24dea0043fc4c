/**
 * Test-side transaction building with @scure/btc-signer (an implementation independent of
 * devnet's own BIP143 and script code) and @noble/curves for raw ECDSA.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hex } from '@scure/base';
import { p2ms, p2pkh, p2wpkh, p2wsh, SigHash, Transaction } from '@scure/btc-signer';
import { REGTEST_NETWORK } from '../../src/chain/devnet/index.ts';

export interface Key {
  priv: Uint8Array;
  pub: Uint8Array;
}

export function keyFromSeed(seed: number): Key {
  const priv = new Uint8Array(32);
  priv[31] = seed;
  priv[0] = 0x11;
  return { priv, pub: secp256k1.getPublicKey(priv, true) };
}

export function p2wpkhOf(key: Key): { script: Uint8Array; address: string } {
  const p = p2wpkh(key.pub, REGTEST_NETWORK);
  return { script: p.script, address: p.address };
}

/** The DLC funding output: P2WSH of `OP_2 <pk1> <pk2> OP_2 OP_CHECKMULTISIG`, keys sorted. */
export function fundingOutput(
  a: Key,
  b: Key,
): { script: Uint8Array; witnessScript: Uint8Array; keys: [Key, Key] } {
  const keys: [Key, Key] = hex.encode(a.pub) < hex.encode(b.pub) ? [a, b] : [b, a];
  const ms = p2ms(2, [keys[0].pub, keys[1].pub]);
  const wsh = p2wsh(ms, REGTEST_NETWORK);
  return { script: wsh.script, witnessScript: ms.script, keys };
}

export interface Prevout {
  txid: string;
  vout: number;
  valueSat: bigint;
  script: Uint8Array;
}

export interface OutputSpec {
  script: Uint8Array;
  valueSat: bigint;
}

/** Spends a P2WPKH output with scure's own signer and finalizer. */
export function spendP2wpkh(
  key: Key,
  prev: Prevout,
  outputs: OutputSpec[],
  options: { lockTime?: number; sequence?: number } = {},
): Uint8Array {
  const tx = new Transaction({ lockTime: options.lockTime ?? 0, allowUnknownOutputs: true });
  tx.addInput({
    txid: prev.txid,
    index: prev.vout,
    witnessUtxo: { script: prev.script, amount: prev.valueSat },
    sequence: options.sequence ?? 0xfffffffd,
  });
  for (const o of outputs) tx.addOutput({ script: o.script, amount: o.valueSat });
  tx.sign(key.priv);
  tx.finalize();
  return tx.extract();
}

export interface MultisigSpendOptions {
  lockTime?: number;
  sequence?: number;
  /** Sign in place of the second key (a wrong signature). */
  wrongSigner?: Key;
  /** Non-empty CHECKMULTISIG dummy (NULLDUMMY violation). */
  dummy?: Uint8Array;
}

/**
 * Spends the 2-of-2 funding output like a CET: witness `[<dummy>, sig1, sig2, script]`,
 * SIGHASH_ALL over BIP143 with the funding value, signatures in key order.
 */
export function spendFunding(
  funding: ReturnType<typeof fundingOutput>,
  prev: Prevout,
  outputs: OutputSpec[],
  options: MultisigSpendOptions = {},
): Uint8Array {
  const tx = new Transaction({ lockTime: options.lockTime ?? 0, allowUnknownOutputs: true });
  tx.addInput({
    txid: prev.txid,
    index: prev.vout,
    witnessUtxo: { script: prev.script, amount: prev.valueSat },
    sequence: options.sequence ?? 0xfffffffe,
  });
  for (const o of outputs) tx.addOutput({ script: o.script, amount: o.valueSat });
  const hash = tx.preimageWitnessV0(0, funding.witnessScript, SigHash.ALL, prev.valueSat);
  const sign = (k: Key): Uint8Array =>
    Uint8Array.of(...secp256k1.sign(hash, k.priv, { prehash: false, format: 'der' }), SigHash.ALL);
  const sig1 = sign(funding.keys[0]);
  const sig2 = sign(options.wrongSigner ?? funding.keys[1]);
  tx.updateInput(0, {
    finalScriptWitness: [options.dummy ?? new Uint8Array(0), sig1, sig2, funding.witnessScript],
  });
  // Not extract(): it refuses outputs worth more than the inputs, which a test needs to send.
  return tx.toBytes(true, true);
}

/**
 * One-input spend with a witness built by `witness(sighash)`, where `sighash(scriptCode,
 * hashType)` is scure's BIP143 hash for input 0.
 */
export function spendWithWitness(
  prev: Prevout,
  outputs: OutputSpec[],
  witness: (sighash: (scriptCode: Uint8Array, hashType: number) => Uint8Array) => Uint8Array[],
): Uint8Array {
  const tx = new Transaction({
    allowUnknownOutputs: true,
    allowUnknownInputs: true,
    disableScriptCheck: true,
  });
  tx.addInput({
    txid: prev.txid,
    index: prev.vout,
    witnessUtxo: { script: prev.script, amount: prev.valueSat },
    sequence: 0xfffffffd,
  });
  for (const o of outputs) tx.addOutput({ script: o.script, amount: o.valueSat });
  const items = witness((scriptCode, hashType) =>
    tx.preimageWitnessV0(0, scriptCode, hashType, prev.valueSat),
  );
  tx.updateInput(0, { finalScriptWitness: items });
  return tx.toBytes(true, true);
}

/** scriptCode of a P2WPKH input (BIP143). */
export function p2wpkhScriptCode(key: Key): Uint8Array {
  return p2pkh(key.pub).script;
}

/** ECDSA signature, DER, with the hash-type byte appended; `highS` flips s to n − s. */
export function ecdsaSig(key: Key, hash: Uint8Array, hashType: number, highS = false): Uint8Array {
  let sig = secp256k1.Signature.fromBytes(
    secp256k1.sign(hash, key.priv, { prehash: false }),
    'compact',
  );
  if (highS) sig = new secp256k1.Signature(sig.r, secp256k1.Point.CURVE().n - sig.s);
  return Uint8Array.of(...sig.toBytes('der'), hashType);
}
