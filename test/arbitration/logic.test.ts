/** Arbitration's pure rules: aggregation, panel draw, phases, round rules, secrets. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregateVotes, median } from '../../oracle/arbitration/aggregate.ts';
import { choosePanel, isConflicted, type PoolArbiter } from '../../oracle/arbitration/panel.ts';
import { hashPassword, verifyPassword } from '../../oracle/arbitration/passwords.ts';
import { phaseAt, secondsLeft } from '../../oracle/arbitration/phases.ts';
import { FailureLimiter } from '../../oracle/arbitration/rate-limit.ts';
import { isValidOutcome, roundRules } from '../../oracle/arbitration/rules.ts';
import {
  csrfTokenFor,
  newSecretToken,
  safeEqual,
  tokenDigest,
} from '../../oracle/arbitration/tokens.ts';

const rules = {
  quorum: 2,
  fallbackOutcome: '50',
  shareEvenRule: 'lower',
  enumTieRule: 'fallback',
} as const;

describe('aggregateVotes', () => {
  it.each([
    { votes: ['40', '60', '70'], outcome: '60', rule: 'median' },
    { votes: ['70', '40'], outcome: '40', rule: 'median' },
    { votes: ['10', '40', '20', '30'], outcome: '20', rule: 'median' },
    { votes: ['100', '0', '100'], outcome: '100', rule: 'median' },
    { votes: ['90'], outcome: '50', rule: 'no_quorum_fallback' },
    { votes: [], outcome: '50', rule: 'no_quorum_fallback' },
  ])('share $votes → $outcome ($rule)', ({ votes, outcome, rule }) => {
    expect(aggregateVotes('share', votes, rules)).toMatchObject({ outcome, rule });
  });

  it('share, even count, mean_floor: floor of the two middle votes', () => {
    expect(
      aggregateVotes('share', ['10', '41', '20', '30'], { ...rules, shareEvenRule: 'mean_floor' })
        .outcome,
    ).toBe('25');
  });

  it.each([
    {
      votes: ['accepted', 'accepted', 'rejected'],
      tie: 'fallback',
      outcome: 'accepted',
      rule: 'majority',
    },
    { votes: ['rejected', 'rejected'], tie: 'fallback', outcome: 'rejected', rule: 'majority' },
    { votes: ['accepted', 'rejected'], tie: 'fallback', outcome: 'accepted', rule: 'tie_fallback' },
    { votes: ['accepted', 'rejected'], tie: 'rejected', outcome: 'rejected', rule: 'tie_rule' },
    { votes: ['accepted'], tie: 'fallback', outcome: 'accepted', rule: 'no_quorum_fallback' },
  ] as const)('enum $votes, tie rule $tie → $outcome ($rule)', ({ votes, tie, outcome, rule }) => {
    expect(
      aggregateVotes('enum', votes, { ...rules, fallbackOutcome: 'accepted', enumTieRule: tie }),
    ).toMatchObject({ outcome, rule });
  });

  it('median law: the result is one of the votes, at most half the votes are below it and at most half above', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 15 }),
        (votes) => {
          const sorted = [...votes].sort((a, b) => a - b);
          const m = median(sorted, 'lower');
          expect(votes).toContain(m);
          expect(votes.filter((v) => v < m).length).toBeLessThanOrEqual(
            Math.floor(votes.length / 2),
          );
          expect(votes.filter((v) => v > m).length).toBeLessThanOrEqual(
            Math.floor(votes.length / 2),
          );
          // The result does not depend on the order the votes arrived in.
          expect(aggregateVotes('share', votes.map(String), { ...rules, quorum: 1 }).outcome).toBe(
            String(m),
          );
        },
      ),
    );
  });

  it('median of no votes is a RangeError', () => {
    expect(() => median([], 'lower')).toThrow(RangeError);
  });
});

describe('choosePanel', () => {
  const arb = (id: string, extra: Partial<PoolArbiter> = {}): PoolArbiter => ({
    id,
    username: id,
    displayName: id.toUpperCase(),
    status: 'active',
    linkedIdentities: [],
    ...extra,
  });
  const parties = [
    { role: 'client', identifiers: ['alice', 'Alice Ltd'] },
    { role: 'freelancer', identifiers: ['bob', 'Bob'] },
  ] as const;

  it('detects parties by id, name or linked identity, case- and space-insensitively', () => {
    expect(isConflicted(arb('alice'), parties)).toBe(true);
    expect(isConflicted(arb('x', { displayName: ' alice ltd' }), parties)).toBe(true);
    expect(isConflicted(arb('y', { linkedIdentities: ['BOB'] }), parties)).toBe(true);
    expect(isConflicted(arb('z', { linkedIdentities: ['bobby'] }), parties)).toBe(false);
  });

  it('property: a draw never seats a party, a linked, disabled, invited or excluded arbiter, and never twice', () => {
    const poolArb = fc.record({
      id: fc.constantFrom('alice', 'bob', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8'),
      status: fc.constantFrom('active', 'active', 'active', 'invited', 'disabled'),
      linked: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(poolArb, { selector: (a) => a.id, maxLength: 10 }),
        fc.integer({ min: 1, max: 7 }),
        fc.subarray(['a1', 'a2', 'a3']),
        (raw, size, excluded) => {
          const pool = raw.map((r) =>
            arb(r.id, { status: r.status, linkedIdentities: r.linked ? ['Bob'] : [] }),
          );
          const result = choosePanel({ pool, parties, size, exclude: new Set(excluded) });
          const eligible = pool.filter(
            (a) => a.status === 'active' && !isConflicted(a, parties) && !excluded.includes(a.id),
          );
          expect(new Set(result.arbiterIds).size).toBe(result.arbiterIds.length);
          expect(result.arbiterIds.length).toBe(Math.min(size, eligible.length));
          expect(result.unfilled.length).toBe(size - result.arbiterIds.length);
          for (const id of result.arbiterIds) expect(eligible.map((a) => a.id)).toContain(id);
        },
      ),
    );
  });

  it('the draw is a partial Fisher–Yates: each seat takes the slot the random index names', () => {
    const pool = ['a1', 'a2', 'a3', 'a4'].map((id) => arb(id));
    expect(choosePanel({ pool, parties, size: 2, randomIndex: () => 0 }).arbiterIds).toEqual([
      'a1',
      'a2',
    ]);
    // [a1 a2 a3 a4] → swap 0↔3 → [a4 a2 a3 a1] → swap 1↔3 → [a4 a1 a3 a2].
    expect(choosePanel({ pool, parties, size: 2, randomIndex: (n) => n - 1 }).arbiterIds).toEqual([
      'a4',
      'a1',
    ]);
    // Every arbiter can take the first seat.
    for (const k of [0, 1, 2, 3]) {
      expect(choosePanel({ pool, parties, size: 1, randomIndex: () => k }).arbiterIds).toEqual([
        `a${k + 1}`,
      ]);
    }
  });

  it('a fixed panel keeps its eligible members and reports the others', () => {
    const pool = [
      arb('a1'),
      arb('a2', { status: 'disabled' }),
      arb('a3', { linkedIdentities: ['alice'] }),
    ];
    const r = choosePanel({ pool, parties, fixed: ['a1', 'a2', 'a3', 'ghost'], size: 4 });
    expect(r.arbiterIds).toEqual(['a1']);
    expect(r.unfilled.map((u) => u.arbiterId)).toEqual(['a2', 'a3', 'ghost']);
  });
});

describe('phases and round rules', () => {
  const t = { openedAtSec: 100, evidenceEndsAtSec: 200, votingEndsAtSec: 300, closedAtSec: null };
  it.each([
    [100, 'evidence', 100],
    [199, 'evidence', 1],
    [200, 'voting', 100],
    [299, 'voting', 1],
    [300, 'closed', 0],
  ] as const)('at %i: %s, %i s left', (now, phase, left) => {
    expect(phaseAt(t, now)).toBe(phase);
    expect(secondsLeft(t, now)).toBe(left);
  });
  it('a recorded close is final', () => {
    expect(phaseAt({ ...t, closedAtSec: 250 }, 150)).toBe('closed');
  });
  it('the appeal panel has 2n+1 seats and a strict-majority quorum', () => {
    const d = {
      panel: { poolSize: 3 },
      quorum: 2,
      evidenceWindowSec: 10,
      votingWindowSec: 60,
      fallbackOutcome: '50',
      appealAllowed: true,
    };
    expect(roundRules(d, 1)).toMatchObject({ seats: 3, quorum: 2, fixed: undefined });
    expect(roundRules(d, 2)).toMatchObject({ seats: 7, quorum: 4, fixed: undefined });
    expect(roundRules({ ...d, panel: { arbiters: ['x', 'y'] } }, 1)).toMatchObject({
      seats: 2,
      fixed: ['x', 'y'],
    });
  });
  it.each([
    ['share', '0', true],
    ['share', '100', true],
    ['share', '101', false],
    ['share', '07', false],
    ['share', '-1', false],
    ['enum', 'accepted', true],
    ['enum', 'Accepted', false],
  ] as const)('%s outcome %s valid: %s', (kind, o, ok) => {
    expect(isValidOutcome(kind, o)).toBe(ok);
  });
});

describe('secrets', () => {
  it('scrypt: the right password verifies, a wrong one or a malformed hash does not, salts differ', async () => {
    const h1 = await hashPassword('correct horse battery');
    const h2 = await hashPassword('correct horse battery');
    expect(h1).not.toBe(h2);
    expect(h1).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword('correct horse battery', h1)).toBe(true);
    expect(await verifyPassword('correct horse batterx', h1)).toBe(false);
    expect(await verifyPassword('correct horse battery', 'scrypt$1$2$3$x$')).toBe(false);
    expect(await verifyPassword('correct horse battery', 'plain')).toBe(false);
  });
  it('invite tokens: 256 random bits, stored as SHA-256', () => {
    const a = newSecretToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newSecretToken()).not.toBe(a);
    expect(tokenDigest(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenDigest(a)).not.toContain(a);
  });
  it('CSRF tokens are bound to the session and the key', () => {
    expect(csrfTokenFor('k', 's1')).toBe(csrfTokenFor('k', 's1'));
    expect(csrfTokenFor('k', 's1')).not.toBe(csrfTokenFor('k', 's2'));
    expect(csrfTokenFor('k', 's1')).not.toBe(csrfTokenFor('k2', 's1'));
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
  it('the failure limiter blocks after the limit until the window ends', () => {
    const l = new FailureLimiter({ maxFailures: 3, windowSec: 60 });
    for (let i = 0; i < 3; i++) {
      expect(l.retryAfterSec('k', 1000)).toBe(0);
      l.recordFailure('k', 1000);
    }
    expect(l.retryAfterSec('k', 1010)).toBe(50);
    expect(l.retryAfterSec('other', 1010)).toBe(0);
    expect(l.retryAfterSec('k', 1060)).toBe(0);
    l.recordFailure('k', 1060);
    expect(l.retryAfterSec('k', 1061)).toBe(0);
    l.reset('k');
    expect(l.retryAfterSec('k', 1061)).toBe(0);
  });
});
