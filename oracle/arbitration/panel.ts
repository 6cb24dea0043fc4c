/**
 * Panel selection (DESIGN.md "Disputes"): the panel fixed in the terms, or a random draw from the
 * operator's pool when the dispute opens. Never a party of the contract, never an arbiter whose
 * account is linked to a party.
 */
import { randomInt } from 'node:crypto';

export interface PoolArbiter {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
  readonly status: 'invited' | 'active' | 'disabled';
  /** Identities (party ids, names, emails, pubkeys) the operator linked to this account. */
  readonly linkedIdentities: readonly string[];
}

/** How the terms name a party: any of these identifies it. */
export interface PartyIdentity {
  readonly role: 'client' | 'freelancer';
  readonly identifiers: readonly string[];
}

const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/**
 * The key two identities are compared by (issue 19 §12d): Unicode's NFKC_Casefold, as closely as
 * JavaScript allows. NFKC folds compatibility forms (fullwidth `ＡＬＩＣＥ`, ligatures `ﬁ`,
 * superscripts), invisible default-ignorable characters (zero-width space and joiners, soft
 * hyphen) are dropped, and upper-then-lower case stands in for full case folding (`ß` → `ss`,
 * final `ς` → `σ`, which `toLowerCase` alone misses); NFKC again after the case change. Where it
 * differs from true case folding it conflates more, never less: for a conflict check a false
 * match costs a seat, a missed one an impartial panel.
 */
export function identityKey(s: string): string {
  return s
    .normalize('NFKC')
    .replace(DEFAULT_IGNORABLE, '')
    .toUpperCase()
    .toLowerCase()
    .normalize('NFKC')
    .trim();
}

/** True when the arbiter is, or is linked to, one of the parties. */
export function isConflicted(arbiter: PoolArbiter, parties: readonly PartyIdentity[]): boolean {
  const partyIds = new Set(
    parties.flatMap((p) => p.identifiers.map(identityKey)).filter((s) => s.length > 0),
  );
  const own = [arbiter.id, arbiter.username, arbiter.displayName, ...arbiter.linkedIdentities];
  return own.some((s) => partyIds.has(identityKey(s)));
}

export interface PanelResult {
  readonly arbiterIds: readonly string[];
  /** Seats left empty and why: a dispute still opens, and a panel that cannot reach quorum ends in the fallback. */
  readonly unfilled: readonly { readonly arbiterId?: string; readonly reason: string }[];
}

/**
 * Chooses a panel. `fixed` (from the terms) keeps every member that is active and not conflicted;
 * otherwise `size` arbiters are drawn uniformly without replacement, with a CSPRNG, from the active,
 * unconflicted pool minus `exclude` (an appeal excludes the first panel). A dispute must open even
 * when the pool is short (the party asking for it would otherwise lose it to the review window), so
 * missing seats are reported, not thrown.
 */
export function choosePanel(input: {
  readonly pool: readonly PoolArbiter[];
  readonly parties: readonly PartyIdentity[];
  readonly fixed?: readonly string[] | undefined;
  readonly size: number;
  readonly exclude?: ReadonlySet<string>;
  readonly randomIndex?: (bound: number) => number;
}): PanelResult {
  const byId = new Map(input.pool.map((a) => [a.id, a]));
  if (input.fixed) {
    const arbiterIds: string[] = [];
    const unfilled: { arbiterId: string; reason: string }[] = [];
    for (const id of input.fixed) {
      const a = byId.get(id);
      if (!a) unfilled.push({ arbiterId: id, reason: 'unknown arbiter' });
      else if (a.status !== 'active')
        unfilled.push({ arbiterId: id, reason: `arbiter is ${a.status}` });
      else if (isConflicted(a, input.parties))
        unfilled.push({ arbiterId: id, reason: 'arbiter is linked to a party' });
      else arbiterIds.push(id);
    }
    return { arbiterIds, unfilled };
  }
  const eligible = input.pool.filter(
    (a) => a.status === 'active' && !input.exclude?.has(a.id) && !isConflicted(a, input.parties),
  );
  const take = Math.min(input.size, eligible.length);
  const pick = input.randomIndex ?? ((bound: number) => randomInt(bound));
  // Partial Fisher–Yates: the first `take` slots are a uniform sample without replacement.
  const slots = [...eligible];
  for (let i = 0; i < take; i++) {
    const j = i + pick(slots.length - i);
    const a = slots[i];
    const b = slots[j];
    if (a === undefined || b === undefined) throw new RangeError('panel draw index out of range');
    slots[i] = b;
    slots[j] = a;
  }
  const unfilled = Array.from({ length: input.size - take }, () => ({
    reason: 'not enough eligible arbiters in the pool',
  }));
  return { arbiterIds: slots.slice(0, take).map((a) => a.id), unfilled };
}
