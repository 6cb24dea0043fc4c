/**
 * Issue 19 §11: the public gets announcements, attestations and the audit log's hash chain; the
 * terms, the log's content (delivery notes, dispute reasons, panel ids, vote timing) and the
 * milestone states are for the contract's parties and the operator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain, verifyAuditLinks } from '../../oracle/domain/audit-log.ts';
import { ROUTES } from '../../oracle/http/access.ts';
import {
  call,
  contractRequest,
  expectError,
  expectOk,
  milestoneUrl,
  startTestServer,
  type AuditLogView,
  type CreatedContract,
  type EventList,
  type EventView,
  type TestServer,
} from '../oracle/helpers.ts';

const SECRETS = {
  client: 'Zebulon Quarterly-Secret',
  freelancer: 'Ottoline Hush-Hush',
  title: 'Project Nightjar rebrand',
  milestone: 'Confidential milestone Aardvark',
  amountSat: '987654321',
  note: 'delivery note: staging password is in the vault',
  reason: 'dispute reason: the Nightjar logo is blue, not green',
};

describe('privacy of terms and audit log (issue 19 §11)', () => {
  let s: TestServer;
  let c: CreatedContract;
  let other: CreatedContract;
  let admin: string;
  const eventIdOf = (cc: CreatedContract, i = 0) => cc.contract.milestones[i]!.eventId;

  beforeAll(async () => {
    s = await startTestServer();
    admin = s.ctx.tokens.issueAdminToken(600);
    const body = contractRequest(s.clock.t, [
      { title: SECRETS.milestone, amountSat: SECRETS.amountSat },
      {},
    ]);
    body['title'] = SECRETS.title;
    body['client'] = { id: 'zeb', name: SECRETS.client };
    body['freelancer'] = { id: 'otto', name: SECRETS.freelancer };
    c = expectOk(await call<CreatedContract>(s.url, 'POST', '/v1/contracts', { body }), 201);
    other = expectOk(
      await call<CreatedContract>(s.url, 'POST', '/v1/contracts', {
        body: contractRequest(s.clock.t),
      }),
      201,
    );
    expectOk(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'deliver'), {
        token: c.tokens.freelancer,
        body: { commitSha: 'ab'.repeat(20), note: SECRETS.note },
      }),
    );
    expectOk(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 0, 'dispute'), {
        token: c.tokens.client,
        body: { reason: SECRETS.reason },
      }),
    );
    // Milestone 1 is attested (deliver, accept), so the attestation routes answer too.
    expectOk(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 1, 'deliver'), {
        token: c.tokens.freelancer,
        body: { commitSha: 'cd'.repeat(20), note: SECRETS.note },
      }),
    );
    expectOk(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, 1, 'accept'), {
        token: c.tokens.client,
      }),
    );
  });
  afterAll(() => s.dispose());

  it('terms and the full log: 401 without a token, 403 for another contract, 200 for the parties and the operator', async () => {
    for (const path of [
      `/v1/contracts/${c.contract.id}/terms`,
      `/v1/contracts/${c.contract.id}/log`,
    ]) {
      expectError(await call(s.url, 'GET', path), 401, 'unauthorized');
      expectError(
        await call(s.url, 'GET', path, { token: other.tokens.client }),
        403,
        'not_a_party',
      );
      for (const token of [c.tokens.client, c.tokens.freelancer, admin]) {
        const r = await call(s.url, 'GET', path, { token });
        expectOk(r);
        expect(r.headers.get('cache-control')).toMatch(/^private/);
        expect(JSON.stringify(r.body)).toContain(
          path.endsWith('terms') ? SECRETS.client : SECRETS.reason,
        );
      }
    }
  });

  it('the public hash chain: seq and hashes only, the same head as the full log, links verify', async () => {
    const chain = expectOk(
      await call<{
        contractId: string;
        headHash: string;
        entries: { seq: number; prevHash: string; hash: string }[];
      }>(s.url, 'GET', `/v1/contracts/${c.contract.id}/log/chain`),
    );
    const full = expectOk(
      await call<AuditLogView>(s.url, 'GET', `/v1/contracts/${c.contract.id}/log`, {
        token: c.tokens.client,
      }),
    );
    expect(verifyAuditChain(full.entries, c.contract.id)).toMatchObject({
      ok: true,
      headHash: full.headHash,
    });
    expect(chain.headHash).toBe(full.headHash);
    expect(chain.entries.map((e) => Object.keys(e).sort())).toEqual(
      full.entries.map(() => ['hash', 'prevHash', 'seq']),
    );
    expect(chain.entries).toEqual(
      full.entries.map(({ seq, prevHash, hash }) => ({ seq, prevHash, hash })),
    );
    expect(verifyAuditLinks(chain.entries)).toMatchObject({ ok: true, headHash: chain.headHash });
    // A rewritten link is caught.
    const broken = chain.entries.map((e, i) => (i === 1 ? { ...e, prevHash: 'f'.repeat(64) } : e));
    expect(verifyAuditLinks(broken)).toMatchObject({ ok: false, seq: 1 });
  });

  it('events: open/attested for the public, the milestone state for its parties and the operator', async () => {
    const path = `/v1/events/${encodeURIComponent(eventIdOf(c))}`;
    for (let i = 0; i < 2; i++) {
      // Twice: the second anonymous read is served by the cache's fast path.
      expect(expectOk(await call<EventView>(s.url, 'GET', path)).status).toBe('open');
    }
    for (const token of [c.tokens.client, c.tokens.freelancer, admin]) {
      const r = await call<EventView>(s.url, 'GET', path, { token });
      expect(expectOk(r).status).toBe('disputed');
      expect(r.headers.get('cache-control')).toMatch(/^private/);
    }
    // Another contract's party is the public here.
    expect(
      expectOk(await call<EventView>(s.url, 'GET', path, { token: other.tokens.client })).status,
    ).toBe('open');
    // And the cache did not keep a party's answer for the public.
    expect(expectOk(await call<EventView>(s.url, 'GET', path)).status).toBe('open');

    const list = expectOk(await call<EventList>(s.url, 'GET', '/v1/events?limit=500'));
    expect(new Set(list.events.map((e) => e.status))).toEqual(new Set(['open', 'attested']));
    for (const status of ['open', 'delivered', 'disputed'])
      expectError(await call(s.url, 'GET', `/v1/events?status=${status}`), 403, 'forbidden');
    expectOk(await call(s.url, 'GET', '/v1/events?status=attested'));
    const adminList = expectOk(
      await call<EventList>(s.url, 'GET', '/v1/events?status=disputed', { token: admin }),
    );
    expect(adminList.events.map((e) => e.eventId)).toEqual([eventIdOf(c)]);
    const attested = expectOk(await call<EventList>(s.url, 'GET', '/v1/events?status=attested'));
    expect(attested.events.map((e) => [e.eventId, e.status])).toEqual([
      [eventIdOf(c, 1), 'attested'],
    ]);
  });

  it('no public route answers with the terms, the names, the notes or the reasons', async () => {
    const ev = encodeURIComponent(eventIdOf(c));
    const ev1 = encodeURIComponent(eventIdOf(c, 1));
    const publicGets = [
      '/healthz',
      '/docs',
      '/docs/init.js',
      '/v1/oracle',
      '/v1/events?limit=500',
      '/v1/events?status=attested',
      `/v1/events/${ev}`,
      `/v1/contracts/${c.contract.id}/log/chain`,
      '/pubkey',
      '/list-events',
      `/announcement/${ev}`,
      `/attestation/${ev1}`,
      `/v1/events/${ev1}`,
      `/v1/events/${ev1}/attestation`,
      '/metrics',
      '/v1/openapi.json',
      '/invite',
    ];
    // Every public GET of the table with a path we can fill is in the list above.
    const publicRoutes = Object.values(ROUTES).filter(
      (r) => r.allow === 'public' && r.method === 'GET',
    );
    for (const r of publicRoutes) {
      const prefix = r.path.split(/[:*]/)[0] ?? '';
      expect(
        publicGets.some((p) => p.startsWith(prefix)),
        r.path,
      ).toBe(true);
    }
    for (const path of publicGets) {
      const r = await call(s.url, 'GET', path);
      expect(r.status, path).toBe(200);
      const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      for (const [what, secret] of Object.entries(SECRETS))
        expect(text.includes(secret), `${path} leaks the ${what}`).toBe(false);
      expect(text.includes('"zeb"') || text.includes('"otto"'), `${path} leaks a party id`).toBe(
        false,
      );
    }
  });
});
