/**
 * The rules of a dispute round, derived from the milestone's dispute terms (DESIGN.md "Disputes";
 * the terms themselves are `oracle/domain/terms.ts`). What the terms leave open is fixed here, once,
 * for every contract:
 *
 * - share, even number of votes → the LOWER of the two middle votes (never more than half the
 *   voting panel asked for);
 * - enum, equal counts → the terms' fallback outcome;
 * - appeal round: 2·n + 1 seats (n = the first panel's seats), drawn from the pool without the
 *   first panel, quorum a strict majority of those seats, the same phase windows. An appeal may be
 *   requested only during what would be the appeal round's evidence phase, so an appeal never
 *   ends after the event's maturity (`eventMaturityEpochSec` counts two full rounds).
 */

export type OutcomeKind = 'enum' | 'share';

/** Structurally the service's `DisputeTerms`. */
export interface DisputeTermsLike {
  readonly panel: { readonly arbiters: readonly string[] } | { readonly poolSize: number };
  readonly quorum: number;
  readonly evidenceWindowSec: number;
  readonly votingWindowSec: number;
  readonly fallbackOutcome: string;
  readonly appealAllowed: boolean;
}

export interface RoundRules {
  readonly round: 1 | 2;
  readonly seats: number;
  /** Arbiters fixed by the terms (first round only); otherwise the panel is drawn. */
  readonly fixed: readonly string[] | undefined;
  readonly quorum: number;
  readonly fallbackOutcome: string;
  readonly evidenceWindowSec: number;
  readonly votingWindowSec: number;
  readonly shareEvenRule: 'lower';
  readonly enumTieRule: 'fallback';
}

export function firstRoundSeats(d: DisputeTermsLike): number {
  return 'arbiters' in d.panel ? d.panel.arbiters.length : d.panel.poolSize;
}

export function roundRules(d: DisputeTermsLike, round: 1 | 2): RoundRules {
  const common = {
    fallbackOutcome: d.fallbackOutcome,
    evidenceWindowSec: d.evidenceWindowSec,
    votingWindowSec: d.votingWindowSec,
    shareEvenRule: 'lower',
    enumTieRule: 'fallback',
  } as const;
  if (round === 1) {
    return {
      ...common,
      round,
      seats: firstRoundSeats(d),
      fixed: 'arbiters' in d.panel ? d.panel.arbiters : undefined,
      quorum: d.quorum,
    };
  }
  const seats = 2 * firstRoundSeats(d) + 1;
  return { ...common, round, seats, fixed: undefined, quorum: Math.floor(seats / 2) + 1 };
}

/** Canonical outcome strings: share → "0".."100" without leading zeros, enum → accepted/rejected. */
export function isValidOutcome(kind: OutcomeKind, outcome: string): boolean {
  if (kind === 'enum') return outcome === 'accepted' || outcome === 'rejected';
  return /^(0|[1-9][0-9]?|100)$/.test(outcome);
}
