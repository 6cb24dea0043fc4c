/**
 * ECDSA adaptor signatures over native libsecp256k1 when the addon is available, else over the
 * pure-JS reference (`src/crypto/ecdsa-adaptor.ts`, @noble/curves). Both backends run the same
 * scheme code through the `PointOps` seam and give byte-identical results (same nonces → same
 * signatures). Node-only.
 * @module
 */
import {
  createEcdsaAdaptor,
  nobleEcdsaAdaptor,
  type EcdsaAdaptor,
} from '../crypto/ecdsa-adaptor.ts';
import { createNativePointOps } from './point-ops.ts';
import { loadSecp256k1Addon } from './secp256k1-addon.ts';

export type AdaptorBackendName = 'native' | 'noble';

/** The reference backend: what the exported functions of src/crypto/ecdsa-adaptor.ts use. */
const nobleAdaptor: EcdsaAdaptor = nobleEcdsaAdaptor;
let nativeAdaptor: EcdsaAdaptor | undefined;

/** The scheme over native libsecp256k1, or `undefined` with the reason it is unavailable. */
export function nativeEcdsaAdaptor(): { adaptor: EcdsaAdaptor } | { reason: string } {
  const loaded = loadSecp256k1Addon();
  if (!loaded.ok) return { reason: loaded.reason };
  nativeAdaptor ??= createEcdsaAdaptor(createNativePointOps(loaded.addon));
  return { adaptor: nativeAdaptor };
}

/** Which backend {@link ecdsaAdaptor} uses on this thread. */
export function adaptorBackend(): AdaptorBackendName {
  return 'adaptor' in nativeEcdsaAdaptor() ? 'native' : 'noble';
}

/**
 * The scheme over the named backend; without a name, the fastest available (native, else noble).
 * Throws if `native` is asked for and the addon is unavailable.
 */
export function ecdsaAdaptor(backend?: AdaptorBackendName): EcdsaAdaptor {
  if (backend === 'noble') return nobleAdaptor;
  const native = nativeEcdsaAdaptor();
  if ('adaptor' in native) return native.adaptor;
  if (backend === 'native') throw new Error(native.reason);
  return nobleAdaptor;
}
