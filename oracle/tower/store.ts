/**
 * The tower's tables (migration 070): uploads, jobs, broadcasts. Prepared statements, rows parsed
 * by zod on the way out.
 */
import { z } from 'zod';
import type { Db } from '../db/open.ts';

export const JOB_STATES = [
  'watching',
  'chosen',
  'broadcast',
  'confirmed',
  'closed_elsewhere',
] as const;
export type JobState = (typeof JOB_STATES)[number];

const uploadRow = z.object({
  id: z.number().int(),
  contract_id: z.string(),
  milestone_index: z.number().int(),
  event_id: z.string(),
  dlc_contract_id: z.string(),
  side: z.enum(['offer', 'accept']),
  uploader_role: z.enum(['client', 'freelancer', 'party']),
  offer_hex: z.string(),
  accept_hex: z.string(),
  sign_hex: z.string(),
  cet_signatures_hex: z.string(),
  created_at: z.number().int(),
});
export type TowerUploadRow = z.infer<typeof uploadRow>;

const jobRow = z.object({
  dlc_contract_id: z.string(),
  contract_id: z.string(),
  milestone_index: z.number().int(),
  event_id: z.string(),
  funding_txid: z.string(),
  fund_output_index: z.number().int(),
  refund_locktime: z.number().int(),
  state: z.enum(JOB_STATES),
  kind: z.enum(['cet', 'refund']).nullable(),
  txid: z.string().nullable(),
  tx_hex: z.string().nullable(),
  outcome: z.string().nullable(),
  first_broadcast_height: z.number().int().nullable(),
  confirmed_height: z.number().int().nullable(),
  bump_needed: z.number().int(),
  detail: z.string().nullable(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});
export type TowerJobRow = z.infer<typeof jobRow>;

const broadcastRow = z.object({
  id: z.number().int(),
  dlc_contract_id: z.string(),
  txid: z.string(),
  kind: z.enum(['cet', 'refund']),
  height: z.number().int(),
  result: z.string(),
  at: z.number().int(),
});
export type TowerBroadcastRow = z.infer<typeof broadcastRow>;

export interface NewUpload {
  readonly contractId: string;
  readonly milestoneIndex: number;
  readonly eventId: string;
  readonly dlcContractId: string;
  readonly side: 'offer' | 'accept';
  readonly uploaderRole: 'client' | 'freelancer' | 'party';
  readonly offerHex: string;
  readonly acceptHex: string;
  readonly signHex: string;
  readonly cetSignaturesHex: string;
  readonly fundingTxid: string;
  readonly fundOutputIndex: number;
  readonly refundLocktime: number;
}

export class TowerStore {
  private readonly s;

  constructor(readonly db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      uploadInsert: p(
        `INSERT INTO tower_uploads (contract_id, milestone_index, event_id, dlc_contract_id, side,
           uploader_role, offer_hex, accept_hex, sign_hex, cet_signatures_hex, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (dlc_contract_id, side) DO NOTHING`,
      ),
      jobInsert: p(
        `INSERT INTO tower_jobs (dlc_contract_id, contract_id, milestone_index, event_id,
           funding_txid, fund_output_index, refund_locktime, state, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'watching', ?, ?)
         ON CONFLICT (dlc_contract_id) DO NOTHING`,
      ),
      uploadGet: p('SELECT * FROM tower_uploads WHERE dlc_contract_id = ? AND side = ?'),
      uploadsOfJob: p('SELECT * FROM tower_uploads WHERE dlc_contract_id = ? ORDER BY id'),
      uploadsOfMilestone: p(
        'SELECT * FROM tower_uploads WHERE contract_id = ? AND milestone_index = ? ORDER BY id',
      ),
      jobGet: p('SELECT * FROM tower_jobs WHERE dlc_contract_id = ?'),
      jobsOpen: p(
        `SELECT * FROM tower_jobs WHERE state IN ('watching', 'chosen', 'broadcast')
         ORDER BY created_at, dlc_contract_id`,
      ),
      jobsOfMilestone: p(
        'SELECT * FROM tower_jobs WHERE contract_id = ? AND milestone_index = ? ORDER BY created_at',
      ),
      jobChoose: p(
        `UPDATE tower_jobs SET state = 'chosen', kind = ?, txid = ?, tx_hex = ?, outcome = ?,
           detail = ?, updated_at = ? WHERE dlc_contract_id = ? AND state = 'watching'`,
      ),
      jobUpdate: p(
        `UPDATE tower_jobs SET state = @state, first_broadcast_height = @first_broadcast_height,
           confirmed_height = @confirmed_height, bump_needed = @bump_needed, detail = @detail,
           updated_at = @updated_at WHERE dlc_contract_id = @dlc_contract_id`,
      ),
      broadcastInsert: p(
        `INSERT INTO tower_broadcasts (dlc_contract_id, txid, kind, height, result, at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      broadcastsOfJob: p('SELECT * FROM tower_broadcasts WHERE dlc_contract_id = ? ORDER BY id'),
    };
  }

  /** Stores a verified upload and creates its job if needed, in one transaction. Returns whether
   * the upload is new (an identical side uploaded again is kept as it was). */
  insertUpload(u: NewUpload, now: number): boolean {
    return this.db.transaction(() => {
      const info = this.s.uploadInsert.run(
        u.contractId,
        u.milestoneIndex,
        u.eventId,
        u.dlcContractId,
        u.side,
        u.uploaderRole,
        u.offerHex,
        u.acceptHex,
        u.signHex,
        u.cetSignaturesHex,
        now,
      );
      this.s.jobInsert.run(
        u.dlcContractId,
        u.contractId,
        u.milestoneIndex,
        u.eventId,
        u.fundingTxid,
        u.fundOutputIndex,
        u.refundLocktime,
        now,
        now,
      );
      return info.changes === 1;
    })();
  }

  upload(dlcContractId: string, side: 'offer' | 'accept'): TowerUploadRow | undefined {
    const r = this.s.uploadGet.get(dlcContractId, side);
    return r === undefined ? undefined : uploadRow.parse(r);
  }
  uploadsOfJob(dlcContractId: string): TowerUploadRow[] {
    return this.s.uploadsOfJob.all(dlcContractId).map((r) => uploadRow.parse(r));
  }
  uploadsOfMilestone(contractId: string, index: number): TowerUploadRow[] {
    return this.s.uploadsOfMilestone.all(contractId, index).map((r) => uploadRow.parse(r));
  }
  job(dlcContractId: string): TowerJobRow {
    const r = this.s.jobGet.get(dlcContractId);
    if (r === undefined) throw new RangeError(`no tower job ${dlcContractId}`);
    return jobRow.parse(r);
  }
  openJobs(): TowerJobRow[] {
    return this.s.jobsOpen.all().map((r) => jobRow.parse(r));
  }
  jobsOfMilestone(contractId: string, index: number): TowerJobRow[] {
    return this.s.jobsOfMilestone.all(contractId, index).map((r) => jobRow.parse(r));
  }
  broadcasts(dlcContractId: string): TowerBroadcastRow[] {
    return this.s.broadcastsOfJob.all(dlcContractId).map((r) => broadcastRow.parse(r));
  }

  /** Records the closing transaction before it is sent (write-ahead); only from `watching`. */
  choose(
    dlcContractId: string,
    kind: 'cet' | 'refund',
    txid: string,
    txHex: string,
    outcome: string | null,
    detail: string,
    now: number,
  ): void {
    const info = this.s.jobChoose.run(kind, txid, txHex, outcome, detail, now, dlcContractId);
    if (info.changes !== 1) throw new RangeError(`tower job ${dlcContractId} is not watching`);
  }

  update(
    job: TowerJobRow,
    fields: Partial<
      Pick<
        TowerJobRow,
        'state' | 'first_broadcast_height' | 'confirmed_height' | 'bump_needed' | 'detail'
      >
    >,
    now: number,
  ): void {
    this.s.jobUpdate.run({
      dlc_contract_id: job.dlc_contract_id,
      state: fields.state ?? job.state,
      first_broadcast_height:
        fields.first_broadcast_height === undefined
          ? job.first_broadcast_height
          : fields.first_broadcast_height,
      confirmed_height:
        fields.confirmed_height === undefined ? job.confirmed_height : fields.confirmed_height,
      bump_needed: fields.bump_needed ?? job.bump_needed,
      detail: fields.detail === undefined ? job.detail : fields.detail,
      updated_at: now,
    });
  }

  /** One send and what the node said, with the job's new fields, in one transaction. */
  recordBroadcast(
    job: TowerJobRow,
    height: number,
    result: string,
    fields: Parameters<TowerStore['update']>[1],
    now: number,
  ): void {
    this.db.transaction(() => {
      this.s.broadcastInsert.run(job.dlc_contract_id, job.txid, job.kind, height, result, now);
      this.update(job, fields, now);
    })();
  }
}
