/**
 * Issue 15: the oracle's routes for the parties' app — the preview of a create (what it would
 * hash, written nowhere), each party's answer to the terms (final, in the audit log, in the
 * contract view), and the script-free invitation page.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  contractRequest,
  createContract,
  expectError,
  expectOk,
  startTestServer,
  type AuditLogView,
  type ContractView,
  type TestServer,
} from './helpers.ts';

type WithAgreement = ContractView & {
  agreement: { client: string; freelancer: string };
};

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.dispose();
});

describe('POST /v1/contracts/preview', () => {
  it('answers what a create hashes, with an empty contract id, and writes nothing', async () => {
    const body = contractRequest(s.clock.t, [{}, { outcome: 'share' }]);
    const before = s.ctx.stores.counts();
    const p = expectOk(
      await call<{ canonicalJson: string; terms: Record<string, unknown>; termsHash: null }>(
        s.url,
        'POST',
        '/v1/contracts/preview',
        { body },
      ),
    );
    expect(p.termsHash).toBeNull();
    expect(JSON.parse(p.canonicalJson)).toEqual(p.terms);
    expect((p.terms as { contractId: string }).contractId).toBe('');
    expect(s.ctx.stores.counts()).toEqual(before);

    // The created contract's canonical JSON is the preview's with the id filled in.
    const created = expectOk(
      await call<{ contract: ContractView; tokens: { client: string } }>(
        s.url,
        'POST',
        '/v1/contracts',
        { body },
      ),
      201,
    );
    const terms = expectOk(
      await call<{ canonicalJson: string; termsHash: string }>(
        s.url,
        'GET',
        `/v1/contracts/${created.contract.id}/terms`,
        { token: created.tokens.client },
      ),
    );
    expect(terms.canonicalJson).toBe(
      p.canonicalJson.replace('"contractId":""', `"contractId":"${created.contract.id}"`),
    );
    expect(createHash('sha256').update(terms.canonicalJson).digest('hex')).toBe(terms.termsHash);
  });

  it('refuses what a create refuses, with the same codes', async () => {
    const past = contractRequest(s.clock.t - 30 * 86_400);
    expectError(
      await call(s.url, 'POST', '/v1/contracts/preview', { body: past }),
      400,
      'invalid_request',
    );
    const same = { ...contractRequest(s.clock.t), freelancer: { id: 'alice', name: 'A' } };
    expectError(
      await call(s.url, 'POST', '/v1/contracts/preview', { body: same }),
      400,
      'invalid_request',
    );
    expectError(
      await call(s.url, 'POST', '/v1/contracts/preview', { body: { title: 'x' } }),
      400,
      'invalid_request',
    );
  });

  it('is the operator’s alone when creation is restricted', async () => {
    const r = await startTestServer({ env: { VERDICT_CONTRACT_CREATION: 'admin' } });
    try {
      const body = contractRequest(r.clock.t);
      expectError(
        await call(r.url, 'POST', '/v1/contracts/preview', { body }),
        401,
        'unauthorized',
      );
      const admin = r.ctx.tokens.issueAdminToken(600);
      expectOk(await call(r.url, 'POST', '/v1/contracts/preview', { body, token: admin }));
    } finally {
      await r.dispose();
    }
  });
});

describe('POST /v1/contracts/:id/agreement', () => {
  it('records each answer, final once given, in the view and the audit log', async () => {
    const c = await createContract(s);
    const id = c.contract.id;
    const url = `/v1/contracts/${id}/agreement`;
    const view = (token: string) =>
      call<WithAgreement>(s.url, 'GET', `/v1/contracts/${id}`, { token });
    expect(expectOk(await view(c.tokens.client)).agreement).toEqual({
      client: 'pending',
      freelancer: 'pending',
    });

    const termsHash = c.contract.termsHash;
    const a = expectOk(
      await call<WithAgreement>(s.url, 'POST', url, {
        token: c.tokens.client,
        body: { decision: 'accept', termsHash },
      }),
    );
    expect(a.agreement).toEqual({ client: 'accepted', freelancer: 'pending' });
    expect(a.yourRole).toBe('client');

    // Another hash than the contract's: the terms changed under the reader.
    expectError(
      await call(s.url, 'POST', url, {
        token: c.tokens.freelancer,
        body: { decision: 'accept', termsHash: 'ab'.repeat(32) },
      }),
      409,
      'terms_changed',
    );
    const f = expectOk(
      await call<WithAgreement>(s.url, 'POST', url, {
        token: c.tokens.freelancer,
        body: { decision: 'accept', termsHash },
      }),
    );
    expect(f.agreement).toEqual({ client: 'accepted', freelancer: 'accepted' });

    // The same answer again is idempotent; a different one is refused.
    expectOk(
      await call(s.url, 'POST', url, {
        token: c.tokens.freelancer,
        body: { decision: 'accept', termsHash },
      }),
    );
    expectError(
      await call(s.url, 'POST', url, {
        token: c.tokens.freelancer,
        body: { decision: 'decline', termsHash },
      }),
      409,
      'agreement_final',
    );
    expect(expectOk(await view(c.tokens.freelancer)).agreement).toEqual({
      client: 'accepted',
      freelancer: 'accepted',
    });

    const log = expectOk(
      await call<AuditLogView>(s.url, 'GET', `/v1/contracts/${id}/log`, {
        token: c.tokens.client,
      }),
    );
    const answers = log.entries.filter((e) => e.action.startsWith('terms_'));
    expect(answers.map((e) => [e.action, e.actor, e.details['termsHash']])).toEqual([
      ['terms_accepted', 'client:alice', termsHash],
      ['terms_accepted', 'freelancer:bob', termsHash],
    ]);
  });

  it('a decline is recorded and final; other contracts and the operator are refused', async () => {
    const c = await createContract(s);
    const other = await createContract(s);
    const url = `/v1/contracts/${c.contract.id}/agreement`;
    const body = { decision: 'decline', termsHash: c.contract.termsHash };
    const d = expectOk(
      await call<WithAgreement>(s.url, 'POST', url, { token: c.tokens.freelancer, body }),
    );
    expect(d.agreement).toEqual({ client: 'pending', freelancer: 'declined' });
    expectError(
      await call(s.url, 'POST', url, {
        token: c.tokens.freelancer,
        body: { ...body, decision: 'accept' },
      }),
      409,
      'agreement_final',
    );
    expectError(
      await call(s.url, 'POST', url, { token: other.tokens.freelancer, body }),
      403,
      'not_a_party',
    );
    expectError(
      await call(s.url, 'POST', url, { token: s.ctx.tokens.issueAdminToken(600), body }),
      403,
      'forbidden',
    );
    expectError(await call(s.url, 'POST', url, { body }), 401, 'unauthorized');
    expectError(
      await call(s.url, 'POST', url, {
        token: c.tokens.client,
        body: { decision: 'maybe', termsHash: c.contract.termsHash },
      }),
      400,
      'invalid_request',
    );
  });
});

describe('GET /invite', () => {
  it('is a static page with no script, under a CSP that allows nothing', async () => {
    const r = await call<string>(s.url, 'GET', '/invite');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    expect(r.body).not.toMatch(/<script|\son\w+=|<link|<img|<style/i);
    expect(r.body).toContain('Open an invitation');
    expect(r.body).toContain('npx verdict app');
    expect(r.body).toContain('never reached this server');
  });
});
