/**
 * A Bitcoin script interpreter for the witness programs Verdict spends, native or P2SH-wrapped
 * (BIP16 + BIP141 nested, {@link verifyP2shWitnessInput}): P2WPKH (implied
 * `OP_DUP OP_HASH160 <h> OP_EQUALVERIFY OP_CHECKSIG`) and P2WSH scripts made of pushes,
 * OP_0..OP_16, OP_DUP, OP_HASH160, OP_EQUAL(VERIFY), OP_VERIFY, OP_CHECKSIG(VERIFY) and
 * OP_CHECKMULTISIG(VERIFY), e.g. the DLC funding script `OP_2 <pk1> <pk2> OP_2
 * OP_CHECKMULTISIG`. It follows Bitcoin Core's `interpreter.cpp` step by step for these opcodes;
 * any other opcode raises UnsupportedScriptError (devnet refuses what it cannot check).
 */
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual, concatBytes, hash160 } from './bytes.ts';

/** Script verification flags (Core `SCRIPT_VERIFY_*`), only those this interpreter uses. */
export const VERIFY_DERSIG = 1 << 2;
export const VERIFY_STRICTENC = 1 << 1;
export const VERIFY_LOW_S = 1 << 3;
export const VERIFY_NULLDUMMY = 1 << 4;
export const VERIFY_MINIMALDATA = 1 << 6;
export const VERIFY_NULLFAIL = 1 << 14;
export const VERIFY_WITNESS_PUBKEYTYPE = 1 << 15;

/** Consensus flags for these scripts (Core's MANDATORY_SCRIPT_VERIFY_FLAGS, relevant subset). */
export const MANDATORY_FLAGS = VERIFY_DERSIG | VERIFY_NULLDUMMY;
/** Core's STANDARD_SCRIPT_VERIFY_FLAGS, relevant subset. */
export const STANDARD_FLAGS =
  MANDATORY_FLAGS |
  VERIFY_STRICTENC |
  VERIFY_LOW_S |
  VERIFY_MINIMALDATA |
  VERIFY_NULLFAIL |
  VERIFY_WITNESS_PUBKEYTYPE;

/** Core's `ScriptErrorString` texts (src/script/script_error.cpp). */
export const SCRIPT_ERRORS = {
  EVAL_FALSE: 'Script evaluated without error but finished with a false/empty top stack element',
  VERIFY: 'Script failed an OP_VERIFY operation',
  EQUALVERIFY: 'Script failed an OP_EQUALVERIFY operation',
  CHECKMULTISIGVERIFY: 'Script failed an OP_CHECKMULTISIGVERIFY operation',
  CHECKSIGVERIFY: 'Script failed an OP_CHECKSIGVERIFY operation',
  SCRIPT_SIZE: 'Script is too big',
  PUSH_SIZE: 'Push value size limit exceeded',
  OP_COUNT: 'Operation limit exceeded',
  STACK_SIZE: 'Stack size limit exceeded',
  SIG_COUNT: 'Signature count negative or greater than pubkey count',
  PUBKEY_COUNT: 'Pubkey count negative or limit exceeded',
  BAD_OPCODE: 'Opcode missing or not understood',
  DISABLED_OPCODE: 'Attempted to use a disabled opcode',
  INVALID_STACK_OPERATION: 'Operation not valid with the current stack size',
  UNKNOWN_ERROR: 'unknown error',
  SIG_HASHTYPE: 'Signature hash type missing or not understood',
  SIG_DER: 'Non-canonical DER signature',
  MINIMALDATA: 'Data push larger than necessary',
  SIG_HIGH_S: 'Non-canonical signature: S value is unnecessarily high',
  SIG_NULLDUMMY: 'Dummy CHECKMULTISIG argument must be zero',
  PUBKEYTYPE: 'Public key is neither compressed or uncompressed',
  CLEANSTACK: 'Stack size must be exactly one after execution',
  SIG_NULLFAIL: 'Signature must be zero for failed CHECK(MULTI)SIG operation',
  WITNESS_PROGRAM_WRONG_LENGTH: 'Witness program has incorrect length',
  WITNESS_PROGRAM_WITNESS_EMPTY: 'Witness program was passed an empty witness',
  WITNESS_PROGRAM_MISMATCH: 'Witness program hash mismatch',
  WITNESS_MALLEATED: 'Witness requires empty scriptSig',
  WITNESS_PUBKEYTYPE: 'Using non-compressed keys in segwit',
  WITNESS_MALLEATED_P2SH: 'Witness requires only-redeemscript scriptSig',
  SIG_PUSHONLY: 'Only push operators allowed in signatures',
  SCHNORR_SIG_SIZE: 'Invalid Schnorr signature size',
  SCHNORR_SIG_HASHTYPE: 'Invalid Schnorr signature hash type',
  SCHNORR_SIG: 'Invalid Schnorr signature',
} as const;

export type ScriptError = keyof typeof SCRIPT_ERRORS;

/** Devnet does not implement this opcode or script form. */
export class UnsupportedScriptError extends Error {
  readonly code = 'devnet_unsupported_script';
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedScriptError';
  }
}

/** Computes the BIP143 hash a signature with this hash type commits to. */
export type SighashFn = (scriptCode: Uint8Array, hashType: number) => Uint8Array;

const MAX_SCRIPT_ELEMENT_SIZE = 520;
const MAX_OPS_PER_SCRIPT = 201;
const MAX_PUBKEYS_PER_MULTISIG = 20;
const MAX_SCRIPT_SIZE = 10_000;
const MAX_STACK_SIZE = 1000;

const OP_0 = 0x00;
const OP_PUSHDATA1 = 0x4c;
const OP_PUSHDATA2 = 0x4d;
const OP_PUSHDATA4 = 0x4e;
const OP_1NEGATE = 0x4f;
const OP_1 = 0x51;
const OP_16 = 0x60;
const OP_NOP = 0x61;
const OP_VERIFY = 0x69;
const OP_DUP = 0x76;
const OP_EQUAL = 0x87;
const OP_EQUALVERIFY = 0x88;
const OP_HASH160 = 0xa9;
const OP_CHECKSIG = 0xac;
const OP_CHECKSIGVERIFY = 0xad;
const OP_CHECKMULTISIG = 0xae;
const OP_CHECKMULTISIGVERIFY = 0xaf;
/** OP_CAT..OP_RSHIFT that Core rejects even unexecuted. */
const DISABLED = new Set([
  0x7e, 0x7f, 0x80, 0x81, 0x83, 0x84, 0x85, 0x86, 0x8d, 0x8e, 0x95, 0x96, 0x97, 0x98, 0x99,
]);

const HALF_ORDER = secp256k1.Point.CURVE().n >> 1n;
const ORDER = secp256k1.Point.CURVE().n;

class ScriptFailure extends Error {
  constructor(readonly scriptError: ScriptError) {
    super(SCRIPT_ERRORS[scriptError]);
  }
}

function fail(error: ScriptError): never {
  throw new ScriptFailure(error);
}

/**
 * VerifyScript for a native witness v0 output (`OP_0 <20 or 32 bytes>`). Returns null when the
 * input is valid, else Core's script error.
 */
export function verifyWitnessV0Input(
  scriptSig: Uint8Array,
  program: Uint8Array,
  witness: readonly Uint8Array[],
  flags: number,
  sighash: SighashFn,
): ScriptError | null {
  try {
    if (scriptSig.length !== 0) fail('WITNESS_MALLEATED');
    verifyWitnessProgram(program, witness, flags, sighash);
    return null;
  } catch (error) {
    if (error instanceof ScriptFailure) return error.scriptError;
    throw error;
  }
}

/** BIP341 sighash of a key-path spend for a hash type and annex; null: invalid hash type. */
export type TaprootSighashFn = (hashType: number, annex: Uint8Array | null) => Uint8Array | null;

/**
 * VerifyScript for a taproot output (`OP_1 <32-byte key>`), key path only (BIP341): after an
 * optional annex, the witness is one 64-byte BIP340 signature (SIGHASH_DEFAULT) or 65 bytes with
 * an explicit hash type, valid for the output key. A script-path spend is not executed here
 * (UnsupportedScriptError). Returns null when valid, else Core's script error.
 */
export function verifyTaprootKeyPathInput(
  scriptSig: Uint8Array,
  outputKey: Uint8Array,
  witness: readonly Uint8Array[],
  sighash: TaprootSighashFn,
): ScriptError | null {
  try {
    if (scriptSig.length !== 0) fail('WITNESS_MALLEATED');
    if (witness.length === 0) fail('WITNESS_PROGRAM_WITNESS_EMPTY');
    let stack = [...witness];
    let annex: Uint8Array | null = null;
    if (stack.length >= 2 && stack[stack.length - 1]![0] === 0x50) {
      annex = stack[stack.length - 1]!;
      stack = stack.slice(0, -1);
    }
    if (stack.length !== 1) {
      throw new UnsupportedScriptError('devnet validates taproot key-path spends only');
    }
    const sig = stack[0]!;
    if (sig.length !== 64 && sig.length !== 65) fail('SCHNORR_SIG_SIZE');
    let hashType = 0;
    if (sig.length === 65) {
      hashType = sig[64]!;
      if (hashType === 0) fail('SCHNORR_SIG_HASHTYPE');
    }
    if (![0x00, 0x01, 0x02, 0x03, 0x81, 0x82, 0x83].includes(hashType)) {
      fail('SCHNORR_SIG_HASHTYPE');
    }
    const digest = sighash(hashType, annex);
    if (digest === null) fail('SCHNORR_SIG_HASHTYPE');
    let ok: boolean;
    try {
      ok = schnorr.verify(sig.subarray(0, 64), digest, outputKey);
    } catch {
      ok = false;
    }
    if (!ok) fail('SCHNORR_SIG');
    return null;
  } catch (error) {
    if (error instanceof ScriptFailure) return error.scriptError;
    throw error;
  }
}

/** The minimal push of `data` (Core `CScript() << data`), for data up to 520 bytes. */
export function pushOf(data: Uint8Array): Uint8Array {
  if (data.length < OP_PUSHDATA1) return concatBytes(Uint8Array.of(data.length), data);
  if (data.length <= 0xff) return concatBytes(Uint8Array.of(OP_PUSHDATA1, data.length), data);
  return concatBytes(Uint8Array.of(OP_PUSHDATA2, data.length & 0xff, data.length >> 8), data);
}

/**
 * VerifyScript for a P2SH output (`OP_HASH160 <20 bytes> OP_EQUAL`, BIP16) whose redeem script is
 * a witness v0 program (BIP141 nested P2WPKH / P2WSH): the scriptSig must be push-only, its top
 * item must hash to the output, and it must be exactly one push of the redeem script; then the
 * witness program rules apply. A redeem script that is not a witness program is a legacy script
 * devnet does not execute (UnsupportedScriptError). Returns null when valid, else Core's error.
 */
export function verifyP2shWitnessInput(
  scriptSig: Uint8Array,
  scriptHash: Uint8Array,
  witness: readonly Uint8Array[],
  flags: number,
  sighash: SighashFn,
): ScriptError | null {
  try {
    if (!isPushOnlyScript(scriptSig)) fail('SIG_PUSHONLY');
    const stack: Uint8Array[] = [];
    evalScript(stack, scriptSig, flags, sighash);
    const redeem = stack[stack.length - 1];
    // The scriptPubKey: OP_HASH160 <hash> OP_EQUAL on the scriptSig's stack.
    if (redeem === undefined) fail('INVALID_STACK_OPERATION');
    if (!bytesEqual(hash160(redeem), scriptHash)) fail('EVAL_FALSE');
    if (
      redeem.length < 4 ||
      redeem.length > 42 ||
      redeem[0] !== OP_0 ||
      redeem[1]! + 2 !== redeem.length
    ) {
      throw new UnsupportedScriptError(
        'devnet spends P2SH outputs only when the redeem script is a witness v0 program',
      );
    }
    // "The scriptSig must be _exactly_ a single push of the redeemScript."
    if (!bytesEqual(scriptSig, pushOf(redeem))) fail('WITNESS_MALLEATED_P2SH');
    verifyWitnessProgram(redeem.subarray(2), witness, flags, sighash);
    return null;
  } catch (error) {
    if (error instanceof ScriptFailure) return error.scriptError;
    throw error;
  }
}

function isPushOnlyScript(script: Uint8Array): boolean {
  let pc = 0;
  while (pc < script.length) {
    const op = script[pc++]!;
    if (op > OP_16) return false;
    let size = 0;
    if (op < OP_PUSHDATA1) size = op;
    else if (op === OP_PUSHDATA1) size = script[pc++] ?? 0;
    else if (op === OP_PUSHDATA2) {
      size = (script[pc] ?? 0) | ((script[pc + 1] ?? 0) << 8);
      pc += 2;
    } else if (op === OP_PUSHDATA4) {
      size = new DataView(script.buffer, script.byteOffset).getUint32(pc, true);
      pc += 4;
    }
    pc += size;
  }
  return true;
}

/** Core `VerifyWitnessProgram` for version 0; throws a ScriptFailure. */
function verifyWitnessProgram(
  program: Uint8Array,
  witness: readonly Uint8Array[],
  flags: number,
  sighash: SighashFn,
): void {
  let script: Uint8Array;
  let stack: Uint8Array[];
  if (program.length === 32) {
    // BIP141 P2WSH: the last witness item is the script; its SHA256 must match the program.
    const last = witness[witness.length - 1];
    if (last === undefined) fail('WITNESS_PROGRAM_WITNESS_EMPTY');
    script = last;
    if (!bytesEqual(sha256(script), program)) fail('WITNESS_PROGRAM_MISMATCH');
    stack = witness.slice(0, -1);
  } else if (program.length === 20) {
    // BIP141 P2WPKH: exactly <sig> <pubkey>, run as DUP HASH160 <program> EQUALVERIFY CHECKSIG.
    if (witness.length !== 2) fail('WITNESS_PROGRAM_MISMATCH');
    script = concatBytes(
      Uint8Array.of(OP_DUP, OP_HASH160, 20),
      program,
      Uint8Array.of(OP_EQUALVERIFY, OP_CHECKSIG),
    );
    stack = [...witness];
  } else {
    fail('WITNESS_PROGRAM_WRONG_LENGTH');
  }
  // Core ExecuteWitnessScript: "Disallow stack item size > MAX_SCRIPT_ELEMENT_SIZE in witness stack".
  if (stack.some((item) => item.length > MAX_SCRIPT_ELEMENT_SIZE)) fail('PUSH_SIZE');
  evalScript(stack, script, flags, sighash);
  // "Scripts inside witness implicitly require cleanstack behaviour".
  if (stack.length !== 1) fail('CLEANSTACK');
  if (!castToBool(stack[0]!)) fail('EVAL_FALSE');
}

function evalScript(
  stack: Uint8Array[],
  script: Uint8Array,
  flags: number,
  sighash: SighashFn,
): void {
  if (script.length > MAX_SCRIPT_SIZE) fail('SCRIPT_SIZE');
  let pc = 0;
  let opCount = 0;
  const top = (depth: number): Uint8Array => {
    const item = stack[stack.length - depth];
    if (item === undefined) fail('INVALID_STACK_OPERATION');
    return item;
  };
  while (pc < script.length) {
    const opcode = script[pc++]!;
    let push: Uint8Array | undefined;
    if (opcode <= OP_PUSHDATA4) {
      let size = opcode;
      if (opcode === OP_PUSHDATA1) {
        if (pc + 1 > script.length) fail('BAD_OPCODE');
        size = script[pc]!;
        pc += 1;
      } else if (opcode === OP_PUSHDATA2) {
        if (pc + 2 > script.length) fail('BAD_OPCODE');
        size = script[pc]! | (script[pc + 1]! << 8);
        pc += 2;
      } else if (opcode === OP_PUSHDATA4) {
        if (pc + 4 > script.length) fail('BAD_OPCODE');
        size = new DataView(script.buffer, script.byteOffset + pc, 4).getUint32(0, true);
        pc += 4;
      }
      if (pc + size > script.length) fail('BAD_OPCODE');
      push = script.slice(pc, pc + size);
      pc += size;
      if (push.length > MAX_SCRIPT_ELEMENT_SIZE) fail('PUSH_SIZE');
      if ((flags & VERIFY_MINIMALDATA) !== 0 && !isMinimalPush(opcode, push)) fail('MINIMALDATA');
      stack.push(push);
    } else {
      if (opcode > OP_16 && ++opCount > MAX_OPS_PER_SCRIPT) fail('OP_COUNT');
      if (DISABLED.has(opcode)) fail('DISABLED_OPCODE');
      if (opcode === OP_1NEGATE || (opcode >= OP_1 && opcode <= OP_16)) {
        stack.push(opcode === OP_1NEGATE ? Uint8Array.of(0x81) : encodeSmallNum(opcode - OP_1 + 1));
      } else {
        switch (opcode) {
          case OP_NOP:
            break;
          case OP_VERIFY:
            if (!castToBool(top(1))) fail('VERIFY');
            stack.pop();
            break;
          case OP_DUP:
            stack.push(top(1));
            break;
          case OP_HASH160:
            stack.push(hash160(top(1)));
            stack.splice(stack.length - 2, 1);
            break;
          case OP_EQUAL:
          case OP_EQUALVERIFY: {
            const equal = bytesEqual(top(2), top(1));
            stack.splice(stack.length - 2, 2);
            if (opcode === OP_EQUALVERIFY) {
              if (!equal) fail('EQUALVERIFY');
            } else {
              stack.push(equal ? Uint8Array.of(1) : new Uint8Array(0));
            }
            break;
          }
          case OP_CHECKSIG:
          case OP_CHECKSIGVERIFY: {
            const sig = top(2);
            const pubkey = top(1);
            checkSignatureEncoding(sig, flags);
            checkPubKeyEncoding(pubkey, flags);
            const ok = checkEcdsa(sig, pubkey, script, sighash);
            if (!ok && (flags & VERIFY_NULLFAIL) !== 0 && sig.length > 0) fail('SIG_NULLFAIL');
            stack.splice(stack.length - 2, 2);
            if (opcode === OP_CHECKSIGVERIFY) {
              if (!ok) fail('CHECKSIGVERIFY');
            } else {
              stack.push(ok ? Uint8Array.of(1) : new Uint8Array(0));
            }
            break;
          }
          case OP_CHECKMULTISIG:
          case OP_CHECKMULTISIGVERIFY: {
            // Core interpreter.cpp, OP_CHECKMULTISIG, witness v0 (no FindAndDelete).
            let i = 1;
            let keysCount = scriptNum(top(i), flags);
            if (keysCount < 0 || keysCount > MAX_PUBKEYS_PER_MULTISIG) fail('PUBKEY_COUNT');
            opCount += keysCount;
            if (opCount > MAX_OPS_PER_SCRIPT) fail('OP_COUNT');
            let ikey = ++i;
            // ikey2 is the position of the last non-signature item in the stack.
            let ikey2 = keysCount + 2;
            i += keysCount;
            if (stack.length < i) fail('INVALID_STACK_OPERATION');
            let sigsCount = scriptNum(top(i), flags);
            if (sigsCount < 0 || sigsCount > keysCount) fail('SIG_COUNT');
            let isig = ++i;
            i += sigsCount;
            if (stack.length < i) fail('INVALID_STACK_OPERATION');
            let success = true;
            while (success && sigsCount > 0) {
              const sig = top(isig);
              const pubkey = top(ikey);
              checkSignatureEncoding(sig, flags);
              checkPubKeyEncoding(pubkey, flags);
              if (checkEcdsa(sig, pubkey, script, sighash)) {
                isig++;
                sigsCount--;
              }
              ikey++;
              keysCount--;
              // "If there are more signatures left than keys left, then too many signatures
              // have failed. Exit early, without checking any further signatures."
              if (sigsCount > keysCount) success = false;
            }
            // Clean up the stack of actual arguments.
            while (i-- > 1) {
              // "If the operation failed, we require that all signatures must be empty vector"
              if (!success && (flags & VERIFY_NULLFAIL) !== 0 && ikey2 === 0 && top(1).length > 0) {
                fail('SIG_NULLFAIL');
              }
              if (ikey2 > 0) ikey2--;
              stack.pop();
            }
            // The extra item consumed by Satoshi's off-by-one; BIP147 NULLDUMMY.
            if (stack.length < 1) fail('INVALID_STACK_OPERATION');
            if ((flags & VERIFY_NULLDUMMY) !== 0 && top(1).length > 0) fail('SIG_NULLDUMMY');
            stack.pop();
            if (opcode === OP_CHECKMULTISIGVERIFY) {
              if (!success) fail('CHECKMULTISIGVERIFY');
            } else {
              stack.push(success ? Uint8Array.of(1) : new Uint8Array(0));
            }
            break;
          }
          default:
            throw new UnsupportedScriptError(
              `devnet does not execute opcode 0x${opcode.toString(16).padStart(2, '0')}`,
            );
        }
      }
    }
    if (stack.length > MAX_STACK_SIZE) fail('STACK_SIZE');
  }
}

function castToBool(item: Uint8Array): boolean {
  for (let i = 0; i < item.length; i++) {
    if (item[i] !== 0) {
      // Negative zero is false.
      return !(i === item.length - 1 && item[i] === 0x80);
    }
  }
  return false;
}

function encodeSmallNum(n: number): Uint8Array {
  return Uint8Array.of(n);
}

/** CScriptNum for the small counts CHECKMULTISIG reads (≤ 4 bytes). */
function scriptNum(item: Uint8Array, flags: number): number {
  if (item.length > 4) fail('UNKNOWN_ERROR');
  if ((flags & VERIFY_MINIMALDATA) !== 0 && item.length > 0) {
    const last = item[item.length - 1]!;
    if ((last & 0x7f) === 0 && (item.length <= 1 || (item[item.length - 2]! & 0x80) === 0)) {
      fail('UNKNOWN_ERROR');
    }
  }
  if (item.length === 0) return 0;
  let n = 0;
  for (let i = 0; i < item.length; i++) n |= item[i]! << (8 * i);
  const last = item[item.length - 1]!;
  if ((last & 0x80) !== 0) return -(n & ~(0x80 << (8 * (item.length - 1))));
  return n;
}

function isMinimalPush(opcode: number, data: Uint8Array): boolean {
  if (data.length === 0) return opcode === OP_0;
  if (data.length === 1 && data[0]! >= 1 && data[0]! <= 16) return false;
  if (data.length === 1 && data[0] === 0x81) return false;
  if (data.length <= 75) return opcode === data.length;
  if (data.length <= 255) return opcode === OP_PUSHDATA1;
  if (data.length <= 65535) return opcode === OP_PUSHDATA2;
  return true;
}

/** BIP66 strict DER, including the trailing hash-type byte (Core IsValidSignatureEncoding). */
export function isValidSignatureEncoding(sig: Uint8Array): boolean {
  if (sig.length < 9 || sig.length > 73) return false;
  if (sig[0] !== 0x30) return false;
  if (sig[1] !== sig.length - 3) return false;
  const lenR = sig[3]!;
  if (5 + lenR >= sig.length) return false;
  const lenS = sig[5 + lenR]!;
  if (lenR + lenS + 7 !== sig.length) return false;
  if (sig[2] !== 0x02) return false;
  if (lenR === 0) return false;
  if ((sig[4]! & 0x80) !== 0) return false;
  if (lenR > 1 && sig[4] === 0x00 && (sig[5]! & 0x80) === 0) return false;
  if (sig[lenR + 4] !== 0x02) return false;
  if (lenS === 0) return false;
  if ((sig[lenR + 6]! & 0x80) !== 0) return false;
  if (lenS > 1 && sig[lenR + 6] === 0x00 && (sig[lenR + 7]! & 0x80) === 0) return false;
  return true;
}

/** r and s of a signature that passed isValidSignatureEncoding. */
function derScalars(sig: Uint8Array): { r: bigint; s: bigint } {
  const lenR = sig[3]!;
  const lenS = sig[5 + lenR]!;
  return {
    r: bytesToBigint(sig.subarray(4, 4 + lenR)),
    s: bytesToBigint(sig.subarray(6 + lenR, 6 + lenR + lenS)),
  };
}

function bytesToBigint(b: Uint8Array): bigint {
  let n = 0n;
  for (const byte of b) n = (n << 8n) | BigInt(byte);
  return n;
}

function checkSignatureEncoding(sig: Uint8Array, flags: number): void {
  // "Empty signature. Not strictly DER encoded, but allowed to provide a compact way to
  // provide an invalid signature for use with CHECK(MULTI)SIG"
  if (sig.length === 0) return;
  if (
    (flags & (VERIFY_DERSIG | VERIFY_LOW_S | VERIFY_STRICTENC)) !== 0 &&
    !isValidSignatureEncoding(sig)
  ) {
    fail('SIG_DER');
  }
  if ((flags & VERIFY_LOW_S) !== 0 && derScalars(sig).s > HALF_ORDER) fail('SIG_HIGH_S');
  if ((flags & VERIFY_STRICTENC) !== 0) {
    const base = sig[sig.length - 1]! & ~0x80;
    if (base < 1 || base > 3) fail('SIG_HASHTYPE');
  }
}

function checkPubKeyEncoding(pubkey: Uint8Array, flags: number): void {
  const compressed = pubkey.length === 33 && (pubkey[0] === 0x02 || pubkey[0] === 0x03);
  const uncompressed = pubkey.length === 65 && pubkey[0] === 0x04;
  if ((flags & VERIFY_STRICTENC) !== 0 && !compressed && !uncompressed) fail('PUBKEYTYPE');
  if ((flags & VERIFY_WITNESS_PUBKEYTYPE) !== 0 && !compressed) fail('WITNESS_PUBKEYTYPE');
}

/** Core CheckECDSASignature: a false result is not an error by itself. */
function checkEcdsa(
  sigWithType: Uint8Array,
  pubkey: Uint8Array,
  scriptCode: Uint8Array,
  sighash: SighashFn,
): boolean {
  if (sigWithType.length === 0) return false;
  const hashType = sigWithType[sigWithType.length - 1]!;
  const der = sigWithType.subarray(0, -1);
  // Devnet always runs with DERSIG (consensus since BIP66), so the signature is strict DER here.
  if (!isValidSignatureEncoding(sigWithType)) return false;
  const { r } = derScalars(sigWithType);
  let { s } = derScalars(sigWithType);
  if (der.length === 0 || r === 0n || s === 0n || r >= ORDER || s >= ORDER) return false;
  // libsecp256k1 verifies only lower-S; Core normalizes first (LOW_S is policy only).
  if (s > HALF_ORDER) s = ORDER - s;
  const compact = concatBytes(toBytes32(r), toBytes32(s));
  const hash = sighash(scriptCode, hashType);
  try {
    return secp256k1.verify(compact, hash, pubkey, {
      prehash: false,
      lowS: true,
      format: 'compact',
    });
  } catch {
    return false;
  }
}

function toBytes32(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}
