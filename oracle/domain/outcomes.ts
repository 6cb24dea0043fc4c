import type { EventDescriptor } from 'verdict/dlc';

/**
 * DESIGN.md "Events and outcomes". A milestone's outcome is either `enum` (`accepted`/`rejected`,
 * one nonce) or `share` (the percentage owed to the freelancer, 0..100, base-2 digits).
 */
export type OutcomeKind = 'enum' | 'share';

/** An outcome in its canonical string form: `accepted`/`rejected`, or a decimal `0`..`100`. */
export type Outcome = string;

export const ENUM_OUTCOMES = ['accepted', 'rejected'] as const;

export const SHARE_DESCRIPTOR = {
  kind: 'digits',
  base: 2,
  isSigned: false,
  unit: 'percent',
  precision: 0,
  nbDigits: 7,
} as const satisfies EventDescriptor;

export function descriptorFor(kind: OutcomeKind): EventDescriptor {
  return kind === 'enum' ? { kind: 'enum', outcomes: [...ENUM_OUTCOMES] } : SHARE_DESCRIPTOR;
}

/**
 * Normalizes what a client may send as an outcome: for `enum` the two strings; for `share` an
 * integer 0..100, or `accepted` (= 100) / `rejected` (= 0). Returns `undefined` when invalid.
 */
export function normalizeOutcome(kind: OutcomeKind, raw: unknown): Outcome | undefined {
  if (kind === 'enum') {
    return raw === 'accepted' || raw === 'rejected' ? raw : undefined;
  }
  if (raw === 'accepted') return '100';
  if (raw === 'rejected') return '0';
  const n =
    typeof raw === 'number'
      ? raw
      : typeof raw === 'string' && /^\d{1,3}$/.test(raw)
        ? Number(raw)
        : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 100 ? String(n) : undefined;
}

/** The outcome as the attestation engine signs it: a string for enum, a bigint for digits. */
export function outcomeForSigning(kind: OutcomeKind, outcome: Outcome): string | bigint {
  return kind === 'enum' ? outcome : BigInt(outcome);
}

/** The outcome in API JSON: enum strings stay strings, shares are integers. */
export function outcomeToJson(kind: OutcomeKind, outcome: Outcome): string | number {
  return kind === 'enum' ? outcome : Number(outcome);
}

/** The client's acceptance: `accepted`, or 100 % for a share event. */
export function acceptedOutcome(kind: OutcomeKind): Outcome {
  return kind === 'enum' ? 'accepted' : '100';
}
