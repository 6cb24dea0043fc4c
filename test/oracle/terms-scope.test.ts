/**
 * Issue 13 §12: a milestone's terms may carry its scope (a description of the deliverable and its
 * acceptance criteria). The scope is part of the terms hash, hence of the event id; terms without
 * it keep the exact hash they had before the scope existed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTerms,
  canonicalTerms,
  createContractInput,
  SCOPE_LIMITS,
  termsFromJson,
} from '../../oracle/domain/terms.ts';
import {
  call,
  contractRequest,
  expectError,
  expectOk,
  startTestServer,
  type ContractView,
  type CreatedContract,
  type TestServer,
} from './helpers.ts';

const ORACLE_KEY = 'ab'.repeat(32);
const CONTRACT_ID = '0123456789abcdef';

/** Terms as a contract made before issue 13 §12 wrote them. */
const legacyInput = {
  title: 'Shop',
  client: { id: 'alice', name: 'Alice' },
  freelancer: { id: 'bob', name: 'Bob' },
  milestones: [
    {
      title: 'Design',
      amountSat: '150000',
      deliveryDeadline: 1_900_000_000,
      reviewWindowSec: 600,
    },
    {
      title: 'Build',
      amountSat: '250000',
      outcome: 'enum',
      deliveryDeadline: 1_900_100_000,
      reviewWindowSec: 3600,
      dispute: {
        panel: { arbiters: ['ann'] },
        quorum: 1,
        evidenceWindowSec: 60,
        votingWindowSec: 120,
        appealAllowed: true,
      },
    },
  ],
};
/** Computed with the terms code of commit db718c2, before the scope fields existed. */
const LEGACY_HASH = '183ae7d3d5b47b42adb4c308a54e7c74af9f523d730442e99ab030836ef815dc';

const hashOf = (input: unknown) =>
  canonicalTerms(buildTerms(createContractInput.parse(input), CONTRACT_ID, ORACLE_KEY));

const scoped = (scope: Record<string, unknown>) => ({
  ...legacyInput,
  milestones: [{ ...legacyInput.milestones[0], ...scope }, legacyInput.milestones[1]],
});

describe('milestone scope in the terms', () => {
  it('terms without a scope keep their exact pre-scope terms hash', () => {
    const { hash, json } = hashOf(legacyInput);
    expect(hash).toBe(LEGACY_HASH);
    expect(json).not.toContain('description');
    expect(json).not.toContain('acceptanceCriteria');
  });

  it('the description and each acceptance criterion are part of the hash', () => {
    const withScope = hashOf(
      scoped({
        description: 'Wireframes and a clickable prototype of the shop.',
        acceptanceCriteria: ['covers checkout', 'works at 390 px'],
      }),
    );
    expect(withScope.hash).not.toBe(LEGACY_HASH);
    expect(
      hashOf(scoped({ description: 'Wireframes and a clickable prototype of the shop.' })).hash,
    ).not.toBe(withScope.hash);
    const reordered = hashOf(
      scoped({
        description: 'Wireframes and a clickable prototype of the shop.',
        acceptanceCriteria: ['works at 390 px', 'covers checkout'],
      }),
    );
    expect(reordered.hash).not.toBe(withScope.hash);
    // Read back from the stored canonical JSON: the same terms, the same hash.
    expect(canonicalTerms(termsFromJson(withScope.json)).hash).toBe(withScope.hash);
    expect(termsFromJson(withScope.json).milestones[0]).toMatchObject({
      description: 'Wireframes and a clickable prototype of the shop.',
      acceptanceCriteria: ['covers checkout', 'works at 390 px'],
    });
  });

  it.each([
    ['an empty description', { description: '   ' }, ['milestones', 0, 'description']],
    [
      'a description over the limit',
      { description: 'x'.repeat(SCOPE_LIMITS.descriptionChars + 1) },
      ['milestones', 0, 'description'],
    ],
    ['an empty criteria list', { acceptanceCriteria: [] }, ['milestones', 0, 'acceptanceCriteria']],
    [
      'too many criteria',
      { acceptanceCriteria: Array.from({ length: SCOPE_LIMITS.criteria + 1 }, (_, i) => `c${i}`) },
      ['milestones', 0, 'acceptanceCriteria'],
    ],
    [
      'a criterion over the limit',
      { acceptanceCriteria: ['ok', 'y'.repeat(SCOPE_LIMITS.criterionChars + 1)] },
      ['milestones', 0, 'acceptanceCriteria', 1],
    ],
    [
      'a criterion that is not text',
      { acceptanceCriteria: [3] },
      ['milestones', 0, 'acceptanceCriteria', 0],
    ],
  ])('refuses %s', (_name, scope, path) => {
    const r = createContractInput.safeParse(scoped(scope));
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(path);
  });
});

describe('milestone scope over HTTP', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s.dispose();
  });

  it('is shown to the parties in the milestone view and in the terms', async () => {
    const body = contractRequest(s.clock.t, [
      {
        description: 'A responsive storefront: catalogue, cart, checkout.',
        acceptanceCriteria: ['checkout works on a 390 px phone', 'the test suite passes'],
      },
      {},
    ]);
    const c = expectOk(await call<CreatedContract>(s.url, 'POST', '/v1/contracts', { body }), 201);
    const view = expectOk(
      await call<ContractView>(s.url, 'GET', `/v1/contracts/${c.contract.id}`, {
        token: c.tokens.freelancer,
      }),
    );
    expect(view.milestones[0]).toMatchObject({
      description: 'A responsive storefront: catalogue, cart, checkout.',
      acceptanceCriteria: ['checkout works on a 390 px phone', 'the test suite passes'],
    });
    expect(view.milestones[1]).not.toHaveProperty('description');
    expect(view.milestones[1]).not.toHaveProperty('acceptanceCriteria');
    const terms = expectOk(
      await call<{ termsHash: string; canonicalJson: string; terms: { milestones: unknown[] } }>(
        s.url,
        'GET',
        `/v1/contracts/${c.contract.id}/terms`,
        { token: c.tokens.client },
      ),
    );
    expect(terms.terms.milestones[0]).toMatchObject({
      acceptanceCriteria: ['checkout works on a 390 px phone', 'the test suite passes'],
    });
    expect(terms.canonicalJson).toContain('"description":"A responsive storefront');
    expect(c.contract.milestones[0]!.eventId.endsWith(terms.termsHash.slice(0, 16))).toBe(true);

    const tooLong = contractRequest(s.clock.t, [
      { description: 'x'.repeat(SCOPE_LIMITS.descriptionChars + 1) },
    ]);
    expectError(
      await call(s.url, 'POST', '/v1/contracts', { body: tooLong }),
      400,
      'invalid_request',
    );
  });
});
