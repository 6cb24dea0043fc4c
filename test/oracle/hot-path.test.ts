/**
 * The event route's fast path (oracle/http/event-answers.ts) answers cached reads ahead of every
 * other layer: its answers must be the full route's, byte for byte and header for header.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  createContract,
  eventPath,
  expectError,
  expectOk,
  milestoneUrl,
  startTestServer,
  type CreatedContract,
  type EventView,
  type TestServer,
} from './helpers.ts';

let s: TestServer;
let c: CreatedContract;

beforeAll(async () => {
  s = await startTestServer();
  c = await createContract(s, [{ outcome: 'share' }, { outcome: 'enum' }]);
});
afterAll(async () => {
  await s.dispose();
});

const PER_CONNECTION = new Set(['date', 'connection', 'keep-alive']);

/** Status, headers (minus the per-connection ones) and body bytes of one request. */
async function raw(path: string, init: RequestInit = {}) {
  const res = await fetch(s.url + path, init);
  const headers: [string, string][] = [];
  res.headers.forEach((v, k) => {
    if (!PER_CONNECTION.has(k)) headers.push([k, v]);
  });
  return { status: res.status, headers, body: Buffer.from(await res.arrayBuffer()) };
}

const SECURITY = {
  'content-security-policy':
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

function expectSecurityHeaders(headers: [string, string][]): void {
  expect(Object.fromEntries(headers)).toMatchObject(SECURITY);
}

describe('GET /v1/events/:eventId, cached', () => {
  it('answers a repeated read exactly as the first, for an open event', async () => {
    const path = `/v1/events/${eventPath(c.contract.milestones[1]!.eventId)}`;
    const first = await raw(path);
    expect(first.status).toBe(200);
    expectSecurityHeaders(first.headers);
    expect(Object.fromEntries(first.headers)).toMatchObject({
      'cache-control': 'public, no-cache',
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(first.body.length),
    });
    for (let i = 0; i < 3; i++) expect(await raw(path)).toEqual(first);
    // Other spellings of the same URL, as the router reads them.
    const id = c.contract.milestones[1]!.eventId;
    expect(await raw(`${path}?x=1`)).toEqual(first);
    expect(await raw(`/V1/Events/${eventPath(id)}`)).toEqual(first);
    expect(await raw(`/v1/events/${id}`)).toEqual(first);
    const malformed = await raw(`/v1/events/${eventPath(id)}%E0%A4%A`);
    expect(malformed.status).toBe(400);
    expectSecurityHeaders(malformed.headers);
  });

  it('follows the milestone state, then serves the attested answer and its attestation', async () => {
    const d = await createContract(s);
    const ev = d.contract.milestones[0]!.eventId;
    const path = `/v1/events/${eventPath(ev)}`;
    const open = await raw(path);
    expect((JSON.parse(open.body.toString()) as EventView).status).toBe('open');
    expect(await raw(path)).toEqual(open);
    expectOk(
      await call(s.url, 'POST', milestoneUrl(d.contract.id, 0, 'deliver'), {
        token: d.tokens.freelancer,
        body: { commitSha: 'e'.repeat(40) },
      }),
    );
    const delivered = await raw(path);
    // The public sees open/attested only (issue 19 §11); the state with the freelancer's token.
    expect((JSON.parse(delivered.body.toString()) as EventView).status).toBe('open');
    expect(await raw(path)).toEqual(delivered);
    const own = await raw(path, { headers: { authorization: `Bearer ${d.tokens.freelancer}` } });
    expect((JSON.parse(own.body.toString()) as EventView).status).toBe('delivered');
    expect(Object.fromEntries(own.headers)['cache-control']).toBe('private, no-cache');
    // The party's answer was not cached for the public.
    expect(await raw(path)).toEqual(delivered);
    expectError(await call(s.url, 'GET', `${path}/attestation`), 404, 'not_attested');
    expectOk(
      await call(s.url, 'POST', milestoneUrl(d.contract.id, 0, 'accept'), {
        token: d.tokens.client,
      }),
    );
    const attested = await raw(path);
    const view = JSON.parse(attested.body.toString()) as EventView;
    expect(view.status).toBe('attested');
    expect(view.attestationHex).toMatch(/^[0-9a-f]+$/);
    expect(await raw(path)).toEqual(attested);
    const att = await raw(`${path}/attestation`);
    expect(att.status).toBe(200);
    expectSecurityHeaders(att.headers);
    expect(Object.fromEntries(att.headers)['cache-control']).toBe(
      'public, max-age=31536000, immutable',
    );
    expect(await raw(`${path}/attestation`)).toEqual(att);
  });

  it('keeps conditional requests, HEAD, tokens and unknown events on the full route', async () => {
    const path = `/v1/events/${eventPath(c.contract.milestones[0]!.eventId)}`;
    const ok = await raw(path);
    const etag = Object.fromEntries(ok.headers)['etag'] ?? '';
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const notModified = await raw(path, { headers: { 'if-none-match': etag } });
    expect(notModified.status).toBe(304);
    expectSecurityHeaders(notModified.headers);
    const head = await raw(path, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers).toEqual(ok.headers);
    // A token must be valid even on a public route (authorize), cached answer or not.
    const bad = await raw(path, { headers: { authorization: 'Bearer garbage' } });
    expect(bad.status).toBe(401);
    expectSecurityHeaders(bad.headers);
    // Another contract's party gets the public answer; the contract's own party its private one.
    const stranger = (await createContract(s)).tokens.client;
    expect(await raw(path, { headers: { authorization: `Bearer ${stranger}` } })).toEqual(ok);
    const own = await raw(path, { headers: { authorization: `Bearer ${c.tokens.client}` } });
    expect(own.status).toBe(200);
    expect(Object.fromEntries(own.headers)['cache-control']).toBe('private, no-cache');
    const missing = await raw('/v1/events/verdict%2Fnope%2F0%2F0');
    expect(missing.status).toBe(404);
    expectSecurityHeaders(missing.headers);
  });

  it('counts cached reads in the route metrics', async () => {
    const path = `/v1/events/${eventPath(c.contract.milestones[0]!.eventId)}`;
    const count = async () => {
      const m = await call<string>(s.url, 'GET', '/metrics');
      const line = /^verdict_http_requests_total\{route="event",status="200"\} (\d+)$/m.exec(
        m.body,
      );
      return Number(line?.[1] ?? 0);
    };
    await raw(path);
    const before = await count();
    for (let i = 0; i < 5; i++) await raw(path);
    expect(await count()).toBe(before + 5);
  });
});
