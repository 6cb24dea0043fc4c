/**
 * BIP340 Schnorr signatures on @noble/curves. Signing verifies its own output (noble does so
 * before returning). Verification returns `false` for every invalid signature and throws only on
 * wrong argument lengths.
 *
 * The signer that takes an explicit nonce is deliberately *not* here: it lives in `nonces.ts`,
 * which only the oracle-key module and tests import.
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToBigInt, modN } from './secp.ts';
import { taggedHash } from './hash.ts';

/** BIP340 x-only public key `bytes(d'·G)` of a 32-byte secret key. */
export function xOnlyPublicKey(secretKey: Uint8Array): Uint8Array {
  return schnorr.getPublicKey(secretKey);
}

/**
 * BIP340 "Default Signing" with caller-supplied auxiliary randomness `aux_rand` (32 bytes). The
 * nonce is derived from the key, the message and `aux_rand` as BIP340 specifies; the caller never
 * chooses it.
 */
export function bip340Sign(
  message: Uint8Array,
  secretKey: Uint8Array,
  auxRand: Uint8Array,
): Uint8Array {
  if (auxRand.length !== 32) throw new RangeError('auxRand must be 32 bytes');
  return schnorr.sign(message, secretKey, auxRand);
}

/** BIP340 "Verification". `false` for any invalid signature, key or encoding. */
export function bip340Verify(
  signature: Uint8Array,
  message: Uint8Array,
  publicKeyX: Uint8Array,
): boolean {
  if (signature.length !== 64 || publicKeyX.length !== 32) return false;
  return schnorr.verify(signature, message, publicKeyX);
}

/** BIP340: `e = int(hash_BIP0340/challenge(bytes(R) ‖ bytes(P) ‖ m)) mod n`. */
export function bip340Challenge(rX: Uint8Array, pX: Uint8Array, message: Uint8Array): bigint {
  return modN(bytesToBigInt(taggedHash('BIP0340/challenge', rX, pX, message)));
}
