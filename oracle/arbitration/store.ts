/**
 * Every SQL statement of arbitration (tables in `oracle/db/migrations/050_arbitration.sql`),
 * prepared once, synchronous, each row parsed on the way out.
 */
import { z } from 'zod';
import type { Db } from '../db/open.ts';

const arbiterRow = z.object({
  id: z.string(),
  display_name: z.string(),
  linked_json: z.string(),
  password_hash: z.string().nullable(),
  status: z.enum(['invited', 'active', 'disabled']),
  session_epoch: z.number().int(),
  created_at: z.number().int(),
  disabled_at: z.number().int().nullable(),
});
export type ArbiterRow = z.infer<typeof arbiterRow>;

const inviteRow = z.object({
  id: z.number().int(),
  arbiter_id: z.string(),
  token_hash: z.string(),
  created_at: z.number().int(),
  expires_at: z.number().int(),
  used_at: z.number().int().nullable(),
});
export type InviteRow = z.infer<typeof inviteRow>;

const disputeRow = z.object({
  id: z.number().int(),
  milestone_id: z.number().int(),
  round: z.union([z.literal(1), z.literal(2)]),
  opened_by: z.string(),
  opened_at: z.number().int(),
  evidence_ends_at: z.number().int(),
  voting_ends_at: z.number().int(),
  seats: z.number().int(),
  quorum: z.number().int(),
  fallback_outcome: z.string(),
  closed_at: z.number().int().nullable(),
  outcome: z.string().nullable(),
  rule: z.enum(['median', 'majority', 'tie_rule', 'tie_fallback', 'no_quorum_fallback']).nullable(),
  tally_json: z.string().nullable(),
});
export type DisputeRow = z.infer<typeof disputeRow>;

const voteRow = z.object({
  id: z.number().int(),
  dispute_id: z.number().int(),
  arbiter_id: z.string(),
  outcome: z.string(),
  rationale: z.string(),
  cast_at: z.number().int(),
});
export type VoteRow = z.infer<typeof voteRow>;

const evidenceRow = z.object({
  id: z.number().int(),
  dispute_id: z.number().int(),
  party_role: z.enum(['client', 'freelancer']),
  kind: z.enum(['statement', 'link', 'file']),
  body: z.string(),
  url: z.string().nullable(),
  file_name: z.string().nullable(),
  content_type: z.string().nullable(),
  size_bytes: z.number().int().nullable(),
  sha256: z.string().nullable(),
  created_at: z.number().int(),
});
export type EvidenceRow = z.infer<typeof evidenceRow>;

const ciResultRow = z.object({
  received_at: z.number().int(),
  commit_sha: z.string(),
  result: z.enum(['PASSED', 'WARNED', 'FAILED']),
  passed_count: z.number().int(),
  warned_count: z.number().int(),
  failed_count: z.number().int(),
  run_url: z.string().nullable(),
  policy_met: z.number().int(),
});
export type CiResultRow = z.infer<typeof ciResultRow>;

const panelRow = z.object({
  dispute_id: z.number().int(),
  arbiter_id: z.string(),
  seat: z.number().int(),
});

const shortRoundRow = z.object({
  dispute_id: z.number().int(),
  round: z.number().int(),
  seats: z.number().int(),
  quorum: z.number().int(),
  evidence_ends_at: z.number().int(),
  voting_ends_at: z.number().int(),
  contract_id: z.string(),
  milestone_index: z.number().int(),
  seated: z.number().int(),
});
export type ShortRoundRow = z.infer<typeof shortRoundRow>;

function one<T>(schema: z.ZodType<T>, row: unknown): T | undefined {
  return row === undefined ? undefined : schema.parse(row);
}
function all<T>(schema: z.ZodType<T>, rows: unknown[]): T[] {
  return rows.map((r) => schema.parse(r));
}

export class ArbitrationStore {
  private readonly s;

  constructor(readonly db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      arbiterInsert: p(
        `INSERT INTO arbiters (id, display_name, linked_json, status, created_at)
         VALUES (@id, @display_name, @linked_json, 'invited', @created_at)`,
      ),
      arbiterGet: p('SELECT * FROM arbiters WHERE id = ?'),
      arbiterAll: p('SELECT * FROM arbiters ORDER BY id'),
      arbiterSetPassword: p(
        `UPDATE arbiters SET password_hash = ?, status = 'active' WHERE id = ? AND status <> 'disabled'`,
      ),
      arbiterDisable: p(
        `UPDATE arbiters SET status = 'disabled', disabled_at = ?, session_epoch = session_epoch + 1
         WHERE id = ? AND status <> 'disabled'`,
      ),
      arbiterBumpEpoch: p('UPDATE arbiters SET session_epoch = session_epoch + 1 WHERE id = ?'),
      inviteInsert: p(
        `INSERT INTO arbiter_invites (arbiter_id, token_hash, created_at, expires_at)
         VALUES (@arbiter_id, @token_hash, @created_at, @expires_at)`,
      ),
      inviteByHash: p('SELECT * FROM arbiter_invites WHERE token_hash = ?'),
      inviteUse: p('UPDATE arbiter_invites SET used_at = ? WHERE id = ? AND used_at IS NULL'),
      invitesVoid: p(
        'UPDATE arbiter_invites SET used_at = ? WHERE arbiter_id = ? AND used_at IS NULL',
      ),
      disputeInsert: p(
        `INSERT INTO disputes (milestone_id, round, opened_by, opened_at, evidence_ends_at,
           voting_ends_at, seats, quorum, fallback_outcome)
         VALUES (@milestone_id, @round, @opened_by, @opened_at, @evidence_ends_at,
           @voting_ends_at, @seats, @quorum, @fallback_outcome)`,
      ),
      disputeGet: p('SELECT * FROM disputes WHERE id = ?'),
      disputesOfMilestone: p('SELECT * FROM disputes WHERE milestone_id = ? ORDER BY round'),
      disputeClose: p(
        `UPDATE disputes SET closed_at = @closed_at, outcome = @outcome, rule = @rule,
           tally_json = @tally_json WHERE id = @id AND closed_at IS NULL`,
      ),
      disputesOfArbiter: p(
        `SELECT d.* FROM disputes d JOIN dispute_panel p ON p.dispute_id = d.id
         WHERE p.arbiter_id = ? ORDER BY d.closed_at IS NOT NULL, d.voting_ends_at, d.id`,
      ),
      // Rounds still taking seats (evidence phase open) that have fewer arbiters than seats.
      roundsToFill: p(
        `SELECT d.* FROM disputes d JOIN milestones m ON m.id = d.milestone_id
         WHERE m.state = 'disputed' AND d.closed_at IS NULL AND d.evidence_ends_at > ?
           AND (SELECT count(*) FROM dispute_panel p WHERE p.dispute_id = d.id) < d.seats
         ORDER BY d.id`,
      ),
      // Open rounds (not closed, voting not over) seated with fewer arbiters than seats.
      shortRounds: p(
        `SELECT d.id AS dispute_id, d.round, d.seats, d.quorum, d.evidence_ends_at, d.voting_ends_at,
           m.contract_id, m.idx AS milestone_index,
           (SELECT count(*) FROM dispute_panel p WHERE p.dispute_id = d.id) AS seated
         FROM disputes d JOIN milestones m ON m.id = d.milestone_id
         WHERE m.state = 'disputed' AND d.closed_at IS NULL AND d.voting_ends_at > ?
           AND (SELECT count(*) FROM dispute_panel p WHERE p.dispute_id = d.id) < d.seats
         ORDER BY d.id`,
      ),
      // Disputed milestones with a closed round: decided once any appeal window has passed.
      milestonesWithClosedRound: p(
        `SELECT DISTINCT d.milestone_id FROM disputes d JOIN milestones m ON m.id = d.milestone_id
         WHERE m.state = 'disputed' AND d.closed_at IS NOT NULL ORDER BY d.milestone_id`,
      ),
      panelInsert: p('INSERT INTO dispute_panel (dispute_id, arbiter_id, seat) VALUES (?, ?, ?)'),
      panelOf: p('SELECT * FROM dispute_panel WHERE dispute_id = ? ORDER BY seat'),
      voteInsert: p(
        `INSERT INTO dispute_votes (dispute_id, arbiter_id, outcome, rationale, cast_at)
         VALUES (@dispute_id, @arbiter_id, @outcome, @rationale, @cast_at)`,
      ),
      // The latest vote of each seat: the one that counts.
      currentVotes: p(
        `SELECT v.* FROM dispute_votes v
         WHERE v.dispute_id = ? AND v.id = (SELECT max(id) FROM dispute_votes w
           WHERE w.dispute_id = v.dispute_id AND w.arbiter_id = v.arbiter_id)
         ORDER BY v.arbiter_id`,
      ),
      evidenceInsert: p(
        `INSERT INTO dispute_evidence (dispute_id, party_role, kind, body, url, file_name,
           content_type, size_bytes, sha256, created_at)
         VALUES (@dispute_id, @party_role, @kind, @body, @url, @file_name, @content_type,
           @size_bytes, @sha256, @created_at)`,
      ),
      evidenceOfMilestone: p(
        `SELECT e.* FROM dispute_evidence e JOIN disputes d ON d.id = e.dispute_id
         WHERE d.milestone_id = ? ORDER BY e.id`,
      ),
      evidenceGet: p('SELECT * FROM dispute_evidence WHERE id = ?'),
      evidenceUsage: p(
        `SELECT count(*) AS items,
           coalesce(sum(coalesce(e.size_bytes, 0) + length(e.body) + length(coalesce(e.url, ''))), 0) AS bytes
         FROM dispute_evidence e JOIN disputes d ON d.id = e.dispute_id WHERE d.milestone_id = ?`,
      ),
      blobInsert: p('INSERT OR IGNORE INTO evidence_blobs (sha256, bytes) VALUES (?, ?)'),
      blobGet: p('SELECT bytes FROM evidence_blobs WHERE sha256 = ?'),
      ciResults: p(
        `SELECT received_at, commit_sha, result, passed_count, warned_count, failed_count, run_url,
           policy_met FROM ci_results WHERE milestone_id = ? ORDER BY id`,
      ),
    };
  }

  insertArbiter(row: Pick<ArbiterRow, 'id' | 'display_name' | 'linked_json' | 'created_at'>): void {
    this.s.arbiterInsert.run(row);
  }
  arbiter(id: string): ArbiterRow | undefined {
    return one(arbiterRow, this.s.arbiterGet.get(id));
  }
  arbiters(): ArbiterRow[] {
    return all(arbiterRow, this.s.arbiterAll.all());
  }
  setPassword(id: string, hash: string): boolean {
    return this.s.arbiterSetPassword.run(hash, id).changes === 1;
  }
  disableArbiter(id: string, nowSec: number): boolean {
    return this.s.arbiterDisable.run(nowSec, id).changes === 1;
  }
  bumpSessionEpoch(id: string): void {
    this.s.arbiterBumpEpoch.run(id);
  }

  insertInvite(
    row: Pick<InviteRow, 'arbiter_id' | 'token_hash' | 'created_at' | 'expires_at'>,
  ): void {
    this.s.inviteInsert.run(row);
  }
  inviteByHash(tokenHash: string): InviteRow | undefined {
    return one(inviteRow, this.s.inviteByHash.get(tokenHash));
  }
  /** Spends every outstanding invite of the arbiter (a new invite or a disable voids the old links). */
  voidInvites(arbiterId: string, nowSec: number): void {
    this.s.invitesVoid.run(nowSec, arbiterId);
  }
  /** False when another request used it first. */
  useInvite(id: number, nowSec: number): boolean {
    return this.s.inviteUse.run(nowSec, id).changes === 1;
  }

  insertDispute(
    row: Omit<DisputeRow, 'id' | 'closed_at' | 'outcome' | 'rule' | 'tally_json'>,
  ): number {
    return Number(this.s.disputeInsert.run(row).lastInsertRowid);
  }
  dispute(id: number): DisputeRow | undefined {
    return one(disputeRow, this.s.disputeGet.get(id));
  }
  disputesOfMilestone(milestoneId: number): DisputeRow[] {
    return all(disputeRow, this.s.disputesOfMilestone.all(milestoneId));
  }
  closeDispute(row: {
    id: number;
    closed_at: number;
    outcome: string;
    rule: string;
    tally_json: string;
  }): boolean {
    return this.s.disputeClose.run(row).changes === 1;
  }
  disputesOfArbiter(arbiterId: string): DisputeRow[] {
    return all(disputeRow, this.s.disputesOfArbiter.all(arbiterId));
  }

  /** Rounds in their evidence phase at `nowSec` with empty seats (a short panel to fill). */
  roundsToFill(nowSec: number): DisputeRow[] {
    return all(disputeRow, this.s.roundsToFill.all(nowSec));
  }
  /** Open rounds seated short at `nowSec`, with their milestone: what the operator must fix. */
  shortRounds(nowSec: number): ShortRoundRow[] {
    return all(shortRoundRow, this.s.shortRounds.all(nowSec));
  }
  milestonesWithClosedRound(): number[] {
    return all(
      z.object({ milestone_id: z.number().int() }),
      this.s.milestonesWithClosedRound.all(),
    ).map((r) => r.milestone_id);
  }

  insertPanelSeat(disputeId: number, arbiterId: string, seat: number): void {
    this.s.panelInsert.run(disputeId, arbiterId, seat);
  }
  panel(disputeId: number): string[] {
    return all(panelRow, this.s.panelOf.all(disputeId)).map((r) => r.arbiter_id);
  }

  insertVote(row: Omit<VoteRow, 'id'>): void {
    this.s.voteInsert.run(row);
  }
  /** The counting vote of each seat. Sealed: callers must not reveal these before the close. */
  currentVotes(disputeId: number): VoteRow[] {
    return all(voteRow, this.s.currentVotes.all(disputeId));
  }

  insertEvidence(row: Omit<EvidenceRow, 'id'>): number {
    return Number(this.s.evidenceInsert.run(row).lastInsertRowid);
  }
  evidenceOfMilestone(milestoneId: number): EvidenceRow[] {
    return all(evidenceRow, this.s.evidenceOfMilestone.all(milestoneId));
  }
  evidence(id: number): EvidenceRow | undefined {
    return one(evidenceRow, this.s.evidenceGet.get(id));
  }
  /** Issue 19 §4: the evidence a milestone holds, all rounds: items and bytes (files and texts). */
  evidenceUsage(milestoneId: number): { items: number; bytes: number } {
    return z
      .object({ items: z.number().int(), bytes: z.number().int() })
      .parse(this.s.evidenceUsage.get(milestoneId));
  }
  insertBlob(sha256: string, bytes: Uint8Array): void {
    this.s.blobInsert.run(sha256, bytes);
  }
  /** CI results recorded for the milestone (issue 7's table): evidence for the panel. */
  ciResults(milestoneId: number): CiResultRow[] {
    return all(ciResultRow, this.s.ciResults.all(milestoneId));
  }
  blob(sha256: string): Uint8Array | undefined {
    return one(z.object({ bytes: z.instanceof(Uint8Array) }), this.s.blobGet.get(sha256))?.bytes;
  }
}
