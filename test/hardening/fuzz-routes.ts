/**
 * Hostile input for every route (issue 9 §2): the routes come from the service's own OpenAPI
 * document plus the arbitration routes (bearer and cookie) and the CI submission route; each is
 * called with fast-check-generated path parameters, query strings, headers, tokens and bodies, and
 * with a fixed list of known-nasty requests (malformed JSON, deep nesting, oversized and
 * compressed bodies, unsupported charsets and encodings, malformed percent escapes, lone
 * surrogates, NUL, RTL, huge numbers, garbage hex and tokens).
 *
 * The law: no 5xx ever; every 4xx is JSON `{ error: { code, message } }`; every response carries
 * the security headers. Requests go out through `node:http` so that paths, headers and bodies
 * reach the server byte for byte (no URL normalization by a client).
 */
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import jwt from 'jsonwebtoken';
import { ARBITER_UI_ROUTES, ARBITRATION_ROUTES } from '../../oracle/arbitration/route-table.ts';
import { buildTestResultStatement } from '../../oracle/ci/statement.ts';
import { CI_ROUTES, CI_SUBMIT_ROUTE } from '../../oracle/ci/route-table.ts';
import { loadOrCreateJwtSecret } from '../../oracle/data-dir.ts';
import { ROUTES } from '../../oracle/http/access.ts';
import { TOKEN_AUDIENCE, TOKEN_ISSUER, TokenIssuer } from '../../oracle/http/tokens.ts';

export interface RouteSpec {
  readonly method: 'GET' | 'POST';
  /** Express-style path (`:id`, `*eventPath`). */
  readonly template: string;
}

export interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
  /** Send the body with `Transfer-Encoding: chunked` (no Content-Length). */
  readonly chunked?: boolean;
  readonly label: string;
}

export interface FuzzReply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Every route the service serves: OpenAPI document ∪ the route tables ∪ the cookie routes. */
export async function enumerateRoutes(url: string): Promise<RouteSpec[]> {
  const res = await fetch(`${url}/v1/openapi.json`);
  const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
  const out = new Map<string, RouteSpec>();
  const add = (method: string, template: string) => {
    const m = method.toUpperCase();
    if (m !== 'GET' && m !== 'POST') return;
    out.set(`${m} ${template}`, { method: m, template });
  };
  for (const [p, ops] of Object.entries(doc.paths)) {
    // OpenAPI `{eventId}` is the wildcard of the event routes; other `{x}` are `:x`.
    const template = p.replace(/\{eventId\}/g, '*eventPath').replace(/\{(\w+)\}/g, ':$1');
    for (const method of Object.keys(ops)) add(method, template);
  }
  for (const r of Object.values(ROUTES)) add(r.method, r.path);
  for (const r of Object.values(ARBITRATION_ROUTES)) add(r.method, r.path);
  for (const r of Object.values(CI_ROUTES)) add(r.method, r.path);
  add(CI_SUBMIT_ROUTE.method, CI_SUBMIT_ROUTE.path);
  for (const r of ARBITER_UI_ROUTES) add(r.method, r.path);
  // The event routes' two spellings collapse into the wildcard route.
  out.delete('GET /v1/events/*eventPath/attestation');
  out.delete('GET /announcement/*eventPath');
  add('GET', '/announcement/*eventPath');
  return [...out.values()].sort((a, b) =>
    `${a.template} ${a.method}`.localeCompare(`${b.template} ${b.method}`),
  );
}

// ---- the fixture: real objects for the parameters and tokens of every route

export interface Fixture {
  readonly url: string;
  readonly contractId: string;
  readonly otherContractId: string;
  readonly eventId: string;
  readonly tokens: {
    readonly client: string;
    readonly freelancer: string;
    readonly otherClient: string;
    readonly admin: string;
    readonly ci: string;
  };
  readonly ciJti: string;
  readonly arbiterId: string;
  readonly disputeId: number;
  readonly evidenceId: number;
  readonly session: { readonly cookie: string; readonly csrf: string };
  readonly jwtSecret: string;
  /** Tokens that must never be accepted where they are offered. */
  readonly hostileTokens: readonly string[];
}

export const ARBITER_PASSWORD = 'fuzz arbiter password, long enough';
export const FUZZ_COMMIT = 'f'.repeat(40);

async function json(
  url: string,
  method: string,
  path: string,
  o: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token !== undefined) headers['authorization'] = `Bearer ${o.token}`;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url + path, {
    method,
    headers,
    ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text === '' ? undefined : JSON.parse(text),
    headers: res.headers,
  };
}

function must<T>(r: { status: number; body: unknown }, status: number, what: string): T {
  if (r.status !== status)
    throw new Error(`fixture: ${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as T;
}

const b64u = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Tokens an attacker can make: `alg: none`, a wrong key, wrong `aud`/`iss`, expired, truncated. */
export function forgedTokens(secret: string, contractId: string): Record<string, string> {
  const now = Math.floor(Date.now() / 1000);
  const party = { typ: 'party', cid: contractId, role: 'client', sub: 'alice' };
  const std = { issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE, algorithm: 'HS256' as const };
  const valid = jwt.sign(party, secret, { ...std, expiresIn: 3600 });
  const [h, p] = valid.split('.');
  return {
    algNone: `${b64u({ alg: 'none', typ: 'JWT' })}.${p ?? ''}.`,
    algNoneAdmin: `${b64u({ alg: 'none', typ: 'JWT' })}.${b64u({ typ: 'admin', sub: 'x', iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, exp: now + 3600 })}.`,
    wrongKey: jwt.sign(party, 'x'.repeat(48), { ...std, expiresIn: 3600 }),
    wrongAud: jwt.sign(party, secret, { ...std, audience: 'someone-else', expiresIn: 3600 }),
    wrongIss: jwt.sign(party, secret, { ...std, issuer: 'someone-else', expiresIn: 3600 }),
    expired: jwt.sign({ ...party, exp: now - 10 }, secret, {
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      algorithm: 'HS256',
    }),
    hs512: jwt.sign(party, secret, { ...std, algorithm: 'HS512', expiresIn: 3600 }),
    noExp: jwt.sign(party, secret, std),
    adminClaimsNoSub: jwt.sign({ typ: 'admin' }, secret, { ...std, expiresIn: 3600 }),
    arbiterTyp: jwt.sign({ typ: 'arbiter_session', sid: 'x'.repeat(20), ep: 0 }, secret, {
      ...std,
      subject: 'arb',
      expiresIn: 3600,
    }),
    truncated: valid.slice(0, -5),
    headerSwap: `${b64u({ alg: 'HS256', typ: 'JWT', kid: '../../../../etc/passwd' })}.${p ?? ''}.${valid.split('.')[2] ?? ''}`,
    badBase64: `${h ?? ''}.!!!.${'A'.repeat(43)}`,
  };
}

/** Builds the fixture on a fresh service (the caller passes its data dir, for the JWT secret). */
export async function setupFixture(url: string, dataDir: string): Promise<Fixture> {
  const secret = loadOrCreateJwtSecret(dataDir);
  const admin = new TokenIssuer(secret, 3600).issueAdminToken(86_400);
  const now = Math.floor(Date.now() / 1000);
  const arbiterId = 'fuzz-arb';
  // A second arbiter is the target of the admin routes (disable, re-invite), so that the fuzzer's
  // own arbiter keeps its session.
  must(
    await json(url, 'POST', '/v1/arbiters', {
      token: admin,
      body: { id: 'fuzz-target', displayName: 'Target' },
    }),
    201,
    'invite target',
  );
  const inv = must<{ token: string }>(
    await json(url, 'POST', '/v1/arbiters', {
      token: admin,
      body: { id: arbiterId, displayName: 'Fuzz Arbiter' },
    }),
    201,
    'invite',
  );
  must(
    await json(url, 'POST', '/arbiter/api/invite/accept', {
      headers: { origin: url },
      body: { token: inv.token, password: ARBITER_PASSWORD },
    }),
    200,
    'accept invite',
  );
  const milestone = (extra: Record<string, unknown>) => ({
    title: 'fuzz',
    amountSat: '100000',
    deliveryDeadline: now + 30 * 86_400,
    reviewWindowSec: 3 * 86_400,
    ...extra,
  });
  const created = must<{
    contract: { id: string; milestones: { eventId: string }[] };
    tokens: { client: string; freelancer: string };
  }>(
    await json(url, 'POST', '/v1/contracts', {
      body: {
        title: 'fuzz target',
        client: { id: 'alice', name: 'Alice' },
        freelancer: { id: 'bob', name: 'Bob' },
        milestones: [
          milestone({ outcome: 'share' }),
          milestone({
            outcome: 'enum',
            dispute: {
              panel: { arbiters: [arbiterId] },
              evidenceWindowSec: 30 * 86_400,
              votingWindowSec: 86_400,
            },
          }),
          milestone({ ci: { identity: { kind: 'token' }, decisive: true } }),
          milestone({ outcome: 'enum' }),
        ],
      },
    }),
    201,
    'create contract',
  );
  const id = created.contract.id;
  const { client, freelancer } = created.tokens;
  for (const i of [0, 1, 2])
    must(
      await json(url, 'POST', `/v1/contracts/${id}/milestones/${i}/deliver`, {
        token: freelancer,
        body: { commitSha: FUZZ_COMMIT },
      }),
      200,
      'deliver',
    );
  must(
    await json(url, 'POST', `/v1/contracts/${id}/milestones/1/dispute`, {
      token: client,
      body: { reason: 'fuzz' },
    }),
    200,
    'dispute',
  );
  const ev = must<{ evidence: { id: number } }>(
    await json(url, 'POST', `/v1/contracts/${id}/milestones/1/dispute/evidence`, {
      token: client,
      body: {
        kind: 'file',
        fileName: 'a.txt',
        contentType: 'text/plain',
        contentBase64: Buffer.from('hello').toString('base64'),
      },
    }),
    201,
    'evidence',
  );
  const ci = must<{ token: string; jti: string }>(
    await json(url, 'POST', `/v1/contracts/${id}/milestones/2/ci/tokens`, {
      token: client,
      body: {},
    }),
    201,
    'ci token',
  );
  must(
    await json(url, 'POST', `/v1/contracts/${id}/milestones/0/dlc/offer`, {
      token: client,
      body: { hex: 'a71a' + '00'.repeat(40) },
    }),
    201,
    'dlc offer',
  );
  const other = must<{ contract: { id: string }; tokens: { client: string } }>(
    await json(url, 'POST', '/v1/contracts', {
      body: {
        client: { id: 'carol', name: 'Carol' },
        freelancer: { id: 'dave', name: 'Dave' },
        milestones: [milestone({})],
      },
    }),
    201,
    'other contract',
  );
  const login = await fetch(`${url}/arbiter/api/login`, {
    method: 'POST',
    headers: { origin: url, 'content-type': 'application/json' },
    body: JSON.stringify({ id: arbiterId, password: ARBITER_PASSWORD }),
  });
  const loginBody = (await login.json()) as { csrfToken: string };
  if (login.status !== 200) throw new Error(`fixture: login ${login.status}`);
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0] ?? '')
    .join('; ');
  const queue = must<{ disputes: { disputeId: number }[] }>(
    await json(url, 'GET', '/arbiter/api/disputes', { headers: { cookie } }),
    200,
    'queue',
  );
  const disputeId = queue.disputes[0]?.disputeId;
  if (disputeId === undefined) throw new Error('fixture: the arbiter sits on no dispute');
  const sessionJwt = /verdict_arbiter_session=([^;]+)/.exec(cookie)?.[1] ?? '';
  return {
    url,
    contractId: id,
    otherContractId: other.contract.id,
    eventId: created.contract.milestones[0]?.eventId ?? '',
    tokens: { client, freelancer, otherClient: other.tokens.client, admin, ci: ci.token },
    ciJti: ci.jti,
    arbiterId,
    disputeId,
    evidenceId: ev.evidence.id,
    session: { cookie, csrf: loginBody.csrfToken },
    jwtSecret: secret,
    hostileTokens: [...Object.values(forgedTokens(secret, id)), sessionJwt, ci.token],
  };
}

// ---- generators

const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83dy',
  '\u202eevil',
  '\u200f\u200e',
  '\ufeff',
  '\uffff',
  '💣'.repeat(50),
  'é'.normalize('NFD'),
  '..',
  '../../etc/passwd',
  '%',
  '%%',
  '%00',
  '%ZZ',
  '%E0%A4%A',
  '%C0%AF',
  '%ED%A0%80',
  '%2F',
  '%252F',
  '-1',
  '0',
  '00',
  '1e400',
  '9'.repeat(400),
  '0x10',
  'NaN',
  'Infinity',
  'null',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  'a'.repeat(5000),
];

const hexish = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 200 }),
  fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFgxz'), maxLength: 200 }),
  fc.constantFrom(
    'a71a',
    'a71c',
    'a71e',
    'fdd824',
    'fdd868',
    'ffff',
    '00',
    'a71a' + 'ff'.repeat(9),
  ),
);

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }) },
  { weight: 1, arbitrary: hexish },
);

/** A JSON value that is wrong in every way a schema can be surprised by. */
const nastyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.integer(),
      fc.double(),
      fc.constantFrom(0, -0, 2 ** 53, 2 ** 64, -1, 1e308, 1.5, Number.MAX_SAFE_INTEGER + 2),
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
);

/** Path characters that are sent as they are; everything else is percent-encoded as UTF-8. */
const PATH_SAFE = /[A-Za-z0-9\-._~!$&'()*+,;=:@%/]/;

/** Percent-encodes a path segment byte-exactly; lone surrogates become their (invalid) CESU-8 bytes. */
export function encodeRaw(s: string, keep: RegExp = PATH_SAFE): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] ?? '';
    const code = s.charCodeAt(i);
    if (code < 0x80 && keep.test(ch)) {
      out += ch;
      continue;
    }
    let bytes: Buffer;
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes = Buffer.from(s.slice(i, i + 2), 'utf8');
        i += 1;
      } else bytes = Buffer.from([0xed, 0xa0 | ((code >> 6) & 0x0f), 0x80 | (code & 0x3f)]);
    } else if (code >= 0xd800 && code <= 0xdfff) {
      bytes = Buffer.from([0xed, 0xa0 | ((code >> 6) & 0x1f), 0x80 | (code & 0x3f)]);
    } else bytes = Buffer.from(ch, 'utf8');
    for (const b of bytes) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A header value Node will put on the wire (latin-1, no control characters). */
function headerSafe(s: string): string {
  return [...s].map((c) => (/[\t\x20-\x7e\x80-\xff]/.test(c) ? c : '?')).join('');
}

/** The fixture's milestones: 0 plain (delivered, DLC offer), 1 disputed, 2 CI token policy, 3 open. */
function validParam(name: string, f: Fixture, template: string): string {
  switch (name) {
    case 'id':
      return f.contractId;
    case 'index':
      return template.includes('/ci') ? '2' : template.includes('/dispute') ? '1' : '0';
    case 'kind':
      return 'offer';
    case 'arbiterId':
      return 'fuzz-target';
    case 'evidenceId':
      return String(f.evidenceId);
    case 'disputeId':
      return String(f.disputeId);
    case 'jti':
      return f.ciJti;
    case 'eventPath':
      return f.eventId;
    default:
      return 'x';
  }
}

/** A plausible body for the route, for mutation: reaching the deep validation needs a near miss. */
function exampleBody(route: RouteSpec, f: Fixture): unknown {
  const t = route.template;
  const now = Math.floor(Date.now() / 1000);
  if (t === '/v1/contracts')
    return {
      title: 'x',
      client: { id: 'alice', name: 'Alice' },
      freelancer: { id: 'bob', name: 'Bob' },
      milestones: [
        {
          title: 'm',
          amountSat: '1000',
          deliveryDeadline: now + 86_400,
          reviewWindowSec: 3600,
          outcome: 'share',
          dispute: { panel: { poolSize: 1 }, evidenceWindowSec: 0, votingWindowSec: 60 },
          ci: { identity: { kind: 'token' }, decisive: false },
        },
      ],
    };
  if (t.endsWith('/deliver'))
    return { commitSha: FUZZ_COMMIT, note: 'n', artifactDigest: 'sha256:' + '0'.repeat(64) };
  if (t.endsWith('/propose') || t.endsWith('/accept-proposal')) return { outcome: 'accepted' };
  if (t.endsWith('/dispute') || t.endsWith('/appeal')) return { reason: 'r' };
  if (t.endsWith('/dlc/:kind')) return { hex: 'a71a' + '00'.repeat(8) };
  if (t.endsWith('/ci'))
    return buildTestResultStatement({
      commit: FUZZ_COMMIT,
      result: 'FAILED',
      passedTests: ['a'],
      failedTests: ['b'],
    });
  if (t.endsWith('/ci/tokens')) return { ttlSec: 3600 };
  if (t.endsWith('/evidence')) return { kind: 'link', url: 'https://example.com/x', text: 't' };
  if (t === '/v1/arbiters') return { id: 'new-arb', displayName: 'N', linkedIdentities: ['x'] };
  if (t.endsWith('/invite')) return { ttlSec: 3600 };
  if (t.endsWith('/invite/accept')) return { token: 'A'.repeat(43), password: 'p'.repeat(20) };
  if (t.endsWith('/login')) return { id: f.arbiterId, password: 'wrong password' };
  if (t.endsWith('/vote')) return { outcome: 'accepted', rationale: 'because' };
  return {};
}

/** Replaces the `n`-th node of `v` (pre-order) with `leaf`. */
function mutateAt(v: unknown, n: { left: number }, leaf: unknown): unknown {
  if (n.left-- === 0) return leaf;
  if (Array.isArray(v)) return v.map((x) => mutateAt(x, n, leaf));
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = mutateAt(x, n, leaf);
    return out;
  }
  return v;
}

function authHeaders(route: RouteSpec, f: Fixture): fc.Arbitrary<Record<string, string>> {
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const cookieRoute = route.template.startsWith('/arbiter');
  return fc.oneof(
    fc.constant({}),
    {
      weight: 6,
      arbitrary: fc.constantFrom(
        bearer(f.tokens.client),
        bearer(f.tokens.freelancer),
        bearer(f.tokens.admin),
        bearer(f.tokens.otherClient),
        bearer(f.tokens.ci),
      ),
    },
    fc.constantFrom(...f.hostileTokens.map(bearer)),
    fc.constantFrom(
      { authorization: 'Bearer' },
      { authorization: 'Bearer ' },
      { authorization: 'bearer ' + f.tokens.client },
      { authorization: 'Basic YWxpY2U6cGFzc3dvcmQ=' },
      { authorization: `Bearer ${f.tokens.client} ${f.tokens.admin}` },
      { authorization: `Bearer ${'A'.repeat(8000)}` },
    ),
    nastyString.map((s) => ({ authorization: headerSafe(`Bearer ${s}`) })),
    ...(cookieRoute
      ? [
          {
            weight: 6,
            arbitrary: fc.record({
              cookie: fc.constantFrom(f.session.cookie, 'verdict_arbiter_session=garbage', ''),
              origin: fc.constantFrom(f.url, 'https://evil.example', 'null'),
              'x-csrf-token': fc.constantFrom(f.session.csrf, '', 'x'.repeat(43)),
            }),
          },
        ]
      : []),
  );
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/merge-patch+json',
  '',
];

function bodyArb(route: RouteSpec, f: Fixture): fc.Arbitrary<{ body?: Buffer; ctype?: string }> {
  const example = exampleBody(route, f);
  const asJson = (v: unknown) => Buffer.from(JSON.stringify(v) ?? 'null', 'utf8');
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant({ body: asJson(example), ctype: 'application/json' }) },
    {
      weight: 6,
      arbitrary: fc.tuple(fc.nat({ max: 30 }), nastyJson).map(([n, leaf]) => ({
        body: asJson(mutateAt(example, { left: n }, leaf)),
        ctype: 'application/json',
      })),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        body: fc.jsonValue({ maxDepth: 6 }).map(asJson),
        ctype: fc.constantFrom(...CONTENT_TYPES),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        body: fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s, 'utf8')),
        ctype: fc.constantFrom(...CONTENT_TYPES),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => ({
        body: Buffer.from(b),
        ctype: 'application/json',
      })),
    },
    { weight: 1, arbitrary: fc.constant({}) },
  );
}

function queryArb(): fc.Arbitrary<string> {
  const kv = fc.tuple(
    fc.oneof(fc.constantFrom('status', 'cursor', 'limit', '__proto__', 'a[b]', 'x'), nastyString),
    nastyString,
  );
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant('') },
    {
      weight: 2,
      arbitrary: fc
        .array(kv, { minLength: 1, maxLength: 4 })
        .map(
          (pairs) =>
            '?' +
            pairs
              .map(
                ([k, v]) => `${encodeRaw(k, /[A-Za-z0-9%[\]_]/)}=${encodeRaw(v, /[A-Za-z0-9%]/)}`,
              )
              .join('&'),
        ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '?limit=0',
        '?limit=501',
        '?limit=99999999999999999999',
        '?limit=1e3',
        '?status=open&status=attested',
        '?status[]=open',
        '?cursor=' + 'A'.repeat(32),
        '?cursor=' + 'A'.repeat(5000),
        '?cursor=bTk5OTk5OTk5OTk5OTk5OTk5OTk5',
        '?%',
        '?a=%E0%A4%A',
        '?&&&=&',
      ),
    },
  );
}

/** Random requests against one route. */
export function requestArb(route: RouteSpec, f: Fixture): fc.Arbitrary<FuzzRequest> {
  const params = [...route.template.matchAll(/[:*](\w+)/g)].map((m) => m[1] ?? '');
  const paramArbs = params.map((name) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constant(validParam(name, f, route.template)) },
      { weight: 2, arbitrary: nastyString },
      ...(name === 'index'
        ? [{ weight: 1, arbitrary: fc.constantFrom('0', '1', '2', '3', '4') }]
        : []),
      ...(name === 'eventPath'
        ? [
            {
              weight: 1,
              arbitrary: fc.constantFrom(
                f.eventId + '/attestation',
                f.eventId.replace(/\//g, '%2F'),
                `verdict/${f.contractId}/999/0000000000000000`,
                'verdict/' + 'a'.repeat(16) + '/0/' + 'z'.repeat(16),
              ),
            },
          ]
        : []),
    ),
  );
  const method = fc.oneof(
    { weight: 12, arbitrary: fc.constant(route.method) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
    },
  );
  return fc
    .record({
      method,
      values: fc.tuple(...paramArbs),
      query: queryArb(),
      auth: authHeaders(route, f),
      body: bodyArb(route, f),
      extra: fc.option(
        fc.constantFrom<Record<string, string>>(
          { 'content-encoding': 'gzip' },
          { 'content-encoding': 'br' },
          { 'content-encoding': 'zstd' },
          { accept: 'text/html' },
          { 'x-forwarded-for': '1.2.3.4, 5.6.7.8' },
          { host: 'evil.example' },
          { 'if-none-match': '"' + 'x'.repeat(500) + '"' },
          { range: 'bytes=0-1' },
        ),
        { freq: 4 },
      ),
    })
    .map(({ method, values, query, auth, body, extra }) => {
      let i = 0;
      const path = route.template.replace(/[:*](\w+)/g, (_m, name: string) => {
        const v = values[i++] ?? '';
        // The valid event id goes in as it is (its `/` are the wildcard's); the rest is encoded.
        return name === 'eventPath' || v === validParam(name, f, route.template)
          ? encodeRaw(v)
          : encodeRaw(v, /[A-Za-z0-9\-._~%]/);
      });
      const headers: Record<string, string> = { ...auth, ...(extra ?? {}) };
      const sendBody = method !== 'GET' && method !== 'HEAD' ? body.body : undefined;
      if (sendBody !== undefined && body.ctype !== undefined && body.ctype !== '')
        headers['content-type'] = body.ctype;
      return {
        method,
        path: path + query,
        headers,
        ...(sendBody === undefined ? {} : { body: sendBody }),
        label: `${route.method} ${route.template}`,
      };
    });
}

/** The fixed hostile cases: the same for every run, each aimed at one known failure mode. */
export function fixedCases(routes: readonly RouteSpec[], f: Fixture): FuzzRequest[] {
  const out: FuzzRequest[] = [];
  const json = { 'content-type': 'application/json' };
  const deep = (n: number) => Buffer.from('['.repeat(n) + ']'.repeat(n));
  const deepObj = (n: number) => Buffer.from('{"a":'.repeat(n) + '1' + '}'.repeat(n));
  const bomb = gzipSync(Buffer.alloc(40 * 1024 * 1024, 0x20));
  const big = Buffer.alloc(6 * 1024 * 1024, 0x61);
  for (const r of routes) {
    const path = r.template.replace(/[:*](\w+)/g, (_m, name: string) =>
      encodeRaw(validParam(name, f, r.template)),
    );
    const label = `${r.method} ${r.template}`;
    const auth = r.template.startsWith('/arbiter')
      ? { cookie: f.session.cookie, origin: f.url, 'x-csrf-token': f.session.csrf }
      : r.template.endsWith('/ci')
        ? { authorization: `Bearer ${f.tokens.ci}` }
        : r.template.startsWith('/v1/arbiters')
          ? { authorization: `Bearer ${f.tokens.admin}` }
          : { authorization: `Bearer ${f.tokens.client}` };
    const add = (
      what: string,
      req: Omit<FuzzRequest, 'label' | 'method' | 'path'> & { path?: string },
    ) => out.push({ method: r.method, path, label: `${label} [${what}]`, ...req });
    for (const t of f.hostileTokens)
      add('hostile token', { headers: { authorization: `Bearer ${t}` } });
    if (r.method !== 'POST') {
      add('GET with a body', { headers: { ...auth, ...json }, body: Buffer.from('{"a":') });
      continue;
    }
    const bodies: [string, Buffer, Record<string, string>][] = [
      ['truncated JSON', Buffer.from('{"a":'), json],
      ['trailing comma', Buffer.from('{"a":1,}'), json],
      ['NUL', Buffer.from('\u0000'), json],
      ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), json],
      ['lone surrogate escape', Buffer.from('{"reason":"\\ud800","outcome":"\\udfff"}'), json],
      ['huge number', Buffer.from('{"outcome":1e999999,"ttlSec":1e999999}'), json],
      ['deep arrays', deep(20_000), json],
      ['deep objects', deepObj(10_000), json],
      ['JSON null', Buffer.from('null'), json],
      ['JSON string', Buffer.from('"x"'), json],
      [
        '__proto__',
        Buffer.from('{"__proto__":{"admin":true},"constructor":{"prototype":{}}}'),
        json,
      ],
      [
        'utf-16 charset',
        Buffer.from('{}', 'utf16le'),
        { 'content-type': 'application/json; charset=utf-16' },
      ],
      ['gzip garbage', Buffer.from('not gzip at all'), { ...json, 'content-encoding': 'gzip' }],
      ['gzip bomb (40 MB inflated)', bomb, { ...json, 'content-encoding': 'gzip' }],
      ['unknown encoding', Buffer.from('{}'), { ...json, 'content-encoding': 'zstd' }],
      ['6 MB body', big, json],
    ];
    for (const [what, body, headers] of bodies)
      add(what, { headers: { ...auth, ...headers }, body });
    add('6 MB chunked body', { headers: { ...auth, ...json }, body: big, chunked: true });
    // Deep nesting inside a field that a schema passes through (statements are loose objects).
    const nested = JSON.stringify(exampleBody(r, f)).replace(
      /^\{/,
      `{"zz":${'['.repeat(50_000)}${']'.repeat(50_000)},`,
    );
    add('deep nesting in an extra field', {
      headers: { ...auth, ...json },
      body: Buffer.from(nested),
    });
    const inner = JSON.stringify(exampleBody(r, f)).replace(
      /\{"result"/,
      `{"zz":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)},"result"`,
    );
    add('deep nesting in a nested field', {
      headers: { ...auth, ...json },
      body: Buffer.from(inner),
    });
  }
  const get = (path: string, label: string, headers: Record<string, string> = {}) =>
    out.push({ method: 'GET', path, label, headers });
  for (const p of [
    '/v1/events/%',
    '/v1/events/%E0%A4%A',
    '/v1/events/%ED%A0%80',
    '/v1/events/%00',
    '/v1/events/' + 'a/'.repeat(2000),
    '/v1/events/..%2F..%2F..%2Fetc%2Fpasswd',
    '/announcement/%FF%FE',
    '/attestation/' + 'f'.repeat(10_000),
    `/v1/contracts/${f.contractId}%00`,
    `/v1/contracts/${f.contractId}/milestones/1%2F..%2F0/dlc/offer`,
    `/v1/contracts/${f.contractId}/milestones/99999999999999999999/dlc/offer`,
    `/v1/contracts/${f.contractId}/milestones/-1/ci`,
    '/arbiter/api/disputes/1e3',
    '/arbiter/api/disputes/99999999999999999999',
    '/arbiter/../v1/oracle',
    '//v1//oracle',
    '/v1/events?limit=1&limit=2',
    '/' + 'x'.repeat(7000),
  ])
    get(p, `GET ${p.slice(0, 60)}`, {
      authorization: `Bearer ${f.tokens.client}`,
      cookie: f.session.cookie,
    });
  return out;
}

// ---- sending and judging

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** Sends one request exactly as given; resolves with the reply (an early reply ends the upload). */
export function send(base: string, r: FuzzRequest, timeoutMs = 30_000): Promise<FuzzReply> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...r.headers };
    if (r.body !== undefined && r.chunked !== true)
      headers['content-length'] = String(r.body.length);
    const req = http.request({
      host: u.hostname,
      port: u.port,
      method: r.method,
      path: r.path,
      headers,
      agent,
      timeout: timeoutMs,
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    if (r.body !== undefined) {
      // Write in pieces so that an early 413 stops the upload.
      const piece = 256 * 1024;
      let off = 0;
      const pump = () => {
        while (off < (r.body?.length ?? 0) && !answered && !req.destroyed) {
          const chunk = r.body?.subarray(off, off + piece) ?? Buffer.alloc(0);
          off += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        req.end();
      };
      pump();
    } else req.end();
  });
}

/** The security headers every response must carry (issue 9 §3). */
export function missingSecurityHeaders(h: http.IncomingHttpHeaders): string[] {
  const missing: string[] = [];
  const csp = String(h['content-security-policy'] ?? '');
  if (!/frame-ancestors 'none'/.test(csp) && !/sandbox/.test(csp))
    missing.push('CSP frame-ancestors');
  if (!/default-src/.test(csp)) missing.push('CSP default-src');
  if (h['x-content-type-options'] !== 'nosniff') missing.push('X-Content-Type-Options');
  if (h['referrer-policy'] === undefined) missing.push('Referrer-Policy');
  return missing;
}

/** What is wrong with a reply, or undefined. */
export function judge(r: FuzzRequest, reply: FuzzReply): string | undefined {
  const where = `${r.label}: ${r.method} ${r.path.slice(0, 120)}`;
  if (reply.status >= 500)
    return `${where} → ${reply.status} ${reply.body.toString('utf8').slice(0, 300)}`;
  if (reply.status >= 400 && r.method !== 'HEAD') {
    const ct = String(reply.headers['content-type'] ?? '');
    if (!ct.includes('application/json')) return `${where} → ${reply.status} not JSON (${ct})`;
    let body: unknown;
    try {
      body = JSON.parse(reply.body.toString('utf8'));
    } catch {
      return `${where} → ${reply.status} unparsable JSON`;
    }
    const e = (body as { error?: { code?: unknown; message?: unknown } }).error;
    if (typeof e?.code !== 'string' || typeof e.message !== 'string')
      return `${where} → ${reply.status} not an error body: ${reply.body.toString('utf8').slice(0, 200)}`;
  }
  const missing = missingSecurityHeaders(reply.headers);
  if (missing.length > 0) return `${where} → ${reply.status} without ${missing.join(', ')}`;
  return undefined;
}

export interface FuzzReport {
  readonly routes: number;
  readonly requests: number;
  readonly byStatus: Record<string, number>;
  readonly violations: readonly string[];
}

/** Sends `fixed` then `randomPerRoute` random requests per route; collects every violation. */
export async function runFuzz(opts: {
  url: string;
  fixture: Fixture;
  routes: readonly RouteSpec[];
  randomPerRoute: number;
  seed: number;
  fixed?: boolean;
  onProgress?: (done: number) => void;
}): Promise<FuzzReport> {
  const reqs: FuzzRequest[] = opts.fixed === false ? [] : fixedCases(opts.routes, opts.fixture);
  for (const [i, route] of opts.routes.entries()) {
    reqs.push(
      ...fc.sample(requestArb(route, opts.fixture), {
        numRuns: opts.randomPerRoute,
        seed: opts.seed + i,
      }),
    );
  }
  const byStatus: Record<string, number> = {};
  const violations: string[] = [];
  let done = 0;
  const queue = [...reqs];
  const worker = async () => {
    for (let r = queue.shift(); r !== undefined; r = queue.shift()) {
      let reply: FuzzReply;
      try {
        reply = await send(opts.url, r);
      } catch (e) {
        violations.push(
          `${r.label}: ${r.method} ${r.path.slice(0, 120)} → no reply (${e instanceof Error ? e.message : String(e)})`,
        );
        continue;
      }
      byStatus[reply.status] = (byStatus[reply.status] ?? 0) + 1;
      const v = judge(r, reply);
      if (v !== undefined) violations.push(v);
      done += 1;
      if (done % 500 === 0) opts.onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return { routes: opts.routes.length, requests: done, byStatus, violations };
}
