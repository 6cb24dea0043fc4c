/** Dispute phases (DESIGN.md "Disputes"): evidence → voting → closed, by deadline. */

export type DisputePhase = 'evidence' | 'voting' | 'closed';

export interface DisputeTimes {
  readonly openedAtSec: number;
  readonly evidenceEndsAtSec: number;
  readonly votingEndsAtSec: number;
  /** Set once the close has been recorded. */
  readonly closedAtSec: number | null;
}

/**
 * The phase at `nowSec`. Parties add evidence only in the evidence phase; arbiters vote (and change
 * their vote) only in the voting phase, so every vote is cast on the complete record. Deadlines are
 * exclusive: a vote at `votingEndsAtSec` is late.
 */
export function phaseAt(t: DisputeTimes, nowSec: number): DisputePhase {
  if (t.closedAtSec !== null || nowSec >= t.votingEndsAtSec) return 'closed';
  if (nowSec < t.evidenceEndsAtSec) return 'evidence';
  return 'voting';
}

/** Seconds until the current phase ends (0 when closed). */
export function secondsLeft(t: DisputeTimes, nowSec: number): number {
  const phase = phaseAt(t, nowSec);
  if (phase === 'closed') return 0;
  return (phase === 'evidence' ? t.evidenceEndsAtSec : t.votingEndsAtSec) - nowSec;
}
