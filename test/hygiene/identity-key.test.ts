/**
 * Issue 19 §12d: arbiter conflict checks compare identities by NFKC + case folding. Each pair
 * below names the same party in a form NFC + lowercase kept apart.
 */
import { describe, expect, it } from 'vitest';
import { isConflicted, type PoolArbiter } from '../../oracle/arbitration/panel.ts';
import { buildTerms, createContractInput } from '../../oracle/domain/terms.ts';

const arbiter = (linked: string): PoolArbiter => ({
  id: 'arb-1',
  username: 'arb-1',
  displayName: 'An Arbiter',
  status: 'active',
  linkedIdentities: [linked],
});

const SAME: readonly (readonly [string, string, string])[] = [
  ['fullwidth letters', 'ＡＬＩＣＥ', 'alice'],
  ['a ligature', 'ﬁona', 'Fiona'],
  ['sharp s', 'Straße Consulting', 'STRASSE consulting'],
  ['a zero-width space', 'ali\u200Bce', 'alice'],
  ['a soft hyphen', 'bob\u00ADby', 'Bobby'],
  ['a circled digit and superscript', 'dev①²', 'dev12'],
  ['fullwidth e-mail', 'ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ', 'Alice@Example.com'],
  ['Greek final sigma', 'ΟΔΥΣΣΕΥΣ', 'οδυσσευς'],
  ['decomposed accents', 'Jose\u0301', 'JOSÉ'],
];

describe('identity comparison (issue 19 §12d)', () => {
  it.each(SAME)('%s: %j is %j', (_what, a, b) => {
    expect(
      isConflicted(arbiter(a), [{ role: 'client', identifiers: [b] }]),
      'linked identity vs party',
    ).toBe(true);
    expect(isConflicted(arbiter(b), [{ role: 'freelancer', identifiers: [a] }])).toBe(true);
  });

  it.each([
    ['alice', 'alicia'],
    ['bob', 'rob'],
    ['dev12', 'dev13'],
  ])('%j and %j stay different', (a, b) => {
    expect(isConflicted(arbiter(a), [{ role: 'client', identifiers: [b] }])).toBe(false);
  });

  it('the terms refuse an arbiter id that is a party id up to case', () => {
    const input = createContractInput.parse({
      client: { id: 'alice', name: 'Alice' },
      freelancer: { id: 'bob', name: 'Bob' },
      milestones: [
        {
          title: 'm',
          amountSat: '1000',
          deliveryDeadline: 1_900_000_000,
          reviewWindowSec: 600,
          dispute: { panel: { arbiters: ['ALICE', 'carol'] } },
        },
      ],
    });
    expect(() => buildTerms(input, '00'.repeat(8), '11'.repeat(32))).toThrow(
      'a party cannot sit on its own panel',
    );
  });
});
