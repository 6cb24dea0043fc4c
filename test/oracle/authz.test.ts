/**
 * The authorization matrix: every route of the role × route table, called by every kind of caller
 * (none, the contract's client, its freelancer, a party of another contract, the operator). A
 * caller outside the route's `allow` must get 401/403; nobody unauthorized ever succeeds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type Allow, type RouteName } from '../../oracle/http/access.ts';
import {
  call,
  contractRequest,
  createContract,
  expectError,
  expectOk,
  startTestServer,
  type CreatedContract,
  type TestServer,
} from './helpers.ts';

type Caller = 'none' | 'client' | 'freelancer' | 'otherParty' | 'admin';
const CALLERS: readonly Caller[] = ['none', 'client', 'freelancer', 'otherParty', 'admin'];

function allowed(allow: Allow, caller: Caller, creation: 'open' | 'admin'): boolean {
  const a = allow === 'creator' ? (creation === 'open' ? 'public' : ['admin']) : allow;
  if (a === 'public') return true;
  if (caller === 'none' || caller === 'otherParty') return false;
  return (a as readonly string[]).includes(caller);
}

/** A concrete request for each route, against contract `c`. */
function requestFor(
  name: RouteName,
  c: CreatedContract,
  now: number,
): { path: string; body?: unknown } {
  const eventId = c.contract.milestones[0]!.eventId;
  const rule = ROUTES[name];
  const path = rule.path
    .replace(':id', c.contract.id)
    .replace(':index', '0')
    .replace(':kind', 'offer')
    .replace('*eventPath', encodeURIComponent(eventId))
    .replace(/:[A-Za-z]+/g, 'x');
  const bodies: Partial<Record<RouteName, unknown>> = {
    createContract: contractRequest(now),
    previewContract: contractRequest(now),
    agreement: { decision: 'accept', termsHash: c.contract.termsHash },
    deliver: { commitSha: 'd'.repeat(40) },
    propose: { outcome: 50 },
    acceptProposal: { outcome: 50 },
    dispute: { reason: 'matrix' },
    dlcPost: { hex: 'a71a' + '00'.repeat(8) },
  };
  return rule.method === 'POST' ? { path, body: bodies[name] ?? {} } : { path };
}

const AUTH_CODES = new Set([
  'unauthorized',
  'invalid_token',
  'forbidden',
  'not_a_party',
  'contract_creation_restricted',
]);

for (const creation of ['open', 'admin'] as const) {
  describe(`role × route matrix (contract creation ${creation})`, () => {
    let s: TestServer;
    let other: CreatedContract;
    let admin: string;
    beforeAll(async () => {
      s = await startTestServer({ env: { VERDICT_CONTRACT_CREATION: creation } });
      admin = s.ctx.tokens.issueAdminToken(600);
      other = await createContract(s, undefined, creation === 'admin' ? admin : undefined);
    });
    afterAll(async () => {
      await s.dispose();
    });

    it.each(Object.keys(ROUTES) as RouteName[])('%s', async (name) => {
      const c = await createContract(s, undefined, creation === 'admin' ? admin : undefined);
      // The freelancer proposes first, so the client's accept-proposal is a legal move.
      expectOk(
        await call(s.url, 'POST', `/v1/contracts/${c.contract.id}/milestones/0/propose`, {
          token: c.tokens.freelancer,
          body: { outcome: 50 },
        }),
      );
      const tokens: Record<Caller, string | undefined> = {
        none: undefined,
        client: c.tokens.client,
        freelancer: c.tokens.freelancer,
        otherParty: other.tokens.client,
        admin,
      };
      const rule = ROUTES[name];
      // Callers who must be refused go first, so no earlier success changes what they see.
      const order = [...CALLERS].sort(
        (a, b) =>
          Number(allowed(rule.allow, a, creation)) - Number(allowed(rule.allow, b, creation)),
      );
      for (const caller of order) {
        const req = requestFor(name, c, s.clock.t);
        const token = tokens[caller];
        const r = await call<{ error?: { code: string } }>(s.url, rule.method, req.path, {
          ...(token === undefined ? {} : { token }),
          ...(req.body === undefined ? {} : { body: req.body }),
        });
        const what = `${rule.method} ${req.path} as ${caller}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`;
        if (allowed(rule.allow, caller, creation)) {
          expect(r.status, what).not.toBe(401);
          expect(AUTH_CODES.has(r.body?.error?.code ?? ''), what).toBe(false);
          expect(r.status, what).toBeLessThan(500);
        } else {
          expect([401, 403], what).toContain(r.status);
          expect(
            AUTH_CODES.has(r.body?.error?.code ?? '') || r.body?.error?.code === 'wrong_role',
            what,
          ).toBe(true);
        }
      }
    });
  });
}

describe('contract creation restricted to the operator', () => {
  it('refuses anonymous and party callers with stable codes', async () => {
    const s = await startTestServer({ env: { VERDICT_CONTRACT_CREATION: 'admin' } });
    try {
      const admin = s.ctx.tokens.issueAdminToken(600);
      const c = await createContract(s, undefined, admin);
      const body = contractRequest(s.clock.t);
      expectError(await call(s.url, 'POST', '/v1/contracts', { body }), 401, 'unauthorized');
      expectError(
        await call(s.url, 'POST', '/v1/contracts', { body, token: c.tokens.client }),
        403,
        'contract_creation_restricted',
      );
    } finally {
      await s.dispose();
    }
  });
});
