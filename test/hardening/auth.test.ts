/**
 * Authentication hardening (issue 9 §3): every kind of token is accepted only where it belongs,
 * forged and stale tokens are refused, session cookies carry their flags, cookie writes need the
 * CSRF token and the origin, no route takes a token from the URL, and every response carries the
 * security headers. (The role × route matrix itself is test/oracle/authz.test.ts.)
 */
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateJwtSecret } from '../../oracle/data-dir.ts';
import { ciTokenKey } from '../../oracle/ci/ci-token.ts';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../oracle/http/tokens.ts';
import { call, milestoneUrl, startTestServer, type TestServer } from '../oracle/helpers.ts';
import { buildTestResultStatement } from '../../oracle/ci/statement.ts';
import {
  forgedTokens,
  FUZZ_COMMIT,
  missingSecurityHeaders,
  setupFixture,
  type Fixture,
} from './fuzz-routes.ts';

let s: TestServer;
let f: Fixture;

beforeAll(async () => {
  s = await startTestServer({ env: { VERDICT_WRITE_RATE_PER_MIN: '0' } });
  // The fixture builds its windows on the wall clock: keep the test clock there too.
  s.clock.t = Math.floor(Date.now() / 1000);
  f = await setupFixture(s.url, s.dataDir);
});
afterAll(() => s.dispose());

/** A statement that would decide milestone 2 if its token were accepted. */
const passing = () =>
  buildTestResultStatement({
    commit: FUZZ_COMMIT,
    result: 'PASSED',
    passedTests: ['t'],
    failedTests: [],
  });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const code = (r: { body: unknown }) => (r.body as { error?: { code?: string } }).error?.code;

describe('bearer tokens', () => {
  it('forged, stale and mis-addressed party tokens are refused with 401 invalid_token', async () => {
    const forged = forgedTokens(loadOrCreateJwtSecret(s.dataDir), f.contractId);
    const path = `/v1/contracts/${f.contractId}`;
    expect((await call(s.url, 'GET', path, { headers: bearer(f.tokens.client) })).status).toBe(200);
    for (const [name, token] of Object.entries(forged)) {
      const r = await call(s.url, 'GET', path, { headers: bearer(token) });
      expect({ name, status: r.status, code: code(r) }).toEqual({
        name,
        status: 401,
        code: 'invalid_token',
      });
    }
    // `alg: none` dressed as the operator, on an operator route.
    const r = await call(s.url, 'GET', '/v1/arbiters', {
      headers: bearer(forged['algNoneAdmin']!),
    });
    expect(r.status).toBe(401);
  });

  it('a token that is present must be valid even on a public route (no silent downgrade)', async () => {
    const r = await call(s.url, 'GET', '/v1/oracle', { headers: bearer('not.a.token') });
    expect({ status: r.status, code: code(r) }).toEqual({ status: 401, code: 'invalid_token' });
  });

  it('each token type works only where it belongs', async () => {
    const session = /verdict_arbiter_session=([^;]+)/.exec(f.session.cookie)?.[1] ?? '';
    const contract = `/v1/contracts/${f.contractId}`;
    // A CI token is not a party token, and a session token is not a bearer token.
    for (const t of [f.tokens.ci, session]) {
      const r = await call(s.url, 'GET', contract, { headers: bearer(t) });
      expect({ status: r.status, code: code(r) }).toEqual({ status: 401, code: 'invalid_token' });
    }
    // A party token is not a CI token, nor an operator token.
    const ci = milestoneUrl(f.contractId, 2, 'ci');
    for (const t of [f.tokens.client, f.tokens.freelancer, f.tokens.admin, session]) {
      const r = await call(s.url, 'POST', ci, { headers: bearer(t), body: passing() });
      expect(r.status, code(r)).toBe(401);
    }
    expect(
      (await call(s.url, 'GET', '/v1/arbiters', { headers: bearer(f.tokens.client) })).status,
    ).toBe(403);
    // A bearer token in the session cookie is no session.
    for (const t of [f.tokens.admin, f.tokens.client, f.tokens.ci]) {
      const r = await call(s.url, 'GET', '/arbiter/api/me', {
        headers: { cookie: `verdict_arbiter_session=${t}` },
      });
      expect(r.status).toBe(401);
    }
  });

  it('party tokens are bound to their contract and role', async () => {
    const other = await call(s.url, 'GET', `/v1/contracts/${f.contractId}`, {
      headers: bearer(f.tokens.otherClient),
    });
    expect({ status: other.status, code: code(other) }).toEqual({
      status: 403,
      code: 'not_a_party',
    });
    const role = await call(s.url, 'POST', milestoneUrl(f.contractId, 3, 'deliver'), {
      headers: bearer(f.tokens.client),
      body: {},
    });
    expect({ status: role.status, code: code(role) }).toEqual({ status: 403, code: 'wrong_role' });
  });

  it('CI tokens: HS256 only under their own key, bound to one milestone, aud and exp checked', async () => {
    const key = ciTokenKey(loadOrCreateJwtSecret(s.dataDir));
    const now = Math.floor(Date.now() / 1000);
    const claims = (over: Record<string, unknown> = {}) => ({
      typ: 'ci',
      aud: 'verdict/ci',
      cid: f.contractId,
      mi: 2,
      jti: '00000000-0000-4000-8000-000000000000',
      iat: now,
      exp: now + 3600,
      ...over,
    });
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}.`;
    const cases: Record<string, string> = {
      none,
      serviceSecret: jwt.sign(claims(), loadOrCreateJwtSecret(s.dataDir), { algorithm: 'HS256' }),
      hs512: jwt.sign(claims(), key, { algorithm: 'HS512' }),
      otherMilestone: jwt.sign(claims({ mi: 0 }), key, { algorithm: 'HS256' }),
      otherContract: jwt.sign(claims({ cid: f.otherContractId }), key, { algorithm: 'HS256' }),
      wrongAud: jwt.sign(claims({ aud: TOKEN_AUDIENCE }), key, { algorithm: 'HS256' }),
      expired: jwt.sign(claims({ exp: now - 60, iat: now - 120 }), key, { algorithm: 'HS256' }),
      partyShape: jwt.sign({ typ: 'party', cid: f.contractId, role: 'client', sub: 'alice' }, key, {
        algorithm: 'HS256',
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        expiresIn: 60,
      }),
    };
    for (const [name, token] of Object.entries(cases)) {
      const r = await call(s.url, 'POST', milestoneUrl(f.contractId, 2, 'ci'), {
        headers: bearer(token),
        body: passing(),
      });
      expect([401, 403], `${name}: ${r.status} ${code(r)}`).toContain(r.status);
      expect(code(r), name).toMatch(/^ci_/);
    }
  });
});

describe('arbiter sessions', () => {
  it('the session cookie is HttpOnly, SameSite=Strict, scoped to /arbiter, with a lifetime; the CSRF cookie is readable', async () => {
    const res = await fetch(`${s.url}/arbiter/api/login`, {
      method: 'POST',
      headers: { origin: s.url, 'content-type': 'application/json' },
      body: JSON.stringify({ id: f.arbiterId, password: 'fuzz arbiter password, long enough' }),
    });
    expect(res.status).toBe(200);
    const cookies = res.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith('verdict_arbiter_session='));
    const csrf = cookies.find((c) => c.startsWith('verdict_arbiter_csrf='));
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Strict/);
    expect(session).toMatch(/; Path=\/arbiter(;|$)/);
    expect(session).toMatch(/; Max-Age=\d+/);
    expect(csrf).toMatch(/; SameSite=Strict/);
    expect(csrf).not.toMatch(/HttpOnly/);
    // The login answer carries no token in its body other than the CSRF token.
    expect(JSON.stringify(await res.json())).not.toContain(
      /=([^;]+)/.exec(session ?? '')?.[1] ?? 'x',
    );
  });

  it('cookie writes need the CSRF header, the CSRF cookie and this origin', async () => {
    const vote = `/arbiter/api/disputes/${f.disputeId}/vote`;
    const body = { outcome: 'accepted', rationale: 'r' };
    const sessionOnly = f.session.cookie
      .split('; ')
      .filter((c) => c.startsWith('verdict_arbiter_session='))
      .join('; ');
    const attempts: [string, Record<string, string>][] = [
      ['no CSRF header', { cookie: f.session.cookie, origin: s.url }],
      [
        'wrong CSRF header',
        { cookie: f.session.cookie, origin: s.url, 'x-csrf-token': 'A'.repeat(43) },
      ],
      ['no CSRF cookie', { cookie: sessionOnly, origin: s.url, 'x-csrf-token': f.session.csrf }],
      [
        'foreign origin',
        {
          cookie: f.session.cookie,
          origin: 'https://evil.example',
          'x-csrf-token': f.session.csrf,
        },
      ],
      ['no origin', { cookie: f.session.cookie, 'x-csrf-token': f.session.csrf }],
      [
        'foreign referer',
        {
          cookie: f.session.cookie,
          referer: 'https://evil.example/x',
          'x-csrf-token': f.session.csrf,
        },
      ],
    ];
    for (const [name, headers] of attempts) {
      const r = await call(s.url, 'POST', vote, { headers, body });
      expect({ name, status: r.status }).toEqual({ name, status: 403 });
    }
  });
});

describe('tokens never travel in URLs', () => {
  it('no route takes a token from the query string', async () => {
    for (const q of ['token', 'access_token', 'auth', 'jwt', 'authorization']) {
      const r = await call(s.url, 'GET', `/v1/contracts/${f.contractId}?${q}=${f.tokens.client}`);
      expect(r.status, q).toBeGreaterThanOrEqual(400);
      expect(r.status, q).toBeLessThan(500);
      const ci = await call(
        s.url,
        'POST',
        `${milestoneUrl(f.contractId, 2, 'ci')}?${q}=${f.tokens.ci}`,
        {
          body: {},
        },
      );
      expect(ci.status, q).toBe(401);
    }
  });

  it('an invite link carries its token in the fragment, which no server or Referer sees', async () => {
    const r = await call<{ inviteUrl: string; token: string }>(s.url, 'POST', '/v1/arbiters', {
      headers: bearer(f.tokens.admin),
      body: { id: 'frag-test', displayName: 'F' },
    });
    expect(r.status).toBe(201);
    const u = new URL(r.body.inviteUrl);
    expect(u.search).toBe('');
    expect(u.hash).toBe(`#invite=${r.body.token}`);
  });
});

describe('security headers', () => {
  it('every kind of response carries CSP with frame-ancestors, nosniff and Referrer-Policy', async () => {
    const paths: [string, string, Record<string, string>?][] = [
      ['GET', '/healthz'],
      ['GET', '/v1/oracle'],
      ['GET', '/docs'],
      ['GET', '/v1/openapi.json'],
      ['GET', '/metrics'],
      ['GET', '/no/such/route'],
      ['GET', `/v1/contracts/${f.contractId}`],
      ['GET', `/v1/contracts/${f.contractId}`, bearer(f.tokens.client)],
      ['GET', '/arbiter/'],
      ['GET', '/arbiter/api/me'],
      ['GET', `/v1/events/${encodeURIComponent(f.eventId)}`],
      ['GET', `/announcement/${f.eventId}`],
      [
        'GET',
        milestoneUrl(f.contractId, 1, `dispute/evidence/${f.evidenceId}/file`),
        bearer(f.tokens.client),
      ],
      ['POST', '/v1/contracts', { 'content-type': 'application/json' }],
    ];
    for (const [method, path, headers] of paths) {
      const res = await fetch(s.url + path, {
        method,
        headers: headers ?? {},
        ...(method === 'POST' ? { body: '{' } : {}),
      });
      await res.arrayBuffer();
      const h: Record<string, string> = {};
      res.headers.forEach((v, k) => (h[k] = v));
      expect({ path, missing: missingSecurityHeaders(h) }).toEqual({ path, missing: [] });
    }
  });

  it('the API forbids framing and scripts; the docs page runs only its own script files', async () => {
    const api = await fetch(`${s.url}/v1/oracle`);
    expect(api.headers.get('content-security-policy')).toContain("default-src 'none'");
    const docs = await fetch(`${s.url}/docs`);
    const csp = docs.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    // Issue 13: the API reference (Swagger UI) is served from this origin: no inline script, no
    // eval, nothing from elsewhere.
    expect(/script-src ([^;]*)/.exec(csp)?.[1]?.trim()).toBe("'self'");
    expect(csp).not.toMatch(/unsafe-eval|https?:|\*/);
    const scripts = [...(await docs.text()).matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/gi)];
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/^ src="\/docs\/[a-z0-9.-]+\.js"$/);
      expect(body).toBe('');
    }
  });
});

describe('behind a TLS-terminating proxy (VERDICT_TRUST_PROXY)', () => {
  let p: TestServer;
  beforeAll(async () => {
    p = await startTestServer({
      env: { VERDICT_TRUST_PROXY: 'loopback', VERDICT_WRITE_RATE_PER_MIN: '3' },
    });
  });
  afterAll(() => p.dispose());

  const viaProxy = (server: TestServer, clientIp: string) => {
    const host = new URL(server.url).host;
    return {
      origin: `https://${host}`,
      'x-forwarded-proto': 'https',
      'x-forwarded-for': clientIp,
    };
  };

  it('without the setting, forwarded headers are not believed: an https origin is cross-origin', async () => {
    const r = await call(s.url, 'POST', '/arbiter/api/login', {
      headers: viaProxy(s, '203.0.113.9'),
      body: { id: f.arbiterId, password: 'fuzz arbiter password, long enough' },
    });
    expect({ status: r.status, code: code(r) }).toEqual({ status: 403, code: 'csrf_rejected' });
  });

  it('with it, an https login works and its cookies are Secure; the write limit counts forwarded clients', async () => {
    const admin = p.ctx.tokens.issueAdminToken(3600);
    const inv = await call<{ token: string }>(p.url, 'POST', '/v1/arbiters', {
      headers: { ...bearer(admin), ...viaProxy(p, '198.51.100.1') },
      body: { id: 'proxied', displayName: 'P' },
    });
    expect(inv.status).toBe(201);
    const password = 'a proxied arbiter password';
    const accepted = await call(p.url, 'POST', '/arbiter/api/invite/accept', {
      headers: viaProxy(p, '198.51.100.1'),
      body: { token: inv.body.token, password },
    });
    expect(accepted.status).toBe(200);
    const res = await fetch(`${p.url}/arbiter/api/login`, {
      method: 'POST',
      headers: { ...viaProxy(p, '198.51.100.1'), 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'proxied', password }),
    });
    expect(res.status).toBe(200);
    for (const c of res.headers.getSetCookie()) expect(c).toMatch(/; Secure/);
    // Three writes a minute per client: 198.51.100.1 has used them up, 198.51.100.2 has not.
    const one = await call(p.url, 'POST', '/v1/contracts', {
      headers: viaProxy(p, '198.51.100.1'),
      body: {},
    });
    expect({ status: one.status, code: code(one) }).toEqual({ status: 429, code: 'rate_limited' });
    const two = await call(p.url, 'POST', '/v1/contracts', {
      headers: viaProxy(p, '198.51.100.2'),
      body: {},
    });
    expect(two.status).toBe(400);
  });
});
