import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Db } from './db/open.ts';
import type { MilestoneRow, Stores } from './db/stores.ts';
import type { AttestationEngine } from './domain/attestation-engine.ts';
import type { TokenIssuer } from './http/tokens.ts';
import type { Metrics } from './metrics.ts';
import type { JsonValue } from './domain/canonical-json.ts';
import type { Outcome } from './domain/outcomes.ts';
import type { Tower } from './tower/tower.ts';

/** What decides a dispute whose voting window has closed (the seam for the arbitration issue). */
export type DisputeResolver = (
  ctx: AppContext,
  milestone: MilestoneRow,
) => { outcome: Outcome; reason: string; details?: { readonly [k: string]: JsonValue } } | null;

/** How full the panel of a dispute's current round is. */
export interface DisputePanelInfo {
  readonly round: number;
  readonly seats: number;
  readonly seated: number;
  readonly quorum: number;
}

/**
 * The one injected context (atproto PDS style): everything a route, a domain function or the
 * scheduler needs, built once by `createContext` and passed down explicitly.
 */
export interface AppContext {
  readonly config: Config;
  readonly db: Db;
  readonly stores: Stores;
  readonly logger: Logger;
  readonly engine: AttestationEngine;
  readonly tokens: TokenIssuer;
  readonly metrics: Metrics;
  /** The clock, in epoch seconds. Injected so tests and the scheduler's catch-up can move it. */
  readonly now: () => number;
  /**
   * Called by the scheduler when a dispute's voting window has closed and the milestone is still
   * disputed. The default applies the terms' fallback outcome; the arbitration module replaces it
   * with its vote aggregation (returning `null` defers to a later tick).
   */
  disputeResolver: DisputeResolver;
  /**
   * Issue 6: called by `openDispute` inside its transaction, right after the milestone became
   * `disputed`; the arbitration module seats the panel here. Absent: nothing is seated.
   */
  disputeOpened?: (ctx: AppContext, milestone: MilestoneRow, actor: string) => void;
  /**
   * Issue 13 §9/§10: called by every scheduler tick after the deadlines; the arbitration module
   * fills short panels and decides rounds that closed early. Returns the decisions it made.
   */
  onSchedulerTick?: (ctx: AppContext) => number;
  /**
   * Issue 13 §9: the seats of a disputed milestone's current round, for the parties' milestone
   * views (a short panel is announced to them). Absent or null: nothing to say.
   */
  disputePanelOf?: (milestone: MilestoneRow) => DisputePanelInfo | null;
  /** Issue 16: the watchtower (oracle/tower); the scheduler runs its pass on every tick. */
  readonly tower?: Tower;
}
