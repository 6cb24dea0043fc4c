/**
 * Issue 13 §12, the party's side: a terms file may carry the milestone's scope as the oracle's
 * terms state it, and the CLI prints it (numbered from 1) before an offer or an acceptance.
 */
import { describe, expect, it } from 'vitest';
import { describeMilestone, milestoneTermsSchema } from '../../src/party/milestone-terms.ts';

const base = {
  eventId: 'verdict/0123456789abcdef/0/0011223344556677',
  oraclePublicKey: 'ab'.repeat(32),
  outcome: 'share',
  amountSat: '150000',
  offererRole: 'client',
  feeRatePerVb: '2',
};

describe('the milestone scope in a party terms file', () => {
  it('is printed as a person reads it, criteria numbered from 1', () => {
    const t = milestoneTermsSchema.parse({
      ...base,
      title: 'Storefront',
      description: 'Catalogue, cart and checkout.',
      acceptanceCriteria: ['checkout works at 390 px', 'the tests pass'],
    });
    expect(describeMilestone(t)).toEqual([
      'milestone: Storefront',
      'deliverable: Catalogue, cart and checkout.',
      'acceptance criteria:',
      '  1. checkout works at 390 px',
      '  2. the tests pass',
    ]);
  });

  it('is optional: a terms file without it reads as before and prints nothing', () => {
    expect(describeMilestone(milestoneTermsSchema.parse(base))).toEqual([]);
  });

  it('is bounded like the oracle terms', () => {
    expect(milestoneTermsSchema.safeParse({ ...base, acceptanceCriteria: [] }).success).toBe(false);
    expect(milestoneTermsSchema.safeParse({ ...base, description: 'x'.repeat(4001) }).success).toBe(
      false,
    );
  });
});
