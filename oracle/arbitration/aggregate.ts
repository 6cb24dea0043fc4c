/**
 * Aggregation of a closed panel's votes (DESIGN.md "Disputes"): share → median, enum → majority,
 * quorum and tie rules from the terms, the terms' fallback when quorum is missed.
 */
import type { OutcomeKind, RoundRules } from './rules.ts';

const ENUM_OUTCOMES = ['accepted', 'rejected'] as const;

export interface Tally {
  readonly kind: OutcomeKind;
  readonly votes: number;
  readonly quorum: number;
  /** enum: votes per outcome; share: the sorted votes. */
  readonly counts: Readonly<Record<string, number>>;
  readonly sorted: readonly number[];
  readonly outcome: string;
  /** How `outcome` was reached. */
  readonly rule: 'median' | 'majority' | 'tie_rule' | 'tie_fallback' | 'no_quorum_fallback';
}

export type AggregationTerms = Pick<RoundRules, 'quorum' | 'fallbackOutcome'> & {
  readonly shareEvenRule: 'lower' | 'mean_floor';
  readonly enumTieRule: 'fallback' | 'accepted' | 'rejected';
};

/**
 * Aggregates the outcome strings of the votes cast (one per arbiter, already validated against the
 * kind). Fewer votes than `quorum` → the fallback, whatever the votes say.
 */
export function aggregateVotes(
  kind: OutcomeKind,
  outcomes: readonly string[],
  terms: AggregationTerms,
): Tally {
  const base = { kind, votes: outcomes.length, quorum: terms.quorum };
  if (kind === 'share') {
    const sorted = outcomes.map(Number).sort((a, b) => a - b);
    if (sorted.length < terms.quorum) {
      return {
        ...base,
        counts: {},
        sorted,
        outcome: terms.fallbackOutcome,
        rule: 'no_quorum_fallback',
      };
    }
    return {
      ...base,
      counts: {},
      sorted,
      outcome: String(median(sorted, terms.shareEvenRule)),
      rule: 'median',
    };
  }
  const counts: Record<string, number> = Object.fromEntries(ENUM_OUTCOMES.map((o) => [o, 0]));
  for (const o of outcomes) counts[o] = (counts[o] ?? 0) + 1;
  if (outcomes.length < terms.quorum) {
    return {
      ...base,
      counts,
      sorted: [],
      outcome: terms.fallbackOutcome,
      rule: 'no_quorum_fallback',
    };
  }
  const ranked = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  const [first, second] = ranked;
  if (first && (!second || first[1] > second[1])) {
    return { ...base, counts, sorted: [], outcome: first[0], rule: 'majority' };
  }
  if (terms.enumTieRule === 'fallback') {
    return { ...base, counts, sorted: [], outcome: terms.fallbackOutcome, rule: 'tie_fallback' };
  }
  return { ...base, counts, sorted: [], outcome: terms.enumTieRule, rule: 'tie_rule' };
}

/**
 * Median of a non-empty ascending list of whole percentages. Odd count: the middle vote. Even count:
 * `lower` → the lower middle vote; `mean_floor` → floor of the mean of the two middle votes. Both keep
 * the result a whole percentage that lies between the two middle votes.
 */
export function median(sortedAsc: readonly number[], evenRule: 'lower' | 'mean_floor'): number {
  const n = sortedAsc.length;
  if (n === 0) throw new RangeError('median of no votes');
  const lo = sortedAsc[Math.floor((n - 1) / 2)];
  const hi = sortedAsc[Math.floor(n / 2)];
  if (lo === undefined || hi === undefined) throw new RangeError('median index out of range');
  if (n % 2 === 1 || evenRule === 'lower') return lo;
  return Math.floor((lo + hi) / 2);
}
