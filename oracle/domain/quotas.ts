/**
 * Storage bounds (issue 19 §4): what one contract, one milestone and one party can make the
 * service keep on disk. Every write that grows the database checks its bound inside its own
 * transaction and refuses with `409 quota_exceeded` (details: `scope`, `limit`, `used`); the
 * per-address byte rate (`oracle/http/write-limit.ts`) and the free-space floor
 * (`oracle/http/disk-guard.ts`) bound the rest. The figures are generous for real use: a real
 * offer/accept/sign for a 7-digit share event is tens of kB, a CI statement a few kB.
 */
import { AppError } from '../errors.ts';

export const QUOTAS = {
  /** Milestones per contract (terms.ts): the CPU cost of a create grows with it (issue 19 §6). */
  milestonesPerContract: 20,
  /** Posts of one DLC message kind per milestone (the stored one is the latest; each post is an audit entry). */
  dlcPostsPerKindPerMilestone: 16,
  /** Relayed DLC message bytes stored per contract, as a multiple of VERDICT_DLC_MESSAGE_MAX_BYTES. */
  dlcContractBytesFactor: 16,
  /** Evidence items per milestone, all rounds and both parties together. */
  evidenceItemsPerMilestone: 100,
  /** Evidence bytes (attachments plus texts) per milestone. */
  evidenceBytesPerMilestone: 16 * 1024 * 1024,
  /** CI results per milestone. */
  ciResultsPerMilestone: 100,
  /** Stored CI statement bytes per milestone. */
  ciStatementBytesPerMilestone: 16 * 1024 * 1024,
  /** CI tokens issued per milestone (each is a row and an audit entry). */
  ciTokensPerMilestone: 50,
} as const;

export type QuotaScope =
  | 'dlc_posts_per_kind'
  | 'dlc_bytes_per_contract'
  | 'evidence_items_per_milestone'
  | 'evidence_bytes_per_milestone'
  | 'ci_results_per_milestone'
  | 'ci_statement_bytes_per_milestone'
  | 'ci_tokens_per_milestone';

/** Throws `quota_exceeded` when `used + adding` would pass `limit`. */
export function checkQuota(scope: QuotaScope, limit: number, used: number, adding: number): void {
  if (used + adding > limit) {
    throw new AppError('quota_exceeded', `storage bound reached: ${scope} is ${limit}`, {
      scope,
      limit,
      used,
    });
  }
}
