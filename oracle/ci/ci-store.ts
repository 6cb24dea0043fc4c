/**
 * The CI tables (migration 060_ci.sql): issued CI tokens, used OIDC tokens, CI results. Every
 * method is synchronous so that the CI service composes them in one transaction.
 */
import { z } from 'zod';
import type { Db } from '../db/open.ts';

const ciTokenRow = z.object({
  jti: z.string(),
  milestone_id: z.number().int(),
  issued_by: z.string(),
  issued_at: z.number().int(),
  expires_at: z.number().int(),
  revoked_at: z.number().int().nullable(),
  revoked_by: z.string().nullable(),
});
export type CiTokenRow = z.infer<typeof ciTokenRow>;

const ciResultRow = z.object({
  id: z.number().int(),
  milestone_id: z.number().int(),
  received_at: z.number().int(),
  identity_kind: z.enum(['github-oidc', 'token']),
  identity_json: z.string(),
  commit_sha: z.string(),
  result: z.enum(['PASSED', 'WARNED', 'FAILED']),
  passed_count: z.number().int(),
  warned_count: z.number().int(),
  failed_count: z.number().int(),
  run_url: z.string().nullable(),
  policy_met: z.union([z.literal(0), z.literal(1)]),
  unmet_json: z.string(),
  decided: z.union([z.literal(0), z.literal(1)]),
  statement_json: z.string(),
});
export type CiResultRow = z.infer<typeof ciResultRow>;

export class CiStore {
  private readonly s;

  constructor(readonly db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      tokenInsert: p(
        `INSERT INTO ci_tokens (jti, milestone_id, issued_by, issued_at, expires_at)
         VALUES (@jti, @milestone_id, @issued_by, @issued_at, @expires_at)`,
      ),
      tokenGet: p('SELECT * FROM ci_tokens WHERE jti = ?'),
      tokensOfMilestone: p(
        'SELECT * FROM ci_tokens WHERE milestone_id = ? ORDER BY issued_at, jti',
      ),
      tokenRevoke: p(
        `UPDATE ci_tokens SET revoked_at = @at, revoked_by = @by
         WHERE jti = @jti AND revoked_at IS NULL`,
      ),
      usedPrune: p('DELETE FROM ci_used_tokens WHERE expires_at < ?'),
      usedInsert: p(
        'INSERT INTO ci_used_tokens (token_hash, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING',
      ),
      resultInsert: p(
        `INSERT INTO ci_results (milestone_id, received_at, identity_kind, identity_json, commit_sha,
           result, passed_count, warned_count, failed_count, run_url, policy_met, unmet_json,
           decided, statement_json)
         VALUES (@milestone_id, @received_at, @identity_kind, @identity_json, @commit_sha, @result,
           @passed_count, @warned_count, @failed_count, @run_url, @policy_met, @unmet_json,
           @decided, @statement_json)`,
      ),
      resultsOfMilestone: p('SELECT * FROM ci_results WHERE milestone_id = ? ORDER BY id'),
      resultsPage: p(
        'SELECT * FROM ci_results WHERE milestone_id = ? AND id > ? ORDER BY id LIMIT ?',
      ),
      resultUsage: p(
        `SELECT count(*) AS results, coalesce(sum(length(statement_json)), 0) AS bytes
         FROM ci_results WHERE milestone_id = ?`,
      ),
      tokenCount: p('SELECT count(*) FROM ci_tokens WHERE milestone_id = ?').pluck(),
    };
  }

  insertToken(row: Omit<CiTokenRow, 'revoked_at' | 'revoked_by'>): void {
    this.s.tokenInsert.run(row);
  }
  getToken(jti: string): CiTokenRow | undefined {
    const row = this.s.tokenGet.get(jti);
    return row === undefined ? undefined : ciTokenRow.parse(row);
  }
  tokensOfMilestone(milestoneId: number): CiTokenRow[] {
    return this.s.tokensOfMilestone.all(milestoneId).map((r) => ciTokenRow.parse(r));
  }
  /** True when this call revoked it; false when it was already revoked. */
  revokeToken(jti: string, at: number, by: string): boolean {
    return this.s.tokenRevoke.run({ jti, at, by }).changes === 1;
  }

  /**
   * Records a token as used. False when it was used before (a replay). Prunes the rows of tokens
   * that expired before `pruneBefore`, which can no longer verify.
   */
  markTokenUsed(tokenHash: string, expiresAt: number, pruneBefore: number): boolean {
    this.s.usedPrune.run(pruneBefore);
    return this.s.usedInsert.run(tokenHash, expiresAt).changes === 1;
  }

  insertResult(row: Omit<CiResultRow, 'id'>): number {
    return Number(this.s.resultInsert.run(row).lastInsertRowid);
  }
  resultsOfMilestone(milestoneId: number): CiResultRow[] {
    return this.s.resultsOfMilestone.all(milestoneId).map((r) => ciResultRow.parse(r));
  }
  /**
   * One page of a milestone's results after result id `afterId`, oldest first (issue 19 §8): at
   * most `limit` rows, and rows stop being added once their statements pass `maxBytes` (at least
   * one row, which is at most the statement limit). Rows are read one at a time, so a page never
   * holds more than it returns. `more` says whether rows follow the page.
   */
  resultsPage(
    milestoneId: number,
    afterId: number,
    limit: number,
    maxBytes: number,
  ): { rows: CiResultRow[]; more: boolean } {
    const rows: CiResultRow[] = [];
    let bytes = 0;
    let more = false;
    for (const r of this.s.resultsPage.iterate(milestoneId, afterId, limit + 1)) {
      const row = ciResultRow.parse(r);
      if (
        rows.length === limit ||
        (rows.length > 0 && bytes + row.statement_json.length > maxBytes)
      ) {
        more = true;
        break;
      }
      rows.push(row);
      bytes += row.statement_json.length;
    }
    return { rows, more };
  }
  /** What a milestone's CI results hold: their number and the bytes of their statements. */
  resultUsage(milestoneId: number): { results: number; bytes: number } {
    return z
      .object({ results: z.number().int(), bytes: z.number().int() })
      .parse(this.s.resultUsage.get(milestoneId));
  }
  tokenCount(milestoneId: number): number {
    return z.number().int().parse(this.s.tokenCount.get(milestoneId));
  }
}
