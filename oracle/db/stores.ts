import { z } from 'zod';
import type { Db } from './open.ts';

/** Database rows are an edge too: each one is parsed on the way out. */
const milestoneRow = z.object({
  id: z.number().int(),
  contract_id: z.string(),
  idx: z.number().int(),
  event_id: z.string(),
  state: z.enum(['open', 'delivered', 'disputed', 'attested']),
  delivery_deadline: z.number().int(),
  delivered_at: z.number().int().nullable(),
  delivery_json: z.string().nullable(),
  review_ends_at: z.number().int().nullable(),
  disputed_at: z.number().int().nullable(),
  dispute_json: z.string().nullable(),
  evidence_ends_at: z.number().int().nullable(),
  voting_ends_at: z.number().int().nullable(),
  proposal_json: z.string().nullable(),
  decided_outcome: z.string().nullable(),
  decided_reason: z.string().nullable(),
  decided_by: z.string().nullable(),
  decided_at: z.number().int().nullable(),
});
export type MilestoneRow = z.infer<typeof milestoneRow>;
export type MilestoneState = MilestoneRow['state'];

const contractRow = z.object({
  id: z.string(),
  terms_json: z.string(),
  terms_hash: z.string(),
  client_id: z.string(),
  freelancer_id: z.string(),
  created_at: z.number().int(),
});
export type ContractRow = z.infer<typeof contractRow>;

const bytesColumn = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected bytes');

const announcementRow = z.object({
  event_id: z.string(),
  milestone_id: z.number().int(),
  maturity_epoch_sec: z.number().int(),
  tlv: bytesColumn,
  created_at: z.number().int(),
});
export type AnnouncementRow = z.infer<typeof announcementRow>;

const attestationRow = z.object({
  id: z.number().int(),
  event_id: z.string(),
  outcome: z.string(),
  tlv: bytesColumn,
  created_at: z.number().int(),
});
export type AttestationRow = z.infer<typeof attestationRow>;

const auditRow = z.object({
  id: z.number().int(),
  contract_id: z.string(),
  seq: z.number().int(),
  at: z.number().int(),
  actor: z.string(),
  action: z.string(),
  milestone_index: z.number().int().nullable(),
  details_json: z.string(),
  prev_hash: z.string(),
  hash: z.string(),
});
export type AuditRow = z.infer<typeof auditRow>;

const dlcMessageRow = z.object({
  id: z.number().int(),
  milestone_id: z.number().int(),
  kind: z.enum(['offer', 'accept', 'sign']),
  sender_role: z.enum(['client', 'freelancer']),
  hex: z.string(),
  created_at: z.number().int(),
  /** How many messages of this kind were posted for the milestone (the stored one is the latest). */
  posts: z.number().int(),
});
export type DlcMessageRow = z.infer<typeof dlcMessageRow>;

const eventListRow = announcementRow.extend({
  state: milestoneRow.shape.state,
  att_tlv: bytesColumn.nullable(),
  att_outcome: z.string().nullable(),
});
export type EventListRow = z.infer<typeof eventListRow>;

const heldEventRow = z.object({
  event_id: z.string(),
  held_at: z.number().int(),
  reason: z.string(),
  state: milestoneRow.shape.state,
  contract_id: z.string(),
  idx: z.number().int(),
});
export type HeldEventRow = z.infer<typeof heldEventRow>;

function one<T>(schema: z.ZodType<T>, row: unknown): T | undefined {
  return row === undefined ? undefined : schema.parse(row);
}

/**
 * Every SQL statement of the service, prepared once. Methods are synchronous (better-sqlite3), so
 * the domain can compose them inside one transaction without an `await`.
 */
export class Stores {
  private readonly s;

  constructor(readonly db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      metaGet: p('SELECT value FROM oracle_meta WHERE key = ?'),
      metaSet: p('INSERT INTO oracle_meta (key, value) VALUES (?, ?)'),
      metaUpsert: p(
        'INSERT INTO oracle_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      nonceInsert: p(
        'INSERT INTO announcement_nonces (nonce, event_id, position) VALUES (?, ?, ?)',
      ),
      noncesOf: p('SELECT nonce FROM announcement_nonces WHERE event_id = ? ORDER BY position'),
      announcementsWithoutNonces: p(
        `SELECT a.* FROM announcements a WHERE NOT EXISTS
           (SELECT 1 FROM announcement_nonces n WHERE n.event_id = a.event_id) ORDER BY a.milestone_id`,
      ),
      announcementCount: p('SELECT count(*) FROM announcements'),
      unattestedEvents: p(
        `SELECT a.event_id FROM announcements a LEFT JOIN attestations t ON t.event_id = a.event_id
         WHERE t.id IS NULL ORDER BY a.milestone_id`,
      ),
      allAttestations: p('SELECT * FROM attestations ORDER BY id'),
      heldInsert: p(
        `INSERT INTO held_events (event_id, held_at, reason) VALUES (?, ?, ?)
         ON CONFLICT (event_id) DO NOTHING`,
      ),
      heldRelease: p(
        `UPDATE held_events SET released_at = ?, released_how = ? WHERE event_id = ? AND released_at IS NULL`,
      ),
      heldGet: p('SELECT 1 FROM held_events WHERE event_id = ? AND released_at IS NULL'),
      heldAll: p(
        `SELECT h.event_id, h.held_at, h.reason, m.state, m.contract_id, m.idx
         FROM held_events h JOIN milestones m ON m.event_id = h.event_id
         WHERE h.released_at IS NULL ORDER BY m.id`,
      ),
      contractInsert: p(
        `INSERT INTO contracts (id, terms_json, terms_hash, client_id, freelancer_id, created_at)
         VALUES (@id, @terms_json, @terms_hash, @client_id, @freelancer_id, @created_at)`,
      ),
      contractGet: p('SELECT * FROM contracts WHERE id = ?'),
      milestoneInsert: p(
        `INSERT INTO milestones (contract_id, idx, event_id, state, delivery_deadline)
         VALUES (@contract_id, @idx, @event_id, 'open', @delivery_deadline)`,
      ),
      milestoneById: p('SELECT * FROM milestones WHERE id = ?'),
      milestoneByIndex: p('SELECT * FROM milestones WHERE contract_id = ? AND idx = ?'),
      milestoneByEvent: p('SELECT * FROM milestones WHERE event_id = ?'),
      milestonesOfContract: p('SELECT * FROM milestones WHERE contract_id = ? ORDER BY idx'),
      milestoneUpdate: p(
        `UPDATE milestones SET state = @state, delivered_at = @delivered_at,
           delivery_json = @delivery_json, review_ends_at = @review_ends_at,
           disputed_at = @disputed_at, dispute_json = @dispute_json,
           evidence_ends_at = @evidence_ends_at, voting_ends_at = @voting_ends_at,
           proposal_json = @proposal_json, decided_outcome = @decided_outcome,
           decided_reason = @decided_reason, decided_by = @decided_by, decided_at = @decided_at
         WHERE id = @id`,
      ),
      dueNoDelivery: p(
        `SELECT * FROM milestones WHERE state = 'open' AND delivery_deadline < ? AND event_id NOT IN (SELECT event_id FROM held_events WHERE released_at IS NULL) ORDER BY id LIMIT ?`,
      ),
      dueSilence: p(
        `SELECT * FROM milestones WHERE state = 'delivered' AND review_ends_at <= ? AND event_id NOT IN (SELECT event_id FROM held_events WHERE released_at IS NULL) ORDER BY id LIMIT ?`,
      ),
      dueVotingClosed: p(
        `SELECT * FROM milestones WHERE state = 'disputed' AND voting_ends_at <= ? AND event_id NOT IN (SELECT event_id FROM held_events WHERE released_at IS NULL) ORDER BY id LIMIT ?`,
      ),
      announcementInsert: p(
        `INSERT INTO announcements (event_id, milestone_id, maturity_epoch_sec, tlv, created_at)
         VALUES (@event_id, @milestone_id, @maturity_epoch_sec, @tlv, @created_at)`,
      ),
      announcementGet: p('SELECT * FROM announcements WHERE event_id = ?'),
      attestationInsert: p(
        `INSERT INTO attestations (event_id, outcome, tlv, created_at)
         VALUES (@event_id, @outcome, @tlv, @created_at)`,
      ),
      attestationGet: p('SELECT * FROM attestations WHERE event_id = ?'),
      eventsPage: p(
        `SELECT a.*, m.state AS state, t.tlv AS att_tlv, t.outcome AS att_outcome
         FROM milestones m JOIN announcements a ON a.milestone_id = m.id
         LEFT JOIN attestations t ON t.event_id = a.event_id
         WHERE m.id > @after ORDER BY m.id LIMIT @limit`,
      ),
      eventsPageByState: p(
        `SELECT a.*, m.state AS state, t.tlv AS att_tlv, t.outcome AS att_outcome
         FROM milestones m JOIN announcements a ON a.milestone_id = m.id
         LEFT JOIN attestations t ON t.event_id = a.event_id
         WHERE m.state = @state AND m.id > @after ORDER BY m.id LIMIT @limit`,
      ),
      auditLast: p('SELECT * FROM audit_log WHERE contract_id = ? ORDER BY seq DESC LIMIT 1'),
      auditInsert: p(
        `INSERT INTO audit_log (contract_id, seq, at, actor, action, milestone_index, details_json, prev_hash, hash)
         VALUES (@contract_id, @seq, @at, @actor, @action, @milestone_index, @details_json, @prev_hash, @hash)`,
      ),
      auditOfContract: p('SELECT * FROM audit_log WHERE contract_id = ? ORDER BY seq'),
      // Issue 19 §4: one row per milestone and kind, replaced by a re-post (003_relay_bounds.sql).
      dlcUpsert: p(
        `INSERT INTO dlc_relay (milestone_id, kind, sender_role, bytes, created_at, seq, posts)
         VALUES (@milestone_id, @kind, @sender_role, unhex(@hex), @created_at,
           (SELECT coalesce(max(seq), 0) + 1 FROM dlc_relay WHERE milestone_id = @milestone_id), 1)
         ON CONFLICT (milestone_id, kind) DO UPDATE SET
           sender_role = excluded.sender_role, bytes = excluded.bytes,
           created_at = excluded.created_at, seq = excluded.seq, posts = posts + 1
         RETURNING seq`,
      ),
      dlcLatest: p(
        `SELECT seq AS id, milestone_id, kind, sender_role, lower(hex(bytes)) AS hex, created_at, posts
         FROM dlc_relay WHERE milestone_id = ? AND kind = ?`,
      ),
      dlcBytesOfContract: p(
        `SELECT coalesce(sum(length(r.bytes)), 0) FROM dlc_relay r
         JOIN milestones m ON m.id = r.milestone_id WHERE m.contract_id = ?`,
      ),
      counts: p(
        `SELECT (SELECT count(*) FROM contracts) AS contracts,
                (SELECT count(*) FROM announcements) AS announcements,
                (SELECT count(*) FROM attestations) AS attestations`,
      ),
    };
  }

  getMeta(key: string): string | undefined {
    return one(z.object({ value: z.string() }), this.s.metaGet.get(key))?.value;
  }
  setMeta(key: string, value: string): void {
    this.s.metaSet.run(key, value);
  }
  upsertMeta(key: string, value: string): void {
    this.s.metaUpsert.run(key, value);
  }

  /** Issue 19: the nonces registered for an event, in position order (empty: none yet). */
  noncesOf(eventId: string): Uint8Array[] {
    return this.s.noncesOf
      .pluck()
      .all(eventId)
      .map((n) => bytesColumn.parse(n));
  }
  /** Registers an announcement's nonces; a nonce of another event makes this throw (PK). */
  registerNonces(eventId: string, nonces: readonly Uint8Array[]): void {
    nonces.forEach((n, i) => this.s.nonceInsert.run(n, eventId, i));
  }
  announcementsWithoutNonces(): AnnouncementRow[] {
    return this.s.announcementsWithoutNonces.all().map((r) => announcementRow.parse(r));
  }
  announcementCount(): number {
    return z.number().parse(this.s.announcementCount.pluck().get());
  }
  unattestedEventIds(): string[] {
    return z.array(z.string()).parse(this.s.unattestedEvents.pluck().all());
  }
  allAttestations(): AttestationRow[] {
    return this.s.allAttestations.all().map((r) => attestationRow.parse(r));
  }
  holdEvent(eventId: string, nowSec: number, reason: string): void {
    this.s.heldInsert.run(eventId, nowSec, reason);
  }
  releaseHeldEvent(eventId: string, nowSec: number, how: 'released' | 'imported'): void {
    this.s.heldRelease.run(nowSec, how, eventId);
  }
  isHeld(eventId: string): boolean {
    return this.s.heldGet.get(eventId) !== undefined;
  }
  heldEvents(): HeldEventRow[] {
    return this.s.heldAll.all().map((r) => heldEventRow.parse(r));
  }

  insertContract(row: ContractRow): void {
    this.s.contractInsert.run(row);
  }
  getContract(id: string): ContractRow | undefined {
    return one(contractRow, this.s.contractGet.get(id));
  }

  insertMilestone(
    row: Pick<MilestoneRow, 'contract_id' | 'idx' | 'event_id' | 'delivery_deadline'>,
  ): number {
    return Number(this.s.milestoneInsert.run(row).lastInsertRowid);
  }
  milestoneById(id: number): MilestoneRow | undefined {
    return one(milestoneRow, this.s.milestoneById.get(id));
  }
  milestoneByIndex(contractId: string, index: number): MilestoneRow | undefined {
    return one(milestoneRow, this.s.milestoneByIndex.get(contractId, index));
  }
  milestoneByEvent(eventId: string): MilestoneRow | undefined {
    return one(milestoneRow, this.s.milestoneByEvent.get(eventId));
  }
  milestonesOfContract(contractId: string): MilestoneRow[] {
    return this.s.milestonesOfContract.all(contractId).map((r) => milestoneRow.parse(r));
  }
  updateMilestone(row: MilestoneRow): void {
    this.s.milestoneUpdate.run(row);
  }
  dueNoDelivery(now: number, limit: number): MilestoneRow[] {
    return this.s.dueNoDelivery.all(now, limit).map((r) => milestoneRow.parse(r));
  }
  dueSilence(now: number, limit: number): MilestoneRow[] {
    return this.s.dueSilence.all(now, limit).map((r) => milestoneRow.parse(r));
  }
  dueVotingClosed(now: number, limit: number): MilestoneRow[] {
    return this.s.dueVotingClosed.all(now, limit).map((r) => milestoneRow.parse(r));
  }

  insertAnnouncement(row: AnnouncementRow): void {
    this.s.announcementInsert.run(row);
  }
  getAnnouncement(eventId: string): AnnouncementRow | undefined {
    return one(announcementRow, this.s.announcementGet.get(eventId));
  }
  insertAttestation(row: Omit<AttestationRow, 'id'>): void {
    this.s.attestationInsert.run(row);
  }
  getAttestation(eventId: string): AttestationRow | undefined {
    return one(attestationRow, this.s.attestationGet.get(eventId));
  }
  /** Keyset pagination on the milestone id: O(log n) per page whatever the page number. */
  eventsPage(after: number, limit: number, state?: MilestoneState): EventListRow[] {
    const rows =
      state === undefined
        ? this.s.eventsPage.all({ after, limit })
        : this.s.eventsPageByState.all({ after, limit, state });
    return rows.map((r) => eventListRow.parse(r));
  }

  lastAudit(contractId: string): AuditRow | undefined {
    return one(auditRow, this.s.auditLast.get(contractId));
  }
  insertAudit(row: Omit<AuditRow, 'id'>): void {
    this.s.auditInsert.run(row);
  }
  auditOfContract(contractId: string): AuditRow[] {
    return this.s.auditOfContract.all(contractId).map((r) => auditRow.parse(r));
  }

  /** Stores a relayed message, replacing the milestone's message of that kind; returns its posting order. */
  insertDlcMessage(row: Omit<DlcMessageRow, 'id' | 'posts'>): number {
    return z.number().int().parse(this.s.dlcUpsert.pluck().get(row));
  }
  /** Bytes of relayed DLC messages stored for a contract (all its milestones). */
  dlcBytesOfContract(contractId: string): number {
    return z.number().int().parse(this.s.dlcBytesOfContract.pluck().get(contractId));
  }
  latestDlcMessage(milestoneId: number, kind: DlcMessageRow['kind']): DlcMessageRow | undefined {
    return one(dlcMessageRow, this.s.dlcLatest.get(milestoneId, kind));
  }

  counts(): { contracts: number; announcements: number; attestations: number } {
    return z
      .object({ contracts: z.number(), announcements: z.number(), attestations: z.number() })
      .parse(this.s.counts.get());
  }
}
