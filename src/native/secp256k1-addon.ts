/**
 * Loads the native libsecp256k1 addon of the npm `secp256k1` package, and only the addon: the
 * package's main entry silently falls back to elliptic.js when the addon is missing, which would
 * be slower than our pure-JS path, so we load `secp256k1/bindings.js` (node-gyp-build: the built
 * `build/Release/addon.node`, else the package's prebuilt binary for this platform) and report
 * why when it fails. Node-only; callers fall back to the pure-JS backend.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

/**
 * The part of the `secp256k1` package API that the native backend uses (the package's own
 * argument checks apply). Points are 33-byte compressed or 65-byte uncompressed SEC1 encodings,
 * scalars 32 bytes big-endian.
 */
export interface Secp256k1Addon {
  contextRandomize(seed: Uint8Array): void;
  publicKeyVerify(pubkey: Uint8Array): boolean;
  publicKeyCreate(seckey: Uint8Array, compressed?: boolean): Uint8Array;
  publicKeyConvert(pubkey: Uint8Array, compressed?: boolean): Uint8Array;
  publicKeyCombine(pubkeys: Uint8Array[], compressed?: boolean): Uint8Array;
  publicKeyTweakMul(pubkey: Uint8Array, tweak: Uint8Array, compressed?: boolean): Uint8Array;
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed?: boolean): Uint8Array;
  ecdh(
    pubkey: Uint8Array,
    seckey: Uint8Array,
    options: { hashfn: (x: Uint8Array, y: Uint8Array) => Uint8Array },
    output: Uint8Array,
  ): Uint8Array;
}

export type AddonLoadResult =
  | { readonly ok: true; readonly addon: Secp256k1Addon }
  | { readonly ok: false; readonly reason: string };

let cached: AddonLoadResult | undefined;

/**
 * The native addon, loaded once per thread; `{ ok: false, reason }` when it cannot be loaded
 * (not built, no prebuilt binary for this platform, or not running on Node.js).
 */
export function loadSecp256k1Addon(): AddonLoadResult {
  if (cached) return cached;
  try {
    const addon = createRequire(import.meta.url)('secp256k1/bindings.js') as Secp256k1Addon;
    // Blinds libsecp256k1's constant-time base multiplication (secp256k1_context_randomize);
    // results do not depend on the seed.
    addon.contextRandomize(randomBytes(32));
    cached = { ok: true, addon };
  } catch (e) {
    const message = e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e);
    cached = { ok: false, reason: `native secp256k1 addon unavailable: ${message}` };
  }
  return cached;
}
