/**
 * Issue 6 §1 over HTTP: invites, passwords, login limits, cookie sessions, CSRF and Origin checks,
 * disabling, and the CSP on every /arbiter response.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UI_CSP } from '../../oracle/arbitration/routes.ts';
import {
  call,
  createContract,
  DAY,
  expectError,
  expectOk,
  startTestServer,
  type TestServer,
} from '../oracle/helpers.ts';
import {
  acceptInvite,
  activeArbiters,
  adminToken,
  disputedContract,
  invite,
  login,
  panelOf,
  PASSWORD,
  uiCall,
} from './helpers.ts';

let s: TestServer;
beforeEach(async () => {
  s = await startTestServer();
});
afterEach(async () => {
  await s.dispose();
});

describe('arbiter accounts', () => {
  it('only the operator invites; the invite is single-use, expiring and stored hashed', async () => {
    const c = await createContract(s);
    const body = { id: 'ann', displayName: 'Ann' };
    expectError(await call(s.url, 'POST', '/v1/arbiters', { body }), 401, 'unauthorized');
    expectError(
      await call(s.url, 'POST', '/v1/arbiters', { body, token: c.tokens.client }),
      403,
      'wrong_role',
    );
    expectError(
      await call(s.url, 'GET', '/v1/arbiters', { token: c.tokens.freelancer }),
      403,
      'wrong_role',
    );
    const inv = await invite(s, 'ann');
    expect(inv.inviteUrl).toBe(`${s.url}/arbiter/#invite=${inv.token}`);
    expectError(
      await call(s.url, 'POST', '/v1/arbiters', { body, token: adminToken(s) }),
      409,
      'arbiter_exists',
    );
    // The database never holds the token itself.
    const rows = s.ctx.db.prepare('SELECT * FROM arbiter_invites').all();
    expect(JSON.stringify(rows)).not.toContain(inv.token);
    // Too short a password is refused without using the invite.
    expectError(
      await uiCall(s, 'POST', '/invite/accept', { body: { token: inv.token, password: 'short' } }),
      400,
      'invalid_request',
    );
    await acceptInvite(s, inv.token);
    expectError(
      await uiCall(s, 'POST', '/invite/accept', { body: { token: inv.token, password: PASSWORD } }),
      400,
      'invite_invalid',
    );
    const late = await invite(s, 'ben', { ttlSec: 3600 });
    s.clock.advance(3600);
    expectError(
      await uiCall(s, 'POST', '/invite/accept', {
        body: { token: late.token, password: PASSWORD },
      }),
      400,
      'invite_invalid',
    );
    const list = expectOk(
      await call<{ arbiters: { id: string; status: string }[] }>(s.url, 'GET', '/v1/arbiters', {
        token: adminToken(s),
      }),
    );
    expect(list.arbiters.map((a) => [a.id, a.status])).toEqual([
      ['ann', 'active'],
      ['ben', 'invited'],
    ]);
    // A re-invite (lost link) works once more.
    const again = expectOk(
      await call<{ token: string }>(s.url, 'POST', '/v1/arbiters/ben/invite', {
        token: adminToken(s),
        body: {},
      }),
      201,
    );
    // A re-invite voids the links issued before it.
    const third = expectOk(
      await call<{ token: string }>(s.url, 'POST', '/v1/arbiters/ben/invite', {
        token: adminToken(s),
        body: {},
      }),
      201,
    );
    expectError(
      await uiCall(s, 'POST', '/invite/accept', {
        body: { token: again.token, password: PASSWORD },
      }),
      400,
      'invite_invalid',
    );
    await acceptInvite(s, third.token);
    await login(s, 'ben');
  });

  it('login: one error for unknown account and wrong password; limited per account and per address', async () => {
    await activeArbiters(s, ['cat']);
    const attempt = (id: string, password: string) =>
      uiCall(s, 'POST', '/login', { body: { id, password } });
    expectError(await attempt('nobody', PASSWORD), 401, 'invalid_credentials');
    for (let i = 0; i < 4; i++)
      expectError(await attempt('cat', 'wrong password!'), 401, 'invalid_credentials');
    // Five failures in all on this account (with the unknown one on another key): the sixth try is refused
    // before the password is even checked, right password or not.
    expectError(await attempt('cat', 'wrong password!'), 401, 'invalid_credentials');
    const limited = await attempt('cat', PASSWORD);
    expectError(limited, 429, 'rate_limited');
    s.clock.advance(15 * 60);
    expect((await attempt('cat', PASSWORD)).status).toBe(200);
    // Per address: many accounts guessed from one address.
    for (let i = 0; i < 20; i++)
      expectError(await attempt(`guess${i}`, 'x'), 401, 'invalid_credentials');
    expectError(await attempt('cat', PASSWORD), 429, 'rate_limited');
  });

  it('session cookie is httpOnly, SameSite=Strict, scoped to /arbiter; logout ends it', async () => {
    await activeArbiters(s, ['dan']);
    const res = await fetch(`${s.url}/arbiter/api/login`, {
      method: 'POST',
      headers: { origin: s.url, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'dan', password: PASSWORD }),
    });
    const [session, csrf] = res.headers.getSetCookie();
    expect(session).toMatch(
      /^verdict_arbiter_session=[^;]+; Path=\/arbiter; HttpOnly; SameSite=Strict; Max-Age=43200$/,
    );
    expect(csrf).toMatch(
      /^verdict_arbiter_csrf=[^;]+; Path=\/arbiter; SameSite=Strict; Max-Age=43200$/,
    );
    const me = await login(s, 'dan');
    expectOk(await uiCall(s, 'GET', '/me', { session: me }));
    expect((await uiCall(s, 'POST', '/logout', { session: me })).status).toBe(204);
    expectError(await uiCall(s, 'GET', '/me', { session: me }), 401, 'unauthorized');
    // Sessions expire: 12 hours.
    const later = await login(s, 'dan');
    s.clock.advance(12 * 3600);
    expectError(await uiCall(s, 'GET', '/me', { session: later }), 401, 'unauthorized');
  });

  it('behind a TLS proxy (VERDICT_PUBLIC_URL https): the published origin is accepted, cookies are Secure', async () => {
    const proxied = await startTestServer({
      env: { VERDICT_PUBLIC_URL: 'https://verdict.example' },
    });
    try {
      await activeArbiters(proxied, ['tls']);
      const res = await fetch(`${proxied.url}/arbiter/api/login`, {
        method: 'POST',
        headers: { origin: 'https://verdict.example', 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'tls', password: PASSWORD }),
      });
      expect(res.status).toBe(200);
      for (const c of res.headers.getSetCookie()) expect(c).toMatch(/; Secure$/);
      const evil = await fetch(`${proxied.url}/arbiter/api/login`, {
        method: 'POST',
        headers: { origin: 'https://verdict.example.evil', 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'tls', password: PASSWORD }),
      });
      expect(evil.status).toBe(403);
      const inv = expectOk(
        await call<{ inviteUrl: string }>(proxied.url, 'POST', '/v1/arbiters', {
          token: adminToken(proxied),
          body: { id: 'tls2', displayName: 'T' },
        }),
        201,
      );
      expect(inv.inviteUrl).toMatch(/^https:\/\/verdict\.example\/arbiter\/#invite=/);
    } finally {
      await proxied.dispose();
    }
  });

  it('CSRF: cookie-authenticated writes need the session token and this origin', async () => {
    const [eve, fay] = await activeArbiters(s, ['eve', 'fay']);
    const c = await disputedContract(s, {
      dispute: { panel: { arbiters: ['eve', 'fay'] }, quorum: 1 },
    });
    s.clock.advance(DAY);
    const e = await login(s, eve!.id);
    const f = await login(s, fay!.id);
    const q = expectOk(
      await uiCall<{ disputes: { disputeId: number }[] }>(s, 'GET', '/disputes', { session: e }),
    );
    const path = `/disputes/${q.disputes[0]!.disputeId}/vote`;
    const body = { outcome: 50, rationale: 'r' };
    // A forged cross-site POST: the browser sends the cookie, but neither the token nor our Origin.
    expectError(
      await uiCall(s, 'POST', path, {
        session: e,
        body,
        headers: { origin: 'https://evil.example', 'x-csrf-token': '' },
      }),
      403,
      'csrf_rejected',
    );
    expectError(
      await uiCall(s, 'POST', path, { session: e, body, headers: { 'x-csrf-token': 'nope' } }),
      403,
      'csrf_rejected',
    );
    expectError(
      await uiCall(s, 'POST', path, { session: e, body, headers: { 'x-csrf-token': f.csrf } }),
      403,
      'csrf_rejected',
    );
    expectError(
      await uiCall(s, 'POST', path, {
        session: e,
        body,
        headers: { origin: 'https://evil.example' },
      }),
      403,
      'csrf_rejected',
    );
    // No Origin at all (and no Referer): refused too.
    const bare = await fetch(`${s.url}/arbiter/api${path}`, {
      method: 'POST',
      headers: { cookie: e.cookie, 'x-csrf-token': e.csrf, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(bare.status).toBe(403);
    // Login itself is Origin-checked (login CSRF).
    expectError(
      await uiCall(s, 'POST', '/login', {
        body: { id: 'eve', password: PASSWORD },
        headers: { origin: 'https://evil.example' },
      }),
      403,
      'csrf_rejected',
    );
    // A party token is not an arbiter session.
    expectError(
      await call(s.url, 'GET', '/arbiter/api/disputes', { token: c.tokens.client }),
      401,
      'unauthorized',
    );
    expect((await uiCall(s, 'POST', path, { session: e, body })).status).toBe(204);
  });

  it('a disabled arbiter loses its sessions, cannot log in and is never drawn again', async () => {
    const [gus] = await activeArbiters(s, ['gus', 'hal', 'ida', 'jon']);
    expectOk(await call(s.url, 'POST', '/v1/arbiters/gus/disable', { token: adminToken(s) }));
    expectError(await uiCall(s, 'GET', '/me', { session: gus! }), 401, 'unauthorized');
    expectError(
      await uiCall(s, 'POST', '/login', { body: { id: 'gus', password: PASSWORD } }),
      401,
      'invalid_credentials',
    );
    const c = await disputedContract(s, { milestones: 5, dispute: { panel: { poolSize: 3 } } });
    for (let i = 0; i < 5; i++) expect(await panelOf(s, c, i)).not.toContain('gus');
    expectError(
      await call(s.url, 'POST', '/v1/arbiters/nobody/disable', { token: adminToken(s) }),
      404,
      'not_found',
    );
  });

  it('every /arbiter response carries the strict CSP, nosniff and frame denial', async () => {
    const [kim] = await activeArbiters(s, ['kim']);
    const responses = await Promise.all([
      fetch(`${s.url}/arbiter/`),
      fetch(`${s.url}/arbiter`, { redirect: 'manual' }),
      fetch(`${s.url}/arbiter/app.js`),
      fetch(`${s.url}/arbiter/app.css`),
      fetch(`${s.url}/arbiter/api/me`),
      fetch(`${s.url}/arbiter/api/me`, { headers: { cookie: kim!.cookie } }),
      fetch(`${s.url}/arbiter/api/nothing-here`),
      fetch(`${s.url}/arbiter/api/login`, {
        method: 'POST',
        headers: { origin: s.url, 'content-type': 'application/json' },
        body: '{',
      }),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 301, 200, 200, 401, 200, 404, 400]);
    for (const r of responses) {
      expect(r.headers.get('content-security-policy')).toBe(UI_CSP);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('x-frame-options')).toBe('DENY');
    }
    expect(UI_CSP).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    expect(responses[0].headers.get('content-type')).toMatch(/^text\/html/);
    expect(responses[2].headers.get('content-type')).toMatch(/^application\/javascript/);
  });
});
