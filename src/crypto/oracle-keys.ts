/**
 * Oracle keys from one BIP39 mnemonic (DESIGN.md "Nonces and keys"): an attestation key that signs
 * announcements and outcomes, and a separate nonce-derivation key. The secret halves never leave
 * this module: an {@link OracleKeys} value carries only the public key, and the secrets sit in a
 * module-private WeakMap, so they are not enumerable, not in `JSON.stringify`, not in
 * `util.inspect`.
 */
import { HDKey } from '@scure/bip32';
import { generateMnemonic, mnemonicToSeedSync, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { bip340Sign, xOnlyPublicKey } from './bip340.ts';
import { InvalidMnemonicError } from './errors.ts';
import { deriveNonceSecret, publicNonce, signWithExplicitNonce } from './nonces.ts';

/**
 * BIP32 paths, all hardened, under purpose 8735' ("DLC oracle", not a registered BIP43 purpose).
 * Why a purpose of our own: if the oracle's mnemonic were ever imported into a wallet, none of
 * these keys coincides with a BIP44/49/84/86 wallet key, and the oracle never signs anything with
 * a key a wallet would use. Why hardened everywhere: a leaked child secret together with an xpub
 * cannot reveal the parent or the sibling key. Account 0' is the attestation key, account 1' is
 * the nonce-derivation key, so one never leaks the other.
 */
export const ATTESTATION_KEY_PATH = "m/8735'/0'/0'";
/** See {@link ATTESTATION_KEY_PATH}. The 32-byte private key at this path is the HMAC key of nonce derivation. */
export const NONCE_KEY_PATH = "m/8735'/0'/1'";

/** An oracle's keys. Only the public key is visible; the secrets are reachable through this module's functions. */
export interface OracleKeys {
  /** 32-byte x-only (BIP340) public key of the attestation key. */
  readonly publicKey: Uint8Array;
}

interface OracleSecrets {
  readonly attestationKey: Uint8Array;
  readonly nonceKey: Uint8Array;
}

const secrets = new WeakMap<OracleKeys, OracleSecrets>();

/** A fresh 24-word (256-bit) English BIP39 mnemonic. */
export function generateOracleMnemonic(): string {
  return generateMnemonic(wordlist, 256);
}

/**
 * Derives the oracle's keys from a 24-word English BIP39 mnemonic (empty BIP39 passphrase).
 * @throws InvalidMnemonicError if the mnemonic is not 24 valid words with a valid checksum.
 */
export function oracleKeysFromMnemonic(mnemonic: string): OracleKeys {
  const normalized = mnemonic.normalize('NFKD').trim().split(/\s+/).join(' ');
  if (normalized.split(' ').length !== 24 || !validateMnemonic(normalized, wordlist)) {
    throw new InvalidMnemonicError(
      'expected a 24-word English BIP39 mnemonic with a valid checksum',
    );
  }
  const root = HDKey.fromMasterSeed(mnemonicToSeedSync(normalized));
  const attestationKey = root.derive(ATTESTATION_KEY_PATH).privateKey;
  const nonceKey = root.derive(NONCE_KEY_PATH).privateKey;
  if (attestationKey === null || nonceKey === null)
    throw new Error('BIP32 derivation gave no private key');
  const keys: OracleKeys = Object.freeze({ publicKey: xOnlyPublicKey(attestationKey) });
  secrets.set(keys, { attestationKey, nonceKey });
  return keys;
}

function secretsOf(keys: OracleKeys): OracleSecrets {
  const s = secrets.get(keys);
  if (s === undefined) throw new TypeError('keys were not created by oracleKeysFromMnemonic');
  return s;
}

/**
 * The public nonces `R_0 … R_{count−1}` (x-only) that {@link signWithEventNonce} will use for
 * `eventId`: the `oracle_nonces` of its announcement.
 */
export function eventNonces(keys: OracleKeys, eventId: string, count: number): Uint8Array[] {
  const { nonceKey } = secretsOf(keys);
  return Array.from({ length: count }, (_, i) =>
    publicNonce(deriveNonceSecret(nonceKey, eventId, i)),
  );
}

/**
 * BIP340-signs a 32-byte message with the attestation key and BIP340's own nonce derivation
 * (aux_rand = 32 zero bytes, which BIP340 allows), so the same message always gives the same
 * signature: announcements are reproducible after a restore. Used for announcements.
 */
export function signWithAttestationKey(keys: OracleKeys, message: Uint8Array): Uint8Array {
  return bip340Sign(message, secretsOf(keys).attestationKey, new Uint8Array(32));
}

/**
 * BIP340-signs `message` with the attestation key and the nonce committed for position
 * `position` of `eventId` (derived here, never supplied by the caller). Signing two different
 * messages for the same (eventId, position) reveals the key: the at-most-once rule per event is
 * the caller's (the service's storage) to enforce.
 */
export function signWithEventNonce(
  keys: OracleKeys,
  eventId: string,
  position: number,
  message: Uint8Array,
): Uint8Array {
  const { attestationKey, nonceKey } = secretsOf(keys);
  return signWithExplicitNonce(
    message,
    attestationKey,
    deriveNonceSecret(nonceKey, eventId, position),
  );
}
