// Shared by the tests of src/native: the native scheme, or the reason it is missing. The native
// tests fail when the addon is missing (CI must not silently test noble twice), unless
// VERDICT_SKIP_NATIVE_TESTS=1 says this platform has no addon.
import { loadSecp256k1Addon, type Secp256k1Addon } from '../../src/native/secp256k1-addon.ts';

const loaded = loadSecp256k1Addon();

/** True when the native tests should be skipped (addon missing and the skip was asked for). */
export const skipNative: boolean = !loaded.ok && process.env['VERDICT_SKIP_NATIVE_TESTS'] === '1';

/** The loaded addon; throws (failing the test) when it is missing. */
export function addon(): Secp256k1Addon {
  if (!loaded.ok) {
    throw new Error(`${loaded.reason} (set VERDICT_SKIP_NATIVE_TESTS=1 to skip the native tests)`);
  }
  return loaded.addon;
}
