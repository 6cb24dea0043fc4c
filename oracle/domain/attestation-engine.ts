/**
 * The attestation engine: the ONLY module that holds the oracle's keys (DESIGN.md "Layout and
 * import direction"). It signs announcements when contracts are created and attests an event at
 * most once, inside the caller's SQLite transaction, so a decision and its attestation commit
 * together or not at all.
 */
import { createAnnouncement, verifyAnnouncement } from 'verdict/dlc';
import { createAttestation, verifyAttestation } from 'verdict/dlc';
import { oracleKeysFromMnemonic } from 'verdict/crypto';
import { decodeAnnouncement, encodeAnnouncement, encodeAttestation } from 'verdict/dlc';
import type { OracleAnnouncement } from 'verdict/dlc';
import type { AttestationRow, Stores } from '../db/stores.ts';
import { EventAlreadyAttestedError } from '../errors.ts';
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

export function createAttestationEngine(mnemonic: string): AttestationEngine {
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
      const stored = stores.getAnnouncement(eventId);
      if (stored === undefined) throw new Error(`no announcement for ${eventId}`);
      const announcement: OracleAnnouncement = decodeAnnouncement(stored.tlv);
      const attestation = createAttestation(keys, announcement, outcomeForSigning(kind, outcome));
      // Sign, then verify our own output before it can leave (noble-curves' habit).
      if (!verifyAttestation(announcement, attestation)) {
        throw new Error(`attestation for ${eventId} does not verify`);
      }
      const row = {
        event_id: eventId,
        outcome,
        tlv: encodeAttestation(attestation),
        created_at: nowEpochSec,
      };
      stores.insertAttestation(row);
      const inserted = stores.getAttestation(eventId);
      if (inserted === undefined) throw new Error('attestation row vanished');
      return { row: inserted, created: true };
    },
  };
}
