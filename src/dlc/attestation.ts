/**
 * Oracle attestations (dlcspecs Messaging.md `oracle_attestation`, Oracle.md): one BIP340
 * signature per announced nonce, over the outcome string at that position.
 */
import { bip340Verify } from '../crypto/bip340.ts';
import { attestationMessage } from '../crypto/hash.ts';
import type { HashConvention } from '../crypto/hash.ts';
import { eventNonces, signWithEventNonce } from '../crypto/oracle-keys.ts';
import type { OracleKeys } from '../crypto/oracle-keys.ts';
import { verifyAnnouncement } from './announcement.ts';
import { isOutcomeAtPosition, outcomesToValue, valueToOutcomes } from './digits.ts';
import type { OracleAnnouncement, OracleAttestation } from './oracle-types.ts';

/** The outcome is not one the announced event can have. */
export class OutcomeNotInEventError extends Error {
  readonly code = 'outcome_not_in_event';
  constructor(message: string) {
    super(message);
    this.name = 'OutcomeNotInEventError';
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * The outcome strings that attest `outcome` for the announced event, one per nonce: the enum
 * string itself, or the sign and digits of a value (clamped to the representable range, see
 * `valueToOutcomes`).
 * @throws OutcomeNotInEventError if an enum outcome is not in the event.
 * @throws TypeError for a bigint on an enum event or a string on a digits event.
 */
export function outcomeStrings(
  announcement: OracleAnnouncement,
  outcome: string | bigint,
): string[] {
  const d = announcement.event.descriptor;
  if (d.kind === 'enum') {
    if (typeof outcome !== 'string')
      throw new TypeError('an enum event is attested with an outcome string');
    const normalized = outcome.normalize('NFC');
    if (!d.outcomes.some((o) => o.normalize('NFC') === normalized)) {
      throw new OutcomeNotInEventError(
        `"${outcome}" is not an outcome of event ${announcement.event.eventId}`,
      );
    }
    return [normalized];
  }
  if (typeof outcome !== 'bigint')
    throw new TypeError('a digits event is attested with a bigint value');
  return valueToOutcomes(d, outcome);
}

/**
 * Signs the attestation of `outcome` for an announcement this oracle made (tagged convention).
 * Each signature uses the nonce committed at its position, derived again from the nonce key and
 * the event id; no nonce is ever supplied by the caller.
 *
 * At most once per event: attesting two different outcomes of one event reuses its nonces and
 * reveals the oracle's secret key. This function cannot know what was signed before; the rule
 * is enforced by the service's storage (one attestation row per event, written in the
 * transaction that decides).
 *
 * @throws OutcomeNotInEventError if an enum outcome is not in the event (digit values are clamped).
 * @throws RangeError if the announcement was not made with these keys.
 */
export function createAttestation(
  keys: OracleKeys,
  announcement: OracleAnnouncement,
  outcome: string | bigint,
): OracleAttestation {
  const { event } = announcement;
  if (!bytesEqual(announcement.oraclePublicKey, keys.publicKey)) {
    throw new RangeError('the announcement belongs to another oracle key');
  }
  const nonces = eventNonces(keys, event.eventId, event.nonces.length);
  if (!nonces.every((n, i) => bytesEqual(n, event.nonces[i] ?? new Uint8Array()))) {
    throw new RangeError('the announcement nonces are not this oracle’s nonces for the event');
  }
  const outcomes = outcomeStrings(announcement, outcome);
  if (outcomes.length !== event.nonces.length)
    throw new RangeError('announcement has the wrong number of nonces');
  const signatures = outcomes.map((o, i) =>
    signWithEventNonce(keys, event.eventId, i, attestationMessage(o, 'tagged')),
  );
  return { eventId: event.eventId, oraclePublicKey: keys.publicKey, signatures, outcomes };
}

/**
 * Verifies an attestation against its announcement under `convention` (default `tagged`),
 * as dlcspecs Oracle-Validation.md asks: the announcement is valid; the public keys match; the
 * event ids match (an empty id — the rust-dlc 0.4 layout without event_id — is accepted, the
 * nonces below bind the attestation to the event anyway); one signature per nonce; each
 * signature's `R.x` is the nonce announced at its position; each outcome is possible at its
 * position; each signature is valid for its outcome. Never throws for bad data.
 */
export function verifyAttestation(
  announcement: OracleAnnouncement,
  attestation: OracleAttestation,
  convention: HashConvention = 'tagged',
): boolean {
  const { event } = announcement;
  if (!verifyAnnouncement(announcement, convention)) return false;
  if (!bytesEqual(attestation.oraclePublicKey, announcement.oraclePublicKey)) return false;
  if (
    attestation.eventId !== '' &&
    attestation.eventId.normalize('NFC') !== event.eventId.normalize('NFC')
  )
    return false;
  const n = event.nonces.length;
  if (attestation.signatures.length !== n || attestation.outcomes.length !== n) return false;
  const d = event.descriptor;
  for (let i = 0; i < n; i++) {
    const signature = attestation.signatures[i];
    const outcome = attestation.outcomes[i];
    const nonce = event.nonces[i];
    if (signature === undefined || outcome === undefined || nonce === undefined) return false;
    if (signature.length !== 64 || !bytesEqual(signature.subarray(0, 32), nonce)) return false;
    const possible =
      d.kind === 'enum'
        ? d.outcomes.some((o) => o.normalize('NFC') === outcome.normalize('NFC'))
        : isOutcomeAtPosition(d, i, outcome);
    if (!possible) return false;
    if (
      !bip340Verify(
        signature,
        attestationMessage(outcome, convention),
        announcement.oraclePublicKey,
      )
    )
      return false;
  }
  return true;
}

/**
 * What an attestation says: the enum outcome string, or the composed digit value as a bigint
 * (negative when a signed event's sign is "-"; scale by base^precision for display). Does not
 * verify: call {@link verifyAttestation} first.
 * @throws RangeError if the outcomes do not fit the event.
 */
export function attestedValue(
  announcement: OracleAnnouncement,
  attestation: OracleAttestation,
): string | bigint {
  const d = announcement.event.descriptor;
  if (d.kind === 'enum') {
    const [outcome] = attestation.outcomes;
    if (attestation.outcomes.length !== 1 || outcome === undefined) {
      throw new RangeError('an enum attestation has exactly one outcome');
    }
    return outcome;
  }
  return outcomesToValue(d, attestation.outcomes);
}
