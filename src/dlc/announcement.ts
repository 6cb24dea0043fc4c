/**
 * Oracle announcements (dlcspecs Messaging.md `oracle_announcement`, Oracle.md "Signing
 * Algorithm"): the oracle commits to an event, its nonces and its outcomes before anyone funds a
 * contract on it.
 */
import { bip340Verify } from '../crypto/bip340.ts';
import { ANNOUNCEMENT_TAG, sha256Bytes, taggedHash } from '../crypto/hash.ts';
import type { HashConvention } from '../crypto/hash.ts';
import { eventNonces, signWithAttestationKey } from '../crypto/oracle-keys.ts';
import type { OracleKeys } from '../crypto/oracle-keys.ts';
import { assertDigitsDescriptor } from './digits.ts';
import { encodeOracleEvent, encodeOracleEventValue } from './oracle-codec.ts';
import type { EventDescriptor, OracleAnnouncement, OracleEvent } from './oracle-types.ts';
import { expectedNonceCount } from './oracle-types.ts';

/**
 * The 32-byte message an announcement signature covers (DLC-NOTES.md §3):
 * `tagged`: `tagged_hash("DLC/oracle/announcement/v0", oracle_event TLV incl. type and length)`;
 * `sha256`: `sha256(oracle_event TLV value only)` (rust-dlc).
 * @throws RangeError if the event cannot be encoded.
 */
export function announcementSigningMessage(
  event: OracleEvent,
  convention: HashConvention,
): Uint8Array {
  return convention === 'tagged'
    ? taggedHash(ANNOUNCEMENT_TAG, encodeOracleEvent(event))
    : sha256Bytes(encodeOracleEventValue(event));
}

/**
 * Creates and signs an announcement with the tagged convention. The nonces are derived from the
 * oracle's nonce key and `eventId` (DESIGN.md "Nonces and keys"), so the same keys and parameters
 * always give the same announcement, byte for byte.
 * @throws RangeError if the descriptor, event id or maturity is invalid.
 */
export function createAnnouncement(
  keys: OracleKeys,
  params: { eventId: string; maturityEpochSec: number; descriptor: EventDescriptor },
): OracleAnnouncement {
  const descriptor = normalizeDescriptor(params.descriptor);
  const eventId = params.eventId.normalize('NFC');
  if (eventId.length === 0) throw new RangeError('eventId must not be empty');
  const { maturityEpochSec } = params;
  if (
    !Number.isInteger(maturityEpochSec) ||
    maturityEpochSec < 0 ||
    maturityEpochSec > 0xffffffff
  ) {
    throw new RangeError('maturityEpochSec must be a u32');
  }
  const nonces = eventNonces(keys, eventId, expectedNonceCount(descriptor));
  const event: OracleEvent = { nonces, maturityEpochSec, descriptor, eventId };
  const signature = signWithAttestationKey(keys, announcementSigningMessage(event, 'tagged'));
  return { signature, oraclePublicKey: keys.publicKey, event };
}

/**
 * Verifies an announcement (dlcspecs Oracle-Validation.md): the BIP340 signature over the event
 * under `convention` (default `tagged`), the number of nonces for the descriptor (rust-dlc
 * `OracleEvent::validate`), distinct nonces and a well-formed descriptor. An empty event id is
 * accepted (Lava's real announcements have one); {@link createAnnouncement} never makes one.
 * Never throws for bad data.
 */
export function verifyAnnouncement(
  a: OracleAnnouncement,
  convention: HashConvention = 'tagged',
): boolean {
  const { event } = a;
  if (a.signature.length !== 64 || a.oraclePublicKey.length !== 32) return false;
  try {
    normalizeDescriptor(event.descriptor);
  } catch {
    return false;
  }
  if (event.nonces.length !== expectedNonceCount(event.descriptor)) return false;
  const seen = new Set<string>();
  for (const n of event.nonces) {
    if (n.length !== 32) return false;
    seen.add(Array.from(n).join(','));
  }
  if (seen.size !== event.nonces.length) return false;
  let message: Uint8Array;
  try {
    message = announcementSigningMessage(event, convention);
  } catch {
    return false;
  }
  return bip340Verify(a.signature, message, a.oraclePublicKey);
}

/**
 * NFC-normalizes a descriptor's strings and checks it: an enum needs at least one outcome, all
 * non-empty and distinct; a digits descriptor per {@link assertDigitsDescriptor}.
 * @throws RangeError
 */
export function normalizeDescriptor(d: EventDescriptor): EventDescriptor {
  if (d.kind === 'enum') {
    const outcomes = d.outcomes.map((o) => o.normalize('NFC'));
    if (outcomes.length === 0) throw new RangeError('an enum event needs at least one outcome');
    if (outcomes.some((o) => o.length === 0))
      throw new RangeError('enum outcomes must not be empty');
    if (new Set(outcomes).size !== outcomes.length)
      throw new RangeError('enum outcomes must be distinct');
    return { kind: 'enum', outcomes };
  }
  assertDigitsDescriptor(d);
  return { ...d, unit: d.unit.normalize('NFC') };
}
