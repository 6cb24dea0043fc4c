import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';

/**
 * How an oracle turns what it signs into the 32-byte BIP340 message (DLC-NOTES.md §3):
 * - `tagged`: the dlcspecs text (Oracle.md "Signing Algorithm"), node-dlc, Atomic. Verdict signs
 *   with this one.
 * - `sha256`: rust-dlc and the spec's own protocol-v1 vectors: plain SHA-256, and the announcement
 *   over the oracle_event TLV *value* only (no type, no length).
 */
export type HashConvention = 'tagged' | 'sha256';

/** dlcspecs Messaging.md: announcement tag = "DLC/oracle/" ‖ "announcement/v0". */
export const ANNOUNCEMENT_TAG = 'DLC/oracle/announcement/v0';
/** dlcspecs Oracle.md: attestation tag = "DLC/oracle/" ‖ "attestation/v0". */
export const ATTESTATION_TAG = 'DLC/oracle/attestation/v0';

const textEncoder = new TextEncoder();
const tagPrefixes = new Map<string, Uint8Array>();

/** SHA-256 of `data`. */
export function sha256Bytes(data: Uint8Array): Uint8Array {
  return sha256(data);
}

/** BIP340: `tagged_hash(tag, m) = SHA256(SHA256(tag) ‖ SHA256(tag) ‖ m)`. */
export function taggedHash(tag: string, ...messages: readonly Uint8Array[]): Uint8Array {
  let prefix = tagPrefixes.get(tag);
  if (prefix === undefined) {
    const tagHash = sha256(textEncoder.encode(tag));
    prefix = concatBytes(tagHash, tagHash);
    tagPrefixes.set(tag, prefix);
  }
  return sha256(concatBytes(prefix, ...messages));
}

/**
 * dlcspecs Messaging.md `string`: the UTF-8 bytes of the NFC-normalized string (NFC, not NFKC;
 * vectors in dlcspecs/test/dlc_hash_test.json).
 */
export function utf8Nfc(text: string): Uint8Array {
  return textEncoder.encode(text.normalize('NFC'));
}

/**
 * The 32-byte message an oracle signs for one attested outcome string ("accepted", a digit "0",
 * "1", …, or a sign "+"/"-"): dlcspecs Oracle.md `tagged_hash("DLC/oracle/attestation/v0",
 * outcome)` under `tagged`, `sha256(outcome)` under `sha256`.
 */
export function attestationMessage(outcome: string, convention: HashConvention): Uint8Array {
  const bytes = utf8Nfc(outcome);
  return convention === 'tagged' ? taggedHash(ATTESTATION_TAG, bytes) : sha256(bytes);
}
