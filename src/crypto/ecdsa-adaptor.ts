/**
 * ECDSA adaptor signatures with a DLEQ proof, as dlcspecs `ECDSA-adaptor.md` specifies them and
 * as secp256k1-zkp `src/modules/ecdsa_adaptor/{main_impl,dleq_impl}.h` implements them (byte
 * for byte: same 162-byte encoding, same nonce function, same tags). Background and parse rules:
 * `shared/DLC-NOTES.md` §9.
 *
 * Comments quote the spec step (`spec:`) or name the secp256k1-zkp function (`zkp:`) that a line
 * implements. Deliberate deviations are marked `DEVIATION`.
 *
 * Side channels: secret scalars go through noble's constant-time `multiply`, but JavaScript
 * bigint arithmetic (nonce hashing aside) is not constant-time; this is the same best effort as
 * noble's own signing.
 *
 * Security note (both sources): an adaptor signature leaks the Diffie-Hellman value `x·Y`, so a
 * DLC funding key must not be reused for anything that relies on CDH (ECDH, ElGamal, …).
 * @module
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { WeierstrassPoint } from '@noble/curves/abstract/weierstrass.js';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';

/** Length of a serialized adaptor signature: `R (33) ‖ R_a (33) ‖ s_a (32) ‖ b (32) ‖ c (32)`. */
export const ADAPTOR_SIGNATURE_LENGTH = 162;

const POINT_LENGTH = 33;
const SCALAR_LENGTH = 32;
const COMPACT_SIGNATURE_LENGTH = 64;

const Fn = secp256k1.Point.Fn;
const N = Fn.ORDER;
const HALF_N = N >> 1n;

// ---------------------------------------------------------------------------------------------
// Errors

/** Why a byte string is not an adaptor signature (DLC-NOTES §9 "Parse rules"). */
export type InvalidAdaptorSignatureReason =
  | 'wrong_length' // not 162 bytes
  | 'R_not_a_point' // R is not a valid compressed point
  | 'r_zero' // R.x mod n = 0
  | 'R_a_not_a_point' // R_a is not a valid compressed point
  | 's_a_out_of_range' // s_a = 0 or s_a ≥ n
  | 'proof_c_out_of_range'; // the DLEQ proof's c ≥ n

/** A 162-byte string that does not parse as an adaptor signature. */
export class InvalidAdaptorSignatureError extends Error {
  override readonly name = 'InvalidAdaptorSignatureError';
  readonly code = 'invalid_adaptor_signature';
  readonly reason: InvalidAdaptorSignatureReason;
  constructor(reason: InvalidAdaptorSignatureReason) {
    super(`invalid adaptor signature: ${reason}`);
    this.reason = reason;
  }
}

// ---------------------------------------------------------------------------------------------
// The seam: the few point operations the scheme needs. Everything below is written against this
// interface, so that a native backend (libsecp256k1) can be slotted in by implementing it.

/**
 * Point operations over an opaque point type `P`. Scalars are bigints in `[0, n)`. No method is
 * called with the point at infinity unless it says so.
 */
export interface PointOps<P> {
  /** Parses a 33-byte SEC1 compressed point (x < p, on the curve); `undefined` if invalid. */
  decode(bytes33: Uint8Array): P | undefined;
  /** 33-byte SEC1 compressed encoding (never called with infinity). */
  encode(p: P): Uint8Array;
  /** The affine x-coordinate as an integer in `[0, p)`. */
  x(p: P): bigint;
  isInfinity(p: P): boolean;
  equals(p: P, q: P): boolean;
  /** `k·G` for a secret `k` in `[1, n)`: constant time. */
  mulBaseSecret(k: bigint): P;
  /** `k·P` for a secret `k` in `[1, n)`: constant time. */
  mulSecret(p: P, k: bigint): P;
  /** `a·G + b·Q` for public scalars (may be 0); may return infinity. */
  mulBaseAddPublic(a: bigint, b: bigint, q: P): P;
  /** `a·P + b·Q` for public scalars (may be 0); may return infinity. */
  mulAddPublic(a: bigint, p: P, b: bigint, q: P): P;
  /**
   * Optional: an equal point made faster as the `q` of many later `mulBaseAddPublic` calls
   * (e.g. precomputed multiples). Results must not change.
   */
  prepare?(p: P): P;
}

type NoblePoint = WeierstrassPoint<bigint>;
const G: NoblePoint = secp256k1.Point.BASE;

/** The default backend: @noble/curves (G has precomputed tables; variable bases use wNAF). */
export const noblePointOps: PointOps<NoblePoint> = {
  decode(bytes33) {
    // zkp: secp256k1_eckey_pubkey_parse with 33 bytes: prefix 02/03 only (noble's fromBytes
    // would also take 65-byte uncompressed points; the length is checked by the callers).
    if (bytes33.length !== POINT_LENGTH || (bytes33[0] !== 2 && bytes33[0] !== 3)) return undefined;
    try {
      return secp256k1.Point.fromBytes(bytes33); // checks x < p and that the point is on the curve
    } catch {
      return undefined;
    }
  },
  encode: (p) => p.toBytes(true),
  x: (p) => p.x,
  isInfinity: (p) => p.is0(),
  equals: (p, q) => p.equals(q),
  mulBaseSecret: (k) => G.multiply(k),
  mulSecret: (p, k) => p.multiply(k),
  // G.multiplyUnsafe uses G's precomputed table: faster than a Strauss double multiplication.
  mulBaseAddPublic: (a, b, q) => G.multiplyUnsafe(a).add(q.multiplyUnsafe(b)),
  mulAddPublic: (a, p, b, q) => p.mulAddUnsafe(a, q, b),
  // Window-8 tables (about 50 ms) cut a later multiplyUnsafe from ~0.9 ms to ~0.2 ms.
  prepare: (p) => {
    const q = secp256k1.Point.fromAffine(p.toAffine());
    q.precompute(8, false);
    return q;
  },
};

// ---------------------------------------------------------------------------------------------
// Hashing and nonces

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** BIP340 tagged hash with the `sha256(tag) ‖ sha256(tag)` prefix hashed once. */
function taggedHasher(tag: string): (...parts: Uint8Array[]) => Uint8Array {
  const tagHash = sha256(utf8(tag));
  const prefixed = sha256.create().update(tagHash).update(tagHash);
  return (...parts) => {
    const h = prefixed.clone();
    for (const part of parts) h.update(part);
    return h.digest();
  };
}

// zkp: the midstates of secp256k1_nonce_function_ecdsa_adaptor_sha256_tagged(_aux) and
// secp256k1_nonce_function_dleq_sha256_tagged are exactly these tags.
const hashNonceTag = taggedHasher('ECDSAadaptor/non');
const hashAuxTag = taggedHasher('ECDSAadaptor/aux');
const hashDleqTag = taggedHasher('DLEQ');

/**
 * zkp: `nonce_function_ecdsa_adaptor`, the "modified BIP-340 nonce function":
 * `masked_key = tagged_hash("ECDSAadaptor/aux", aux) XOR key32`, then
 * `nonce = tagged_hash(algo, masked_key ‖ pk33 ‖ msg32)`. Keyed on the message (for `k`: the
 * message hash; for the DLEQ nonce: `sha256(R_a ‖ R)`) and on the encryption key `pk33`, so two
 * different messages never get the same nonce, whatever the aux randomness.
 */
function nonceFunction(
  hashAlgo: (...parts: Uint8Array[]) => Uint8Array,
  msg32: Uint8Array,
  key32: Uint8Array,
  pk33: Uint8Array,
  aux32: Uint8Array,
): Uint8Array {
  const maskedKey = hashAuxTag(aux32);
  for (let i = 0; i < SCALAR_LENGTH; i++) maskedKey[i] = maskedKey[i]! ^ key32[i]!;
  return hashAlgo(maskedKey, pk33, msg32);
}

/** zkp: `secp256k1_scalar_set_b32(…, NULL)`: the integer reduced mod n, no overflow check. */
const scalarMod = (bytes: Uint8Array): bigint => Fn.create(bytesToNumberBE(bytes));
const scalarBytes = (k: bigint): Uint8Array => numberToBytesBE(k, SCALAR_LENGTH);

// ---------------------------------------------------------------------------------------------
// Argument checks (caller errors: TypeError / RangeError naming the argument)

function checkBytes(value: unknown, length: number, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`);
  }
}

/** A secret scalar in `[1, n)` from 32 big-endian bytes, or a RangeError naming the argument. */
function secretScalar(bytes: Uint8Array, name: string): bigint {
  const k = bytesToNumberBE(bytes);
  if (k === 0n || k >= N) throw new RangeError(`${name} must be an integer in [1, n)`);
  return k;
}

// ---------------------------------------------------------------------------------------------
// Serialization (DLC-NOTES §9 parse rules = zkp: secp256k1_ecdsa_adaptor_sig_deserialize)

/**
 * The fields of a 162-byte adaptor signature, named as in dlcspecs (`Parse a as (R, R_a, s_a,
 * proof)`, `Parse proof as two scalars (b, c)`); secp256k1-zkp calls `b`/`c` `dleq_proof_e` /
 * `dleq_proof_s`.
 */
export interface ParsedAdaptorSignature {
  /** `R = k·Y`, 33-byte compressed (its x may exceed n; `r = R.x mod n`). */
  readonly R: Uint8Array;
  /** `R_a = k·G`, 33-byte compressed. */
  readonly R_a: Uint8Array;
  /** `s_a = k⁻¹(m + r·x)`, in `[1, n)`. */
  readonly s_a: bigint;
  /** DLEQ challenge as encoded, in `[0, 2^256)`: reduced mod n where used, never range-checked. */
  readonly b: bigint;
  /** DLEQ response, in `[0, n)`. */
  readonly c: bigint;
}

/** A parsed signature with its points decoded, for internal use. */
interface DecodedAdaptorSignature<P> {
  readonly R: P;
  readonly R33: Uint8Array;
  readonly r: bigint;
  readonly R_a: P;
  readonly R_a33: Uint8Array;
  readonly s_a: bigint;
  readonly b: bigint;
  readonly c: bigint;
}

function decodeAdaptorSignature<P>(
  ops: PointOps<P>,
  sig: Uint8Array,
): DecodedAdaptorSignature<P> | InvalidAdaptorSignatureReason {
  const R33 = sig.subarray(0, 33);
  const R_a33 = sig.subarray(33, 66);
  // zkp: secp256k1_eckey_pubkey_parse(r, &adaptor_sig162[0], 33)
  const R = ops.decode(R33);
  if (R === undefined) return 'R_not_a_point';
  // zkp: "secp256k1_scalar_set_b32(sigr, &adaptor_sig162[1], NULL); if zero: fail"
  const r = scalarMod(sig.subarray(1, 33));
  if (r === 0n) return 'r_zero';
  // zkp: secp256k1_eckey_pubkey_parse(rp, &adaptor_sig162[33], 33)
  const R_a = ops.decode(R_a33);
  if (R_a === undefined) return 'R_a_not_a_point';
  // zkp: secp256k1_scalar_set_b32_seckey(sp, …): 1 ≤ s_a < n
  const s_a = bytesToNumberBE(sig.subarray(66, 98));
  if (s_a === 0n || s_a >= N) return 's_a_out_of_range';
  // zkp: dleq_proof_e is set_b32 without an overflow check (reduced mod n where used)
  const b = bytesToNumberBE(sig.subarray(98, 130));
  // zkp: dleq_proof_s: "if (overflow) return 0"
  const c = bytesToNumberBE(sig.subarray(130, 162));
  if (c >= N) return 'proof_c_out_of_range';
  return { R, R33, r, R_a, R_a33, s_a, b, c };
}

/**
 * Parses a 162-byte adaptor signature. Throws {@link InvalidAdaptorSignatureError} (with a
 * `reason`) if it is not 162 bytes or breaks a parse rule; TypeError if it is not a Uint8Array.
 */
export function parseAdaptorSignature(bytes: Uint8Array): ParsedAdaptorSignature {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('adaptorSig must be a Uint8Array');
  if (bytes.length !== ADAPTOR_SIGNATURE_LENGTH) {
    throw new InvalidAdaptorSignatureError('wrong_length');
  }
  const d = decodeAdaptorSignature(noblePointOps, bytes);
  if (typeof d === 'string') throw new InvalidAdaptorSignatureError(d);
  return { R: d.R33.slice(), R_a: d.R_a33.slice(), s_a: d.s_a, b: d.b, c: d.c };
}

/**
 * Serializes adaptor-signature fields to 162 bytes (zkp: secp256k1_ecdsa_adaptor_sig_serialize).
 * The result is parsed back, so it throws {@link InvalidAdaptorSignatureError} for exactly the
 * field values that {@link parseAdaptorSignature} rejects.
 */
export function serializeAdaptorSignature(p: ParsedAdaptorSignature): Uint8Array {
  checkBytes(p.R, POINT_LENGTH, 'R');
  checkBytes(p.R_a, POINT_LENGTH, 'R_a');
  for (const [name, v] of [
    ['s_a', p.s_a],
    ['b', p.b],
    ['c', p.c],
  ] as const) {
    if (typeof v !== 'bigint') throw new TypeError(`${name} must be a bigint`);
    if (v < 0n || v >= 1n << 256n) throw new RangeError(`${name} must fit in 32 bytes`);
  }
  const out = new Uint8Array(ADAPTOR_SIGNATURE_LENGTH);
  out.set(p.R, 0);
  out.set(p.R_a, 33);
  out.set(scalarBytes(p.s_a), 66);
  out.set(scalarBytes(p.b), 98);
  out.set(scalarBytes(p.c), 130);
  parseAdaptorSignature(out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// DLEQ proof (dlcspecs "Proof of Discrete Logarithm Equality"; zkp: dleq_impl.h)
// Statement (X, Y, Z) = (R_a, Y, R): log_G(R_a) = log_Y(R).

/** spec: `H(x) = scalar(SHA256(tag ‖ x))`; zkp: secp256k1_dleq_challenge(p1, gen2, p2, r1, r2). */
function dleqChallenge(
  X33: Uint8Array,
  Y33: Uint8Array,
  Z33: Uint8Array,
  A_G33: Uint8Array,
  A_Y33: Uint8Array,
): bigint {
  return scalarMod(hashDleqTag(X33, Y33, Z33, A_G33, A_Y33));
}

/** zkp: secp256k1_dleq_nonce: `noncefp(sha256(p1 ‖ p2), sk32, gen2_33, "DLEQ", ndata)`. */
function dleqNonce(
  x: bigint,
  Y33: Uint8Array,
  X33: Uint8Array,
  Z33: Uint8Array,
  aux32: Uint8Array,
): bigint {
  const msg = sha256.create().update(X33).update(Z33).digest();
  const a = scalarMod(nonceFunction(hashDleqTag, msg, scalarBytes(x), Y33, aux32));
  // zkp: "if (secp256k1_scalar_is_zero(k)) return 0" (probability ~2^-256)
  if (a === 0n) throw new Error('DLEQ nonce is zero');
  return a;
}

/** spec: `DLEQ_prove(x, (X, Y, Z))` with the nonce `a` already sampled; returns `(b, c)`. */
function dleqProve<P>(
  ops: PointOps<P>,
  x: bigint,
  Y: P,
  Y33: Uint8Array,
  X33: Uint8Array,
  Z33: Uint8Array,
  a: bigint,
): { b: bigint; c: bigint } {
  // spec: "Set A_G to a * G", "Set A_Y to a * Y" (zkp: secp256k1_dleq_pair)
  const A_G = ops.mulBaseSecret(a);
  const A_Y = ops.mulSecret(Y, a);
  // spec: "Set b to H(X || Y || Z || A_G || A_Y)"
  const b = dleqChallenge(X33, Y33, Z33, ops.encode(A_G), ops.encode(A_Y));
  // spec: "Set c to a + b * x"
  const c = Fn.add(a, Fn.mul(b, x));
  return { b, c };
}

/** spec: `DLEQ_verify((X, Y, Z), proof)`; zkp: secp256k1_dleq_verify. */
function dleqVerify<P>(
  ops: PointOps<P>,
  X: P,
  X33: Uint8Array,
  Y: P,
  Y33: Uint8Array,
  Z: P,
  Z33: Uint8Array,
  bEncoded: bigint,
  c: bigint,
): boolean {
  const b = Fn.create(bEncoded);
  const minusB = Fn.neg(b);
  // spec: "Set A_G to c * G - b * X"
  const A_G = ops.mulBaseAddPublic(c, minusB, X);
  // spec: "Set A_Y to c * Y - b * Z"
  const A_Y = ops.mulAddPublic(c, Y, minusB, Z);
  // zkp issue #335 fix: fail if either recomputed point is infinity (it has no encoding).
  if (ops.isInfinity(A_G) || ops.isInfinity(A_Y)) return false;
  // spec: "Set implied_b to H(X || Y || Z || A_G || A_Y)", "Check implied_b == b"
  return dleqChallenge(X33, Y33, Z33, ops.encode(A_G), ops.encode(A_Y)) === b;
}

// ---------------------------------------------------------------------------------------------
// The adaptor signature scheme, over any PointOps backend

/** The scheme's operations; see the exported functions of the same names for documentation. */
export interface EcdsaAdaptor {
  readonly adaptorEncrypt: (
    secretKey: Uint8Array,
    encryptionKey: Uint8Array,
    msgHash: Uint8Array,
    auxRand?: Uint8Array,
  ) => Uint8Array;
  readonly adaptorVerify: (
    adaptorSig: Uint8Array,
    publicKey: Uint8Array,
    encryptionKey: Uint8Array,
    msgHash: Uint8Array,
  ) => boolean;
  readonly adaptorDecrypt: (adaptorSig: Uint8Array, decryptionKey: Uint8Array) => Uint8Array;
  readonly adaptorRecover: (
    adaptorSig: Uint8Array,
    signature: Uint8Array,
    encryptionKey: Uint8Array,
  ) => Uint8Array | null;
  /**
   * `adaptorVerify` with the signer's `publicKey` fixed, for many signatures under one key (all
   * CETs of a contract): the key is decoded once, and prepared for faster verification once it
   * has been used {@link PREPARE_SIGNER_KEY_AFTER} times. Same results as `adaptorVerify`
   * (always false for an invalid key).
   */
  readonly adaptorVerifier: (
    publicKey: Uint8Array,
  ) => (adaptorSig: Uint8Array, encryptionKey: Uint8Array, msgHash: Uint8Array) => boolean;
  /**
   * `adaptorEncrypt` of many messages with one secret key (all CETs of a contract): the same
   * bytes as one call per job with the job's `auxRand` (fresh randomness when absent), with one
   * modular inversion for the batch instead of one per signature.
   */
  readonly adaptorEncryptMany: (
    secretKey: Uint8Array,
    jobs: readonly {
      readonly encryptionKey: Uint8Array;
      readonly msgHash: Uint8Array;
      readonly auxRand?: Uint8Array;
    }[],
  ) => Uint8Array[];
  /**
   * `adaptorVerify` of many signatures under one signer key: one boolean per job, the same as
   * one call per job; the key is decoded (and prepared) once and the inversions are batched.
   */
  readonly adaptorVerifyMany: (
    publicKey: Uint8Array,
    jobs: readonly {
      readonly adaptorSig: Uint8Array;
      readonly encryptionKey: Uint8Array;
      readonly msgHash: Uint8Array;
    }[],
  ) => boolean[];
  /** Test-only: encryption with both nonces given (`k` and the DLEQ nonce, 32 bytes each). */
  readonly encryptWithNonces: (
    secretKey: Uint8Array,
    encryptionKey: Uint8Array,
    msgHash: Uint8Array,
    nonceK: Uint8Array,
    dleqNonce: Uint8Array,
  ) => Uint8Array;
}

/** How many verifications under one key before `adaptorVerifier` prepares the key. */
export const PREPARE_SIGNER_KEY_AFTER = 64;

/** Builds the scheme over a point backend. The exported functions use {@link noblePointOps}. */
export function createEcdsaAdaptor<P>(ops: PointOps<P>): EcdsaAdaptor {
  function decodeKey(bytes: Uint8Array, name: string): P {
    const p = ops.decode(bytes);
    if (p === undefined) throw new RangeError(`${name} is not a valid compressed point`);
    return p;
  }

  /** An encryption up to `s_a`, which needs `k⁻¹` (inverted one by one or in a batch). */
  interface PendingEncryption {
    readonly R33: Uint8Array;
    readonly R_a33: Uint8Array;
    readonly k: bigint;
    readonly m: bigint;
    readonly r: bigint;
    readonly b: bigint;
    readonly c: bigint;
  }

  /**
   * spec "Encrypted Signing" after `k` is sampled, up to `s_a`. zkp:
   * secp256k1_ecdsa_adaptor_encrypt. `sampleDleqNonce(R_a33, R33)` returns the DLEQ nonce.
   */
  function encryptStart(
    Y: P,
    Y33: Uint8Array,
    msgHash: Uint8Array,
    k: bigint,
    sampleDleqNonce: (R_a33: Uint8Array, R33: Uint8Array) => bigint,
  ): PendingEncryption {
    // spec: "Set R_a to k * G" (zkp: "R' := k*G")
    const R_a = ops.mulBaseSecret(k);
    // spec: "Set R to k * Y"
    const R = ops.mulSecret(Y, k);
    const R_a33 = ops.encode(R_a);
    const R33 = ops.encode(R);
    // spec: "Set proof to DLEQ_prove(k, (R_a, Y, R))"
    const { b, c } = dleqProve(ops, k, Y, Y33, R_a33, R33, sampleDleqNonce(R_a33, R33));
    // spec: "Set m to scalar(message_hash)"
    const m = scalarMod(msgHash);
    // spec: "Set r to the x-coordinate of R modulo n"; zkp: "ret &= !secp256k1_scalar_is_zero(&sigr)"
    const r = Fn.create(ops.x(R));
    if (r === 0n) throw new Error('adaptor signature nonce gives r = 0');
    return { R33, R_a33, k, m, r, b, c };
  }

  /** The rest of "Encrypted Signing", given `kInv = k⁻¹ mod n`. */
  function encryptFinish(e: PendingEncryption, x: bigint, kInv: bigint): Uint8Array {
    // spec: "Set s_a to k⁻¹ (m + r * x)"; zkp: "ret &= !secp256k1_scalar_is_zero(&sp)"
    const s_a = Fn.mul(kInv, Fn.add(e.m, Fn.mul(e.r, x)));
    if (s_a === 0n) throw new Error('adaptor signature has s_a = 0');
    // spec: "Set a to R || R_a || s_a || proof"
    const out = new Uint8Array(ADAPTOR_SIGNATURE_LENGTH);
    out.set(e.R33, 0);
    out.set(e.R_a33, 33);
    out.set(scalarBytes(s_a), 66);
    out.set(scalarBytes(e.b), 98);
    out.set(scalarBytes(e.c), 130);
    // DEVIATION from noble's habit of verifying a signature before returning it: a verify costs
    // about as much as the encryption and a DLC makes thousands of these. The counterparty
    // verifies every one, and the aux randomness keeps a faulty computation from revealing x.
    return out;
  }

  /** Checks the arguments of `adaptorEncrypt` and samples `k` as secp256k1-zkp does. */
  function encryptStartChecked(
    secretKey: Uint8Array,
    encryptionKey: Uint8Array,
    msgHash: Uint8Array,
    auxRand: Uint8Array,
  ): PendingEncryption {
    checkBytes(encryptionKey, POINT_LENGTH, 'encryptionKey');
    checkBytes(msgHash, SCALAR_LENGTH, 'msgHash');
    checkBytes(auxRand, SCALAR_LENGTH, 'auxRand');
    // zkp: secp256k1_pubkey_load + eckey_pubkey_serialize(enckey): a valid point; its
    // compressed encoding is the input itself.
    const Y = decodeKey(encryptionKey, 'encryptionKey');
    // spec: "Set k to sample_nonce(Y || message_hash || x)";
    // zkp: noncefp(nonce32, msg32, seckey32, enckey33, "ECDSAadaptor/non", ndata)
    const k = scalarMod(nonceFunction(hashNonceTag, msgHash, secretKey, encryptionKey, auxRand));
    // zkp: "ret &= !secp256k1_scalar_is_zero(&k)" (probability ~2^-256)
    if (k === 0n) throw new Error('adaptor signature nonce is zero');
    return encryptStart(Y, encryptionKey, msgHash, k, (R_a33, R33) =>
      // zkp: secp256k1_dleq_prove → secp256k1_dleq_nonce(k, Y, R', R, noncefp, ndata)
      dleqNonce(k, encryptionKey, R_a33, R33, auxRand),
    );
  }

  /** A verification up to the final check, which needs `s_a⁻¹`; `false` if already failed. */
  interface PendingVerification {
    readonly R_a: P;
    readonly s_a: bigint;
    readonly m: bigint;
    readonly r: bigint;
  }

  /** spec "Encrypted Verification" (arguments checked) up to `u_1`, `u_2`. */
  function verifyStart(
    adaptorSig: Uint8Array,
    encryptionKey: Uint8Array,
    msgHash: Uint8Array,
  ): PendingVerification | false {
    // spec: "Parse a as (R, R_a, s_a, proof)"
    const a = decodeAdaptorSignature(ops, adaptorSig);
    if (typeof a === 'string') return false;
    // zkp: secp256k1_pubkey_load(enckey)
    const Y = ops.decode(encryptionKey);
    if (Y === undefined) return false;
    // spec: "Check DLEQ_verify((R_a, Y, R), proof) or fail"
    if (!dleqVerify(ops, a.R_a, a.R_a33, Y, encryptionKey, a.R, a.R33, a.b, a.c)) return false;
    // spec: "Set m to scalar(message_hash)"
    return { R_a: a.R_a, s_a: a.s_a, m: scalarMod(msgHash), r: a.r };
  }

  /** The final check of "Encrypted Verification", given `sInv = s_a⁻¹ mod n`. */
  function verifyFinish(v: PendingVerification, X: P, sInv: bigint): boolean {
    // spec: "Set u_1 to s_a⁻¹ * m", "Set u_2 to s_a⁻¹ * r"
    const u1 = Fn.mul(sInv, v.m);
    const u2 = Fn.mul(sInv, v.r);
    // spec: "Check u_1 * G + u2 * X == R_a"; zkp: fails if the sum is infinity
    const derived = ops.mulBaseAddPublic(u1, u2, X);
    if (ops.isInfinity(derived)) return false;
    return ops.equals(derived, v.R_a);
  }

  /** spec "Encrypted Verification", arguments checked; `X` undefined if the key is invalid. */
  function verifyCore(
    adaptorSig: Uint8Array,
    X: P | undefined,
    encryptionKey: Uint8Array,
    msgHash: Uint8Array,
  ): boolean {
    const v = verifyStart(adaptorSig, encryptionKey, msgHash);
    // zkp: secp256k1_pubkey_load(pubkey) fails → the verification fails
    if (v === false || X === undefined) return false;
    return verifyFinish(v, X, Fn.inv(v.s_a));
  }

  return {
    adaptorEncrypt(secretKey, encryptionKey, msgHash, auxRand = randomBytes(32)) {
      checkBytes(secretKey, SCALAR_LENGTH, 'secretKey');
      checkBytes(encryptionKey, POINT_LENGTH, 'encryptionKey');
      checkBytes(msgHash, SCALAR_LENGTH, 'msgHash');
      checkBytes(auxRand, SCALAR_LENGTH, 'auxRand');
      // zkp: secp256k1_scalar_set_b32_seckey(&sk, seckey32)
      const x = secretScalar(secretKey, 'secretKey');
      const e = encryptStartChecked(secretKey, encryptionKey, msgHash, auxRand);
      return encryptFinish(e, x, Fn.inv(e.k));
    },

    adaptorEncryptMany(secretKey, jobs) {
      checkBytes(secretKey, SCALAR_LENGTH, 'secretKey');
      const x = secretScalar(secretKey, 'secretKey');
      // One draw of fresh randomness for the batch: a CSPRNG call per signature cost ≈ 20 µs
      // (a system call each), 3–4 % of the batch’s CPU (issue 17 profile).
      const aux = jobs.some((j) => j.auxRand === undefined)
        ? randomBytes(SCALAR_LENGTH * jobs.length)
        : undefined;
      const pending = jobs.map((j, i) =>
        encryptStartChecked(
          secretKey,
          j.encryptionKey,
          j.msgHash,
          j.auxRand ?? aux!.subarray(i * SCALAR_LENGTH, (i + 1) * SCALAR_LENGTH),
        ),
      );
      // Montgomery's trick: one inversion for the whole batch (same values as one by one).
      const kInv = Fn.invertBatch(pending.map((e) => e.k));
      return pending.map((e, i) => encryptFinish(e, x, kInv[i]!));
    },

    encryptWithNonces(secretKey, encryptionKey, msgHash, nonceK, dleqNonceBytes) {
      checkBytes(secretKey, SCALAR_LENGTH, 'secretKey');
      checkBytes(encryptionKey, POINT_LENGTH, 'encryptionKey');
      checkBytes(msgHash, SCALAR_LENGTH, 'msgHash');
      checkBytes(nonceK, SCALAR_LENGTH, 'nonceK');
      checkBytes(dleqNonceBytes, SCALAR_LENGTH, 'dleqNonce');
      const x = secretScalar(secretKey, 'secretKey');
      const Y = decodeKey(encryptionKey, 'encryptionKey');
      const k = secretScalar(nonceK, 'nonceK');
      const a = secretScalar(dleqNonceBytes, 'dleqNonce');
      return encryptFinish(
        encryptStart(Y, encryptionKey, msgHash, k, () => a),
        x,
        Fn.inv(k),
      );
    },

    adaptorVerify(adaptorSig, publicKey, encryptionKey, msgHash) {
      checkBytes(adaptorSig, ADAPTOR_SIGNATURE_LENGTH, 'adaptorSig');
      checkBytes(publicKey, POINT_LENGTH, 'publicKey');
      checkBytes(encryptionKey, POINT_LENGTH, 'encryptionKey');
      checkBytes(msgHash, SCALAR_LENGTH, 'msgHash');
      // zkp: secp256k1_pubkey_load(pubkey)
      return verifyCore(adaptorSig, ops.decode(publicKey), encryptionKey, msgHash);
    },

    adaptorVerifier(publicKey) {
      checkBytes(publicKey, POINT_LENGTH, 'publicKey');
      let X = ops.decode(publicKey);
      let uses = 0;
      return (adaptorSig, encryptionKey, msgHash) => {
        checkBytes(adaptorSig, ADAPTOR_SIGNATURE_LENGTH, 'adaptorSig');
        checkBytes(encryptionKey, POINT_LENGTH, 'encryptionKey');
        checkBytes(msgHash, SCALAR_LENGTH, 'msgHash');
        if (++uses === PREPARE_SIGNER_KEY_AFTER && X !== undefined && ops.prepare) {
          X = ops.prepare(X);
        }
        return verifyCore(adaptorSig, X, encryptionKey, msgHash);
      };
    },

    adaptorVerifyMany(publicKey, jobs) {
      checkBytes(publicKey, POINT_LENGTH, 'publicKey');
      for (const j of jobs) {
        checkBytes(j.adaptorSig, ADAPTOR_SIGNATURE_LENGTH, 'adaptorSig');
        checkBytes(j.encryptionKey, POINT_LENGTH, 'encryptionKey');
        checkBytes(j.msgHash, SCALAR_LENGTH, 'msgHash');
      }
      let X = ops.decode(publicKey);
      if (X === undefined) return jobs.map(() => false);
      if (jobs.length >= PREPARE_SIGNER_KEY_AFTER && ops.prepare) X = ops.prepare(X);
      const pending = jobs.map((j) => verifyStart(j.adaptorSig, j.encryptionKey, j.msgHash));
      const started = pending.filter((v): v is PendingVerification => v !== false);
      // Montgomery's trick over the signatures that got this far (s_a ≠ 0 by the parse rules).
      const sInv = Fn.invertBatch(started.map((v) => v.s_a));
      let next = 0;
      return pending.map((v) => v !== false && verifyFinish(v, X, sInv[next++]!));
    },

    adaptorDecrypt(adaptorSig, decryptionKey) {
      checkBytes(adaptorSig, ADAPTOR_SIGNATURE_LENGTH, 'adaptorSig');
      checkBytes(decryptionKey, SCALAR_LENGTH, 'decryptionKey');
      // zkp: "ret &= !overflow", "ret &= !secp256k1_scalar_is_zero(&deckey)"
      const y = secretScalar(decryptionKey, 'decryptionKey');
      // spec: "Parse a as (R, R_a, s_a, proof)". DEVIATION: zkp reads only r and s_a here; we
      // apply every parse rule (stricter only for signatures that could never verify).
      const a = decodeAdaptorSignature(ops, adaptorSig);
      if (typeof a === 'string') throw new InvalidAdaptorSignatureError(a);
      // spec: "Set s to s_a * y⁻¹"
      let s = Fn.mul(a.s_a, Fn.inv(y));
      // spec: "Negate s if it is high as specified in [BIP62]"
      if (s > HALF_N) s = N - s;
      // spec: "Set r to the x-coordinate of R modulo n", "Return r || s"
      const out = new Uint8Array(COMPACT_SIGNATURE_LENGTH);
      out.set(scalarBytes(a.r), 0);
      out.set(scalarBytes(s), 32);
      return out;
    },

    adaptorRecover(adaptorSig, signature, encryptionKey) {
      checkBytes(adaptorSig, ADAPTOR_SIGNATURE_LENGTH, 'adaptorSig');
      checkBytes(signature, COMPACT_SIGNATURE_LENGTH, 'signature');
      checkBytes(encryptionKey, POINT_LENGTH, 'encryptionKey');
      // spec: "Parse a as (R, R_a, s_a, proof)"
      const a = decodeAdaptorSignature(ops, adaptorSig);
      if (typeof a === 'string') return null;
      // spec: "Parse sig as (r, s)" (zkp: secp256k1_ecdsa_signature_parse_compact: r, s < n)
      const r = bytesToNumberBE(signature.subarray(0, 32));
      const s = bytesToNumberBE(signature.subarray(32, 64));
      if (r >= N || s >= N) return null;
      // spec: "Check r == r_implied or fail"
      if (r !== a.r) return null;
      // zkp: "ret &= !secp256k1_scalar_is_zero(&s)"
      if (s === 0n) return null;
      const Y = ops.decode(encryptionKey);
      if (Y === undefined) return null;
      // spec: "Set y to s⁻¹ * s_a"
      const y = Fn.mul(Fn.inv(s), a.s_a);
      // spec: "Set Y_implied to y * G"
      const Y_implied33 = ops.encode(ops.mulBaseSecret(y));
      // spec: "If Y_implied == Y then return y / Otherwise, if Y_implied == -Y then return -y /
      // Otherwise fail"; zkp: compare x-coordinates, then fix the sign by the parity byte
      // (a high-s signature gives -y).
      for (let i = 1; i < POINT_LENGTH; i++) if (Y_implied33[i] !== encryptionKey[i]) return null;
      return scalarBytes(Y_implied33[0] === encryptionKey[0] ? y : Fn.neg(y));
    },
  };
}

const nobleAdaptor = createEcdsaAdaptor(noblePointOps);

/**
 * The whole scheme over {@link noblePointOps} (pure JS): the default for code that takes an
 * {@link EcdsaAdaptor} as a parameter, so that Node callers can pass the native one
 * (`src/native/ecdsa-adaptor.ts`) instead.
 */
export const nobleEcdsaAdaptor: EcdsaAdaptor = nobleAdaptor;

/**
 * Encrypts (pre-signs) an ECDSA signature of `msgHash` under `encryptionKey` (spec
 * `ecdsa_adaptor_encrypt(x, Y, message_hash)`), with a DLEQ proof. The nonce is derived as in
 * secp256k1-zkp from the secret key, `encryptionKey`, `msgHash` and 32 bytes of `auxRand`
 * (fresh random bytes by default). Returns the 162-byte adaptor signature.
 * Throws RangeError for an invalid secret key or encryption key.
 */
export const adaptorEncrypt: EcdsaAdaptor['adaptorEncrypt'] = nobleAdaptor.adaptorEncrypt;

/**
 * Verifies an adaptor signature against the signer's `publicKey` (X), the `encryptionKey` (Y)
 * and `msgHash` (spec `ecdsa_adaptor_verify`). Returns false for any invalid content; throws
 * only for arguments of the wrong type or length.
 */
export const adaptorVerify: EcdsaAdaptor['adaptorVerify'] = nobleAdaptor.adaptorVerify;

/**
 * {@link adaptorVerify} with the signer's `publicKey` fixed: decodes the key once and, after
 * {@link PREPARE_SIGNER_KEY_AFTER} uses, precomputes its multiples (about 4× faster per
 * verification with this backend). For verifying all CETs of a contract.
 */
export const adaptorVerifier: EcdsaAdaptor['adaptorVerifier'] = nobleAdaptor.adaptorVerifier;

/**
 * Decrypts an adaptor signature with `decryptionKey` (y, `Y = y·G`) into a 64-byte compact
 * ECDSA signature `r ‖ s` with low s (spec `ecdsa_adaptor_decrypt`). The result is valid iff the
 * adaptor signature verified and `y` matches its encryption key. Throws RangeError for a key
 * outside `[1, n)`, {@link InvalidAdaptorSignatureError} for an unparsable signature.
 */
export const adaptorDecrypt: EcdsaAdaptor['adaptorDecrypt'] = nobleAdaptor.adaptorDecrypt;

/**
 * Recovers the 32-byte decryption key from an adaptor signature and the 64-byte compact
 * `signature` decrypted from it (spec `ecdsa_adaptor_recover`), also when that signature has
 * high s. Returns null if `signature` is not a decryption of `adaptorSig` under `encryptionKey`.
 */
export const adaptorRecover: EcdsaAdaptor['adaptorRecover'] = nobleAdaptor.adaptorRecover;

/** {@link EcdsaAdaptor.adaptorEncryptMany} over noble: all CETs of a contract, one key. */
export const adaptorEncryptMany: EcdsaAdaptor['adaptorEncryptMany'] =
  nobleAdaptor.adaptorEncryptMany;

/** {@link EcdsaAdaptor.adaptorVerifyMany} over noble: all CETs of a contract, one signer key. */
export const adaptorVerifyMany: EcdsaAdaptor['adaptorVerifyMany'] = nobleAdaptor.adaptorVerifyMany;

/** Test-only hooks, not part of the API (noble's `__TEST` convention). */
export const __TEST: { readonly encryptWithNonces: EcdsaAdaptor['encryptWithNonces'] } = {
  encryptWithNonces: nobleAdaptor.encryptWithNonces,
};
