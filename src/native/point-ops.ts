/**
 * `PointOps` over native libsecp256k1 (the npm `secp256k1` addon), for
 * `createEcdsaAdaptor` in `src/crypto/ecdsa-adaptor.ts`. Node-only.
 *
 * A point is its 65-byte uncompressed SEC1 encoding (libsecp256k1 parses that without the square
 * root a compressed point costs); the point at infinity is the empty array. Secret scalars go
 * through libsecp256k1's constant-time code (`ecmult_gen` for k·G, `ecmult_const` via ECDH for
 * k·P). NOTE: this libsecp256k1's `publicKeyTweakMul` uses the variable-time `secp256k1_ecmult`,
 * so it is used for public scalars only.
 * @module
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import type { PointOps } from '../crypto/ecdsa-adaptor.ts';
import type { Secp256k1Addon } from './secp256k1-addon.ts';

/** A point as 65 uncompressed bytes (`04 ‖ x ‖ y`), or the empty array for infinity. */
export type NativePoint = Uint8Array;

const Fn = secp256k1.Point.Fn;
const N = Fn.ORDER;
const INFINITY: NativePoint = new Uint8Array(0);

const be32 = (k: bigint): Uint8Array => numberToBytesBE(k, 32);

/** ECDH "hash" that returns the shared point itself, uncompressed. */
function uncompressedPoint(x: Uint8Array, y: Uint8Array): Uint8Array {
  const out = new Uint8Array(65);
  out[0] = 4;
  out.set(x, 1);
  out.set(y, 33);
  return out;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Builds the native point backend over a loaded addon (see `loadSecp256k1Addon`). */
export function createNativePointOps(lib: Secp256k1Addon): PointOps<NativePoint> {
  const create = (k: bigint): NativePoint => lib.publicKeyCreate(be32(k), false);
  // Variable time: public scalars only. k ∈ [1, n) and P ≠ ∞ give a finite point.
  const mulPublic = (p: NativePoint, k: bigint): NativePoint =>
    lib.publicKeyTweakMul(p, be32(k), false);
  const add = (p: NativePoint, q: NativePoint): NativePoint => {
    try {
      return lib.publicKeyCombine([p, q], false);
    } catch {
      return INFINITY; // libsecp256k1 refuses a sum at infinity, the only way this can fail here
    }
  };

  /** `a·G + b·Q` as two multiplications and an addition: the general (slow) path. */
  function mulBaseAddSlow(a: bigint, b: bigint, q: NativePoint): NativePoint {
    if (b === 0n) return a === 0n ? INFINITY : create(a);
    if (a === 0n) return mulPublic(q, b);
    return add(create(a), mulPublic(q, b));
  }

  return {
    decode(bytes33) {
      if (bytes33.length !== 33 || (bytes33[0] !== 2 && bytes33[0] !== 3)) return undefined;
      try {
        // secp256k1_ec_pubkey_parse: x < p and on the curve, like noble's fromBytes
        return lib.publicKeyConvert(bytes33, false);
      } catch {
        return undefined;
      }
    },
    encode(p) {
      const out = new Uint8Array(33);
      out[0] = 2 | (p[64]! & 1);
      out.set(p.subarray(1, 33), 1);
      return out;
    },
    x: (p) => bytesToNumberBE(p.subarray(1, 33)),
    isInfinity: (p) => p.length === 0,
    equals: bytesEqual, // both sides are canonical 65-byte encodings (or empty)
    mulBaseSecret: create, // secp256k1_ecmult_gen: constant time
    mulSecret: (p, k) =>
      // secp256k1_ecdh → secp256k1_ecmult_const: constant time
      lib.ecdh(p, be32(k), { hashfn: uncompressedPoint }, new Uint8Array(65)),

    /**
     * `a·G + b·Q` in one double-scalar multiplication (libsecp256k1 `secp256k1_ecmult`, as in
     * ECDSA verification), borrowed from public-key recovery: with `ρ = Q.x mod n` and the
     * recovery id naming Q's y parity (and whether `Q.x ≥ n`), recovery from the signature
     * `(ρ, σ)` on the message `μ` returns `ρ⁻¹·(σ·Q − μ·G)`; `σ = b·ρ`, `μ = −a·ρ` give
     * `b·Q + a·G`. Public scalars only (variable time).
     */
    mulBaseAddPublic(a, b, q) {
      if (a === 0n || b === 0n) return mulBaseAddSlow(a, b, q);
      const qx = bytesToNumberBE(q.subarray(1, 33));
      const high = qx >= N; // recovery ids 2 and 3: R.x = r + n
      const rho = high ? qx - N : qx;
      if (rho === 0n) return mulBaseAddSlow(a, b, q); // Q.x = n: not expressible as an r
      const sig = new Uint8Array(64);
      sig.set(be32(rho), 0);
      sig.set(be32(Fn.mul(b, rho)), 32); // ≠ 0: b, ρ ∈ [1, n) and n is prime
      const recid = (q[64]! & 1) | (high ? 2 : 0);
      try {
        return lib.ecdsaRecover(sig, recid, be32(Fn.neg(Fn.mul(a, rho))), false);
      } catch {
        // Recovery fails only when the result is infinity (every other input is valid by
        // construction); the slow path decides that independently.
        return mulBaseAddSlow(a, b, q);
      }
    },

    mulAddPublic(a, p, b, q) {
      if (a === 0n) return b === 0n ? INFINITY : mulPublic(q, b);
      if (b === 0n) return mulPublic(p, a);
      return add(mulPublic(p, a), mulPublic(q, b));
    },
  };
}
