/**
 * `LayoutPointOps` (`src/dlc/contract.ts`) over native libsecp256k1: the per-digit attestation
 * points `R + e·P` with `publicKeyTweakMul` (public scalars: variable time is fine) and every sum
 * with `publicKeyCombine`, points kept as 65-byte uncompressed encodings (no square root to parse
 * them, no inversion per intermediate sum in JavaScript). Same encoded points as the noble
 * reference (`nobleLayoutPoints`; checked in test/native). Node-only.
 * @module
 */
import { attestationPoint } from '../crypto/attestation-points.ts';
import { bip340Challenge } from '../crypto/bip340.ts';
import { attestationMessage } from '../crypto/hash.ts';
import {
  InvalidContractInfoError,
  nobleLayoutPoints,
  type LayoutPointOps,
} from '../dlc/contract.ts';
import { outcomesAtPosition } from '../dlc/digits.ts';
import type { NativePoint } from './point-ops.ts';
import { loadSecp256k1Addon, type Secp256k1Addon } from './secp256k1-addon.ts';

const INFINITY: NativePoint = new Uint8Array(0);

function be32(k: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(k & 0xffn);
    k >>= 8n;
  }
  return out;
}

/** Builds the native layout point backend over a loaded addon. */
export function createNativeLayoutPoints(lib: Secp256k1Addon): LayoutPointOps<NativePoint> {
  /** BIP340 lift_x, as `liftX` of `src/crypto/secp.ts` (same error). */
  const liftX = (x: Uint8Array): NativePoint => {
    if (x.length !== 32) throw new RangeError(`x-only key must be 32 bytes, got ${x.length}`);
    const compressed = new Uint8Array(33);
    compressed[0] = 2;
    compressed.set(x, 1);
    try {
      return lib.publicKeyConvert(compressed, false);
    } catch {
      throw new RangeError('not the x-coordinate of a secp256k1 point');
    }
  };
  const add = (a: NativePoint, b: NativePoint): NativePoint => {
    if (a.length === 0) return b;
    if (b.length === 0) return a;
    try {
      return lib.publicKeyCombine([a, b], false);
    } catch {
      return INFINITY; // libsecp256k1 refuses a sum at infinity, the only way this fails here
    }
  };
  return {
    digitPoints(a, convention) {
      const d = a.event.descriptor;
      if (d.kind !== 'digits') {
        throw new TypeError('digit points exist only for digit-decomposition events');
      }
      const pX = a.oraclePublicKey;
      const P = liftX(pX);
      return a.event.nonces.map((rX, i) => {
        const R = liftX(rX);
        return outcomesAtPosition(d, i).map((o) => {
          const e = bip340Challenge(rX, pX, attestationMessage(o, convention));
          return e === 0n ? R : add(R, lib.publicKeyTweakMul(P, be32(e), false));
        });
      });
    },
    enumPoint: (a, outcome, convention) => {
      const nonce = a.event.nonces[0];
      if (nonce === undefined)
        throw new InvalidContractInfoError('enum announcement without nonce');
      return lib.publicKeyConvert(
        attestationPoint(a.oraclePublicKey, nonce, outcome.normalize('NFC'), convention),
        false,
      );
    },
    add,
    zero: INFINITY,
    encode(p) {
      if (p.length === 0) throw new RangeError('the point at infinity has no encoding');
      const out = new Uint8Array(33);
      out[0] = 2 | (p[64]! & 1);
      out.set(p.subarray(1, 33), 1);
      return out;
    },
  };
}

let native: LayoutPointOps<NativePoint> | undefined;

/**
 * The layout point backend: native libsecp256k1 when the addon loads (unless `noble` is asked
 * for), else the noble reference.
 */
export function layoutPointOps(backend?: 'native' | 'noble'): LayoutPointOps<unknown> {
  if (backend === 'noble') return nobleLayoutPoints;
  const loaded = loadSecp256k1Addon();
  if (!loaded.ok) {
    if (backend === 'native') throw new Error(loaded.reason);
    return nobleLayoutPoints;
  }
  native ??= createNativeLayoutPoints(loaded.addon);
  return native;
}
