/**
 * Funding a DLC from an external wallet through BIP174 PSBTs (issue 14 item 3): the external
 * wallet (Bitcoin Core's `walletcreatefundedpsbt`, Sparrow, a hardware wallet) chooses the inputs
 * and its change address in a PSBT; Verdict takes those inputs as the party's `funding_input`s and
 * that output as the party's change. When the funding transaction is known, Verdict writes it as a
 * PSBT (witness UTXOs for every input, the previous transactions and BIP32 derivations of the
 * party's own inputs) for the external wallet to sign, and reads the signed PSBT back: it must be
 * exactly the agreed funding transaction, and every signature of the party's inputs must verify.
 *
 * Inputs: P2WPKH, P2SH-P2WPKH (the wrapped one with its redeem script in the PSBT), P2WSH
 * with a k-of-n CHECKMULTISIG witness script (in the PSBT's `witness_script`; `max_witness_len`
 * computed for it) and P2TR by the key path (its `tap_internal_key` in the PSBT). Other script
 * types (taproot script paths, other witness scripts, legacy) are refused, since
 * Verdict verifies every witness before it sends or broadcasts it.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { RawTx, Transaction } from '@scure/btc-signer';
import type { ChainBackend } from '../chain/chain-backend.ts';
import { bytesEqual, hash160, txidHexOf, type FundingInput } from '../dlc/funding-input.ts';
import {
  multisigMaxWitnessLen,
  P2TR_KEY_PATH_MAX_WITNESS_LEN,
  parseMultisigScript,
  type FundingTransaction,
} from '../dlc/transactions.ts';
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeRawTx, randomSerialId } from './wallet.ts';

/**
 * Serialized P2WPKH witness of a signer that does not grind low-R (hardware wallets, scure's
 * default): 1 + (1 + 72) + (1 + 33). The Verdict wallet's own inputs use 107.
 */
export const EXTERNAL_P2WPKH_MAX_WITNESS_LEN = 108;

/** A funding PSBT that cannot be used: unreadable, unsupported inputs, or not the agreed one. */
export class FundingPsbtError extends Error {
  override readonly name = 'FundingPsbtError';
  readonly code = 'invalid_funding_psbt';
}

/** The signed PSBT is not the agreed funding transaction, or a signature does not verify. */
export class PsbtMismatchError extends Error {
  override readonly name = 'PsbtMismatchError';
  readonly code = 'funding_psbt_mismatch';
}

/** A BIP32 derivation as PSBT carries it: the key, the master fingerprint and the path. */
export interface Bip32Derivation {
  readonly pubkey: string;
  readonly fingerprint: number;
  readonly path: readonly number[];
}

/** The party's funding from an external wallet's PSBT. */
export interface ExternalFunding {
  readonly inputs: FundingInput[];
  /** The external wallet's change output script: the party's change in the funding transaction. */
  readonly changeSpk: Uint8Array;
  /** Sum of the inputs. */
  readonly totalSat: bigint;
  /** The derivations of each input's key, by outpoint `txid:vout` (for the PSBT to sign). */
  readonly derivations: Record<string, Bip32Derivation[]>;
  readonly outpoints: string[];
  /**
   * The witness script (hex) of each P2WSH input, and `tr:` + the x-only internal key of each
   * P2TR input, by outpoint `txid:vout`.
   */
  readonly witnessScripts: Record<string, string>;
}

const PSBT_MAGIC = [0x70, 0x73, 0x62, 0x74, 0xff];

/** A PSBT from a file: raw bytes, base64 (Core, Sparrow) or hex. */
export function readPsbtBytes(file: Uint8Array): Uint8Array {
  if (PSBT_MAGIC.every((b, i) => file[i] === b)) return file;
  const text = new TextDecoder().decode(file).trim();
  if (/^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0) return hexToBytes(text.toLowerCase());
  if (/^[A-Za-z0-9+/=\s]+$/.test(text)) return new Uint8Array(Buffer.from(text, 'base64'));
  throw new FundingPsbtError('the file is not a PSBT (binary, base64 or hex)');
}

function parsePsbt(bytes: Uint8Array): Transaction {
  try {
    return Transaction.fromPSBT(bytes, { allowUnknownOutputs: true, disableScriptCheck: true });
  } catch (error) {
    throw new FundingPsbtError(`the PSBT does not parse: ${(error as Error).message}`);
  }
}

type PsbtDerivation = [Uint8Array, { fingerprint: number; path: number[] }];

function isP2wpkh(spk: Uint8Array): boolean {
  return spk.length === 22 && spk[0] === 0x00 && spk[1] === 0x14;
}

function isP2tr(spk: Uint8Array): boolean {
  return spk.length === 34 && spk[0] === 0x51 && spk[1] === 0x20;
}

function isP2wsh(spk: Uint8Array): boolean {
  return spk.length === 34 && spk[0] === 0x00 && spk[1] === 0x20;
}

function isP2sh(spk: Uint8Array): boolean {
  return spk.length === 23 && spk[0] === 0xa9 && spk[1] === 0x14 && spk[22] === 0x87;
}

/**
 * The party's funding inputs and change from an external wallet's PSBT. The PSBT spends the
 * inputs the wallet chose; its change output is the one output with a BIP32 derivation (Core and
 * Sparrow mark their change so), or the only output. Each input's previous transaction comes from
 * the PSBT's `non_witness_utxo`, else from the node (`getrawtransaction`).
 */
export async function externalFundingOf(
  psbtBytes: Uint8Array,
  chain: ChainBackend,
): Promise<ExternalFunding> {
  const tx = parsePsbt(psbtBytes);
  if (tx.inputsLength === 0) throw new FundingPsbtError('the PSBT has no inputs');
  const outputs = Array.from({ length: tx.outputsLength }, (_, i) => tx.getOutput(i));
  const marked = outputs.filter((o) => (o.bip32Derivation?.length ?? 0) > 0);
  const change = marked.length === 1 ? marked[0] : outputs.length === 1 ? outputs[0] : undefined;
  if (change?.script === undefined) {
    throw new FundingPsbtError(
      'the PSBT must have one change output: the only output, or the only one with a BIP32 derivation',
    );
  }
  const inputs: FundingInput[] = [];
  const derivations: Record<string, Bip32Derivation[]> = {};
  const outpoints: string[] = [];
  const witnessScripts: Record<string, string> = {};
  let totalSat = 0n;
  for (let i = 0; i < tx.inputsLength; i++) {
    const input = tx.getInput(i);
    if (input.txid === undefined || input.index === undefined) {
      throw new FundingPsbtError(`input ${i} has no outpoint`);
    }
    const txid = bytesToHex(input.txid);
    let prevTx: Uint8Array;
    if (input.nonWitnessUtxo !== undefined) {
      prevTx = RawTx.encode(input.nonWitnessUtxo);
      if (txidHexOf(prevTx) !== txid) {
        throw new FundingPsbtError(`input ${i}: non_witness_utxo is not transaction ${txid}`);
      }
    } else {
      prevTx = await chain.getRawTransaction(txid);
    }
    const prevOut = RawTx.decode(prevTx).outputs[input.index] as
      { script: Uint8Array; amount: bigint } | undefined;
    if (prevOut === undefined) throw new FundingPsbtError(`input ${i}: no output ${input.index}`);
    let redeemScript: Uint8Array = new Uint8Array(0);
    let maxWitnessLen = EXTERNAL_P2WPKH_MAX_WITNESS_LEN;
    const outpoint = `${txid}:${input.index}`;
    if (isP2tr(prevOut.script)) {
      // BIP341 key path: the wallet signs with its internal key, tweaked (BIP86 when no script tree).
      const key = input.tapInternalKey;
      if (key === undefined) {
        throw new FundingPsbtError(
          `input ${i}: a P2TR input needs its internal key in the PSBT (tap_internal_key)`,
        );
      }
      if (input.tapLeafScript !== undefined && input.tapLeafScript.length > 0) {
        throw new FundingPsbtError(`input ${i}: only a P2TR key-path spend can fund a DLC here`);
      }
      maxWitnessLen = P2TR_KEY_PATH_MAX_WITNESS_LEN;
      witnessScripts[outpoint] = `tr:${bytesToHex(key)}`;
    } else if (isP2wsh(prevOut.script)) {
      const ws = input.witnessScript;
      if (ws === undefined || !bytesEqual(sha256(ws), prevOut.script.subarray(2))) {
        throw new FundingPsbtError(
          `input ${i}: a P2WSH input needs its witness script in the PSBT (witness_script)`,
        );
      }
      if (parseMultisigScript(ws) === null) {
        throw new FundingPsbtError(
          `input ${i}: only a k-of-n CHECKMULTISIG witness script can fund a DLC here ` +
            '(its max_witness_len must be known)',
        );
      }
      maxWitnessLen = multisigMaxWitnessLen(ws);
      witnessScripts[outpoint] = bytesToHex(ws);
    } else if (isP2sh(prevOut.script)) {
      const rs = input.redeemScript;
      if (
        rs === undefined ||
        !isP2wpkh(rs) ||
        !bytesEqual(hash160(rs), prevOut.script.subarray(2, 22))
      ) {
        throw new FundingPsbtError(
          `input ${i}: a P2SH input must be P2SH-P2WPKH with its redeem script in the PSBT`,
        );
      }
      redeemScript = Uint8Array.from(rs);
    } else if (!isP2wpkh(prevOut.script)) {
      throw new FundingPsbtError(
        `input ${i} (${txid}:${input.index}): only P2WPKH, P2SH-P2WPKH, P2WSH multisig and P2TR key-path inputs can fund a DLC here`,
      );
    }
    derivations[outpoint] = ((input.bip32Derivation ?? []) as PsbtDerivation[]).map(([k, d]) => ({
      pubkey: bytesToHex(k),
      fingerprint: d.fingerprint,
      path: [...d.path],
    }));
    outpoints.push(outpoint);
    totalSat += prevOut.amount;
    inputs.push({
      inputSerialId: randomSerialId(),
      prevTx,
      prevTxVout: input.index,
      sequence: 0xffffffff,
      maxWitnessLen,
      redeemScript,
    });
  }
  return { inputs, changeSpk: change.script, totalSat, derivations, outpoints, witnessScripts };
}

/**
 * The funding transaction as a PSBT for the external wallet to sign `party`'s inputs: witness
 * UTXOs of every input, and for the party's own inputs the previous transaction, the redeem
 * script of a wrapped input, the witness script of a P2WSH input and the BIP32 derivations the
 * original PSBT gave.
 */
export function fundingPsbtFor(
  funding: FundingTransaction,
  party: 'offer' | 'accept',
  derivations: Record<string, readonly Bip32Derivation[]>,
  witnessScripts: Record<string, string> = {},
): Uint8Array {
  const agreed = decodeRawTx(funding.tx.toBytes(true, false));
  // A PSBT's unsigned transaction has empty scriptSigs: the inputs are added afresh.
  const tx = new Transaction({
    version: agreed.version,
    lockTime: agreed.lockTime,
    allowUnknownOutputs: true,
    disableScriptCheck: true,
  });
  funding.inputs.forEach((input, i) => {
    const outpoint = `${bytesToHex(input.prevout.txid)}:${input.prevout.index}`;
    const own = input.party === party;
    const bip32 = own ? (derivations[outpoint] ?? []) : [];
    const witnessScript = own ? witnessScripts[outpoint] : undefined;
    tx.addInput({
      txid: input.prevout.txid,
      index: input.prevout.index,
      sequence: agreed.inputs[i]!.sequence,
      witnessUtxo: { script: input.prevout.script, amount: input.prevout.amount },
      ...(own ? { nonWitnessUtxo: input.fundingInput.prevTx } : {}),
      ...(own && input.fundingInput.redeemScript.length > 0
        ? { redeemScript: input.fundingInput.redeemScript }
        : {}),
      ...(witnessScript === undefined
        ? {}
        : witnessScript.startsWith('tr:')
          ? { tapInternalKey: hexToBytes(witnessScript.slice(3)) }
          : { witnessScript: hexToBytes(witnessScript) }),
      ...(bip32.length > 0
        ? {
            bip32Derivation: bip32.map(
              (d): [Uint8Array, { fingerprint: number; path: number[] }] => [
                hexToBytes(d.pubkey),
                { fingerprint: d.fingerprint, path: [...d.path] },
              ],
            ),
          }
        : {}),
    });
  });
  for (const o of agreed.outputs) tx.addOutput({ script: o.script, amount: o.amount });
  return tx.toPSBT(0);
}

/**
 * The witnesses of `party`'s inputs from the external wallet's signed PSBT (partial signatures
 * or already final witnesses), in transaction order. The PSBT must be exactly the agreed funding
 * transaction (same txid: the same inputs, outputs, amounts, sequences and locktime); each
 * witness is then verified by the protocol before it is sent or broadcast.
 */
export function witnessesFromSignedPsbt(
  psbtBytes: Uint8Array,
  funding: FundingTransaction,
  party: 'offer' | 'accept',
): Uint8Array[][] {
  const tx = parsePsbt(psbtBytes);
  const agreed = decodeRawTx(funding.tx.toBytes(true, false));
  const got = decodeRawTx(tx.toBytes(true, false));
  const sameInputs =
    got.inputs.length === agreed.inputs.length &&
    got.inputs.every(
      (x, i) =>
        bytesEqual(x.txid, agreed.inputs[i]!.txid) &&
        x.index === agreed.inputs[i]!.index &&
        x.sequence === agreed.inputs[i]!.sequence,
    );
  const sameOutputs =
    got.outputs.length === agreed.outputs.length &&
    got.outputs.every(
      (o, i) =>
        o.amount === agreed.outputs[i]!.amount && bytesEqual(o.script, agreed.outputs[i]!.script),
    );
  if (
    !sameInputs ||
    !sameOutputs ||
    got.version !== agreed.version ||
    got.lockTime !== agreed.lockTime
  ) {
    throw new PsbtMismatchError(
      `the signed PSBT is not the agreed funding transaction ${funding.txid} ` +
        `(${sameInputs ? '' : 'inputs differ; '}${sameOutputs ? '' : 'outputs differ; '}` +
        `version ${got.version}, locktime ${got.lockTime})`,
    );
  }
  const witnesses: Uint8Array[][] = [];
  funding.inputs.forEach((input, i) => {
    if (input.party !== party) return;
    const psbtInput = tx.getInput(i);
    let witness = psbtInput.finalScriptWitness;
    const ms =
      psbtInput.witnessScript === undefined ? null : parseMultisigScript(psbtInput.witnessScript);
    if (witness === undefined && psbtInput.tapKeySig !== undefined) {
      witness = [psbtInput.tapKeySig];
    }
    if (witness === undefined && ms !== null) {
      // P2WSH multisig: the partial signatures in the script's key order, the first k of them.
      const partial = (psbtInput.partialSig ?? []) as [Uint8Array, Uint8Array][];
      const sigs = ms.pubkeys.flatMap((key) => {
        const found = partial.find(([pk]) => bytesEqual(pk, key));
        return found === undefined ? [] : [found[1]];
      });
      if (sigs.length < ms.m) {
        throw new PsbtMismatchError(
          `funding input ${i} has ${sigs.length} of the ${ms.m} signatures its script needs`,
        );
      }
      witness = [new Uint8Array(0), ...sigs.slice(0, ms.m), psbtInput.witnessScript!];
    }
    if (witness === undefined) {
      const partial = (psbtInput.partialSig ?? []) as [Uint8Array, Uint8Array][];
      if (partial.length !== 1) {
        throw new PsbtMismatchError(`funding input ${i} is not signed in the PSBT`);
      }
      const [pubkey, sig] = partial[0]!;
      witness = [sig, pubkey];
    }
    witnesses.push(witness.map((w) => Uint8Array.from(w)));
  });
  return witnesses;
}
