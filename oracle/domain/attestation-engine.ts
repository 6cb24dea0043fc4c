/**
 * The attestation engine: the ONLY module that holds the oracle's keys (DESIGN.md "Layout and
 * import direction"). It signs announcements when contracts are created and attests an event at
 * most once, inside the caller's SQLite transaction, so a decision and its attestation commit
 * together or not at all.
 *
 * "At most once" is checked against three records before anything is signed (issue 19): the
 * database row of the event, the nonces registered for the event (a nonce belongs to one event
 * only, in the schema), and the signing journal — the file outside the database that records
 * every signature before it can leave, so a database restored from an older backup cannot make
 * the engine sign a second outcome. Events held by a quarantine are not signed at all.
 */
import { createAnnouncement, verifyAnnouncement } from '../../src/dlc/announcement.ts';
import { createAttestation, verifyAttestation } from '../../src/dlc/attestation.ts';
import { oracleKeysFromMnemonic } from '../../src/crypto/oracle-keys.ts';
import {
  decodeAnnouncement,
  encodeAnnouncement,
  encodeAttestation,
} from '../../src/dlc/oracle-codec.ts';
import type { OracleAnnouncement } from '../../src/dlc/oracle-types.ts';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { AttestationRow, Stores } from '../db/stores.ts';
import { EventAlreadyAttestedError, EventQuarantinedError } from '../errors.ts';
import type { SigningJournal } from './signing-journal.ts';
import { descriptorFor, outcomeForSigning, type Outcome, type OutcomeKind } from './outcomes.ts';

export interface AttestationEngine {
  /** 32-byte x-only public key. */
  readonly publicKey: Uint8Array;
  /** Signs and self-verifies a new announcement, returning its TLV bytes. */
  announce(params: { eventId: string; maturityEpochSec: number; kind: OutcomeKind }): Uint8Array;
  /**
   * Attests `eventId` with `outcome` unless already attested. Same outcome again: the stored row
   * (`created: false`). Another outcome: {@link EventAlreadyAttestedError}. Must run inside a
   * transaction (the decision's).
   */
  attestOnce(
    stores: Stores,
    params: { eventId: string; kind: OutcomeKind; outcome: Outcome; nowEpochSec: number },
  ): { row: AttestationRow; created: boolean };
}

const sameBytes = (a: readonly Uint8Array[], b: readonly Uint8Array[]) =>
  a.length === b.length &&
  a.every((x, i) => bytesToHex(x) === bytesToHex(b[i] ?? new Uint8Array()));

export function createAttestationEngine(
  mnemonic: string,
  journal: SigningJournal,
): AttestationEngine {
  const keys = oracleKeysFromMnemonic(mnemonic);
  return {
    publicKey: keys.publicKey,

    announce({ eventId, maturityEpochSec, kind }) {
      const announcement = createAnnouncement(keys, {
        eventId,
        maturityEpochSec,
        descriptor: descriptorFor(kind),
      });
      if (!verifyAnnouncement(announcement)) {
        throw new Error(`announcement for ${eventId} does not verify`);
      }
      return encodeAnnouncement(announcement);
    },

    attestOnce(stores, { eventId, kind, outcome, nowEpochSec }) {
      if (!stores.db.inTransaction) throw new Error('attestOnce must run inside a transaction');
      const existing = stores.getAttestation(eventId);
      if (existing !== undefined) {
        if (existing.outcome !== outcome)
          throw new EventAlreadyAttestedError(eventId, existing.outcome);
        return { row: existing, created: false };
      }
      if (stores.isHeld(eventId) || journal.isHeld(eventId)) {
        throw new EventQuarantinedError(eventId);
      }
      const stored = stores.getAnnouncement(eventId);
      if (stored === undefined) throw new Error(`no announcement for ${eventId}`);
      const announcement: OracleAnnouncement = decodeAnnouncement(stored.tlv);
      const nonces = announcement.event.nonces;
      // The nonces belong to this event and to no other: registered once, unique in the schema.
      const registered = stores.noncesOf(eventId);
      if (registered.length === 0) stores.registerNonces(eventId, nonces);
      else if (!sameBytes(registered, nonces)) {
        throw new Error(`the announcement of ${eventId} does not carry its registered nonces`);
      }
      // Signed before, by this key, but missing from the database (an older backup, a lost WAL,
      // a transaction that rolled back after signing): the journal's signature is the only one
      // this event may ever have.
      const signedBefore =
        journal.attestationOf(eventId) ??
        nonces.map((n) => journal.attestationByNonce(bytesToHex(n))).find((r) => r !== undefined);
      let tlv: Uint8Array;
      if (signedBefore !== undefined) {
        if (signedBefore.eventId !== eventId || signedBefore.outcome !== outcome)
          throw new EventAlreadyAttestedError(eventId, signedBefore.outcome);
        tlv = hexToBytes(signedBefore.tlv);
      } else {
        const attestation = createAttestation(keys, announcement, outcomeForSigning(kind, outcome));
        // Sign, then verify our own output before it can leave (noble-curves' habit).
        if (!verifyAttestation(announcement, attestation)) {
          throw new Error(`attestation for ${eventId} does not verify`);
        }
        tlv = encodeAttestation(attestation);
        journal.recordAttestation({
          t: 'attest',
          eventId,
          nonces: nonces.map((n) => bytesToHex(n)),
          outcome,
          tlv: bytesToHex(tlv),
          at: nowEpochSec,
        });
      }
      stores.insertAttestation({ event_id: eventId, outcome, tlv, created_at: nowEpochSec });
      const inserted = stores.getAttestation(eventId);
      if (inserted === undefined) throw new Error('attestation row vanished');
      return { row: inserted, created: true };
    },
  };
}
