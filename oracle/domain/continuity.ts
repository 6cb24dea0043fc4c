/**
 * Issue 19: a restored, copied or rolled-back data dir must never sign a second outcome for a
 * nonce. At every start (and in the operator's quarantine commands) this module reconciles the
 * three records of what the key signed — the database, the signing journal beside it and the
 * optional witness elsewhere — and decides whether the data dir is the one that signed them.
 *
 * - Every attestation found in any of them is kept everywhere: a signature the database lost is
 *   imported into it, so the engine answers it again instead of signing another outcome.
 * - When continuity cannot be proven (the journal is missing, belongs to another database, or is
 *   not the file it was: a copy or a restore), every event not attested here is HELD: no
 *   decision, no scheduler default, until the operator imports its attestation from wherever it
 *   may exist or releases it knowingly (`verdict oracle quarantine|import-attestations|release`).
 *
 * SECURITY.md "Restores, copies and snapshots" has the argument, case by case.
 */
import { existsSync } from 'node:fs';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { Logger } from 'pino';
import { attestedValue, verifyAttestation } from '../../src/dlc/attestation.ts';
import { decodeAnnouncement, decodeAttestation } from '../../src/dlc/oracle-codec.ts';
import type { MilestoneRow, Stores } from '../db/stores.ts';
import { appendAudit } from './audit-log.ts';
import { SigningJournal, Witness, type AttestRecord } from './signing-journal.ts';

export class NonceReuseInDatabaseError extends Error {
  constructor(nonce: string, events: readonly string[]) {
    super(
      `the database holds two announcements with one nonce (${nonce}: ${events.join(', ')}); refusing to start: attesting both would reveal the oracle key`,
    );
    this.name = 'NonceReuseInDatabaseError';
  }
}

export class AttestationImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AttestationImportError';
  }
}

export interface ContinuityReport {
  /** Why the data dir was quarantined at this start (undefined: it was not). */
  readonly quarantineReason: string | undefined;
  /** Events held now (this start's and earlier starts' holds not yet resolved). */
  readonly heldEvents: number;
  /** Signatures the database lacked and got back from the journal or the witness. */
  readonly importedIntoDatabase: number;
  readonly witness: string | undefined;
}

/** Registers the nonces of announcements stored before nonces were registered (migration 002). */
function backfillNonces(stores: Stores): void {
  const missing = stores.announcementsWithoutNonces();
  if (missing.length === 0) return;
  stores.db.transaction(() => {
    for (const a of missing) {
      const nonces = decodeAnnouncement(a.tlv).event.nonces;
      try {
        stores.registerNonces(a.event_id, nonces);
      } catch (e) {
        if (!String(e).includes('UNIQUE')) throw e;
        const clash = nonces.map((n) => bytesToHex(n));
        throw new NonceReuseInDatabaseError(clash.join(','), [a.event_id]);
      }
    }
  })();
}

/** The database's attestation rows as journal records. */
function recordsOfDatabase(stores: Stores): AttestRecord[] {
  return stores.allAttestations().map((row) => {
    const ann = stores.getAnnouncement(row.event_id);
    if (ann === undefined) throw new Error(`attestation without announcement: ${row.event_id}`);
    return {
      t: 'attest',
      eventId: row.event_id,
      nonces: decodeAnnouncement(ann.tlv).event.nonces.map((n) => bytesToHex(n)),
      outcome: row.outcome,
      tlv: bytesToHex(row.tlv),
      at: row.created_at,
    };
  });
}

/**
 * Checks an attestation TLV against this oracle's stored announcement for its event and returns
 * it as a journal record. Throws {@link AttestationImportError} for anything that is not one of
 * this oracle's valid attestations of an event this database knows.
 */
export function checkAttestation(stores: Stores, oracle: string, tlvHex: string): AttestRecord {
  let att;
  try {
    att = decodeAttestation(hexToBytes(tlvHex));
  } catch (e) {
    throw new AttestationImportError(
      `not an oracle_attestation TLV: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  if (bytesToHex(att.oraclePublicKey) !== oracle)
    throw new AttestationImportError(`attestation of ${att.eventId} is by another oracle key`);
  const stored = stores.getAnnouncement(att.eventId);
  if (stored === undefined)
    throw new AttestationImportError(`no announcement of ${att.eventId} in this database`);
  const ann = decodeAnnouncement(stored.tlv);
  if (!verifyAttestation(ann, att))
    throw new AttestationImportError(`attestation of ${att.eventId} does not verify`);
  return {
    t: 'attest',
    eventId: att.eventId,
    nonces: ann.event.nonces.map((n) => bytesToHex(n)),
    outcome: String(attestedValue(ann, att)),
    tlv: tlvHex.toLowerCase(),
    at: 0,
  };
}

/**
 * Stores a signature this oracle made elsewhere (journal, witness, a peer) in the database, and
 * marks its milestone attested with that outcome. Returns false when the database already has
 * it; throws if the database holds ANOTHER attestation for the event (evidence of equivocation).
 */
function importIntoDatabase(
  stores: Stores,
  r: AttestRecord,
  nowSec: number,
  source: string,
): boolean {
  const existing = stores.getAttestation(r.eventId);
  if (existing !== undefined) {
    if (bytesToHex(existing.tlv) !== r.tlv)
      throw new Error(
        `event ${r.eventId} has two different attestations (database: ${existing.outcome}, ${source}: ${r.outcome}); the oracle key must be considered compromised`,
      );
    return false;
  }
  const m: MilestoneRow | undefined = stores.milestoneByEvent(r.eventId);
  if (m === undefined || stores.getAnnouncement(r.eventId) === undefined) return false;
  if (stores.noncesOf(r.eventId).length === 0)
    stores.registerNonces(
      r.eventId,
      r.nonces.map((n) => hexToBytes(n)),
    );
  stores.insertAttestation({
    event_id: r.eventId,
    outcome: r.outcome,
    tlv: hexToBytes(r.tlv),
    created_at: nowSec,
  });
  stores.updateMilestone({
    ...m,
    state: 'attested',
    decided_outcome: r.outcome,
    decided_reason: 'restored_attestation',
    decided_by: `operator:${source}`,
    decided_at: nowSec,
  });
  appendAudit(stores, {
    contractId: m.contract_id,
    at: nowSec,
    actor: `operator:${source}`,
    action: 'attestation_restored',
    milestoneIndex: m.idx,
    details: { eventId: r.eventId, outcome: r.outcome, fromState: m.state },
  });
  stores.releaseHeldEvent(r.eventId, nowSec, 'imported');
  return true;
}

export interface SigningStateOptions {
  readonly journalPath: string;
  readonly witnessDir: string | undefined;
  readonly stores: Stores;
  /** The oracle's x-only public key, hex. */
  readonly oracle: string;
  readonly nowSec: number;
  readonly logger?: Logger;
}

/**
 * Opens (or creates) the signing journal and reconciles it with the database and the witness.
 * Run at every start, under the data dir's lock, before the scheduler or any request.
 */
export function openSigningState(o: SigningStateOptions): {
  journal: SigningJournal;
  report: ContinuityReport;
} {
  const { stores, oracle, nowSec } = o;
  backfillNonces(stores);
  const witness = o.witnessDir === undefined ? undefined : new Witness(o.witnessDir, oracle);
  const dbJournalId = stores.getMeta('journal_id');
  const hasEvents = stores.announcementCount() > 0;
  let journal: SigningJournal;
  let quarantineReason: string | undefined;
  if (!existsSync(o.journalPath)) {
    journal = SigningJournal.create(o.journalPath, oracle, nowSec, witness);
    if (hasEvents && dbJournalId !== undefined) {
      quarantineReason =
        'the database names a signing journal this data dir does not have: a database restored or copied into another data dir, or the journal was removed';
    }
    // No events: a new oracle. Events but no journal id: a database from before signing journals
    // (the upgrade adopts its attestations below).
  } else {
    journal = SigningJournal.open(o.journalPath, oracle, witness);
    if (hasEvents && dbJournalId === undefined) {
      quarantineReason =
        'the database has events but names no signing journal: a database from before signing journals was put into a data dir that has one';
    } else if (dbJournalId !== undefined && dbJournalId !== journal.header.journalId) {
      quarantineReason =
        "the database belongs to another data dir's signing journal: a database copied or restored from elsewhere";
    } else if (journal.boundInode() !== journal.currentInode()) {
      quarantineReason =
        'the signing journal is not the file it was: the data dir was copied, moved to another file system or restored from a backup';
    }
  }

  // Every signature we can see, kept everywhere.
  let importedIntoDatabase = 0;
  stores.db.transaction(() => {
    journal.adopt(recordsOfDatabase(stores));
    for (const w of witness?.attestations() ?? []) {
      if (journal.attestationOf(w.eventId) !== undefined) continue;
      try {
        journal.adopt([{ ...checkAttestation(stores, oracle, w.tlv), at: w.at }]);
      } catch (e) {
        o.logger?.warn(
          { eventId: w.eventId, err: e },
          'a witness line is not a valid attestation of a known event; ignored',
        );
      }
    }
    for (const r of journal.attestations()) {
      if (importIntoDatabase(stores, r, nowSec, 'journal')) importedIntoDatabase += 1;
    }
    if (quarantineReason !== undefined) {
      // Hold first, bind after: a crash in between leaves the quarantine in place.
      journal.hold(stores.unattestedEventIds(), quarantineReason, nowSec);
    }
    // The database mirrors the journal's holds (the scheduler's queries skip them).
    for (const id of journal.heldEvents()) {
      if (stores.getAnnouncement(id) !== undefined)
        stores.holdEvent(id, nowSec, quarantineReason ?? 'quarantine');
    }
    for (const h of stores.heldEvents()) {
      if (!journal.isHeld(h.event_id)) {
        if (journal.wasReleased(h.event_id))
          stores.releaseHeldEvent(h.event_id, nowSec, 'released');
        else journal.hold([h.event_id], h.reason, nowSec); // the safer of the two records
      }
    }
    stores.upsertMeta('journal_id', journal.header.journalId);
  })();
  if (journal.boundInode() !== journal.currentInode()) journal.bind(nowSec);

  const heldEvents = stores.heldEvents().length;
  if (importedIntoDatabase > 0)
    o.logger?.warn(
      { imported: importedIntoDatabase },
      'the database lacked attestations this key signed; restored them from the signing journal',
    );
  if (heldEvents > 0)
    o.logger?.warn(
      { heldEvents, reason: quarantineReason },
      'QUARANTINE: events are held until the operator imports their attestations or releases them (verdict oracle quarantine)',
    );
  return {
    journal,
    report: { quarantineReason, heldEvents, importedIntoDatabase, witness: witness?.path },
  };
}

/**
 * `verdict oracle import-attestations`: stores attestations of this oracle obtained from the
 * parties, a mirror or a peer, and releases their events. Each must verify against the stored
 * announcement; the same attestation twice is harmless.
 */
export function importAttestations(
  stores: Stores,
  journal: SigningJournal,
  oracle: string,
  tlvHexes: readonly string[],
  nowSec: number,
): { imported: string[]; already: string[] } {
  const records = tlvHexes.map((h) => ({ ...checkAttestation(stores, oracle, h), at: nowSec }));
  const imported: string[] = [];
  const already: string[] = [];
  stores.db.transaction(() => {
    for (const r of records) {
      const known = journal.attestationOf(r.eventId);
      if (known !== undefined && known.tlv !== r.tlv)
        throw new Error(
          `event ${r.eventId} already has another attestation in the journal (${known.outcome} vs ${r.outcome}): the oracle key must be considered compromised`,
        );
      journal.adopt([r]);
      journal.release(r.eventId, 'imported', nowSec);
      (importIntoDatabase(stores, r, nowSec, 'import') ? imported : already).push(r.eventId);
    }
  })();
  return { imported, already };
}

/**
 * `verdict oracle release`: the operator declares that an event was never attested anywhere else
 * and may be decided here. Journal first (the source of truth), then the database.
 */
export function releaseEvent(
  stores: Stores,
  journal: SigningJournal,
  eventId: string,
  nowSec: number,
): void {
  if (!stores.isHeld(eventId) && !journal.isHeld(eventId))
    throw new AttestationImportError(`event ${eventId} is not held`);
  journal.release(eventId, 'released', nowSec);
  stores.db.transaction(() => stores.releaseHeldEvent(eventId, nowSec, 'released'))();
}
