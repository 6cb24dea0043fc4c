/**
 * Every error path with its code, and every response checked against the OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jwt from 'jsonwebtoken';
import {
  call,
  contractRequest,
  createContract,
  DAY,
  eventPath,
  expectError,
  expectOk,
  milestoneUrl,
  startTestServer,
  type CreatedContract,
  type EventList,
  type Reply,
  type TestServer,
} from './helpers.ts';
import { OpenApiValidator } from './openapi-validator.ts';

let s: TestServer;
let api: OpenApiValidator;
let c: CreatedContract;

/** Calls and validates the reply against the documented response of `template`. */
async function checked<T = unknown>(
  method: string,
  template: string,
  path: string,
  opts: Parameters<typeof call>[3] = {},
): Promise<Reply<T>> {
  const r = await call<T>(s.url, method, path, opts);
  api.expectValid(method, template, r);
  return r;
}

const M = '/v1/contracts/{id}/milestones/{index}';

beforeAll(async () => {
  s = await startTestServer();
  const doc = expectOk(
    await call<ConstructorParameters<typeof OpenApiValidator>[0]>(s.url, 'GET', '/v1/openapi.json'),
  );
  api = new OpenApiValidator(doc);
  c = await createContract(s, [{ outcome: 'share' }, { outcome: 'enum' }]);
});
afterAll(async () => {
  await s.dispose();
});

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 and describes every route of the role × route table', async () => {
    const doc = (
      await call<{ openapi: string; paths: Record<string, unknown> }>(
        s.url,
        'GET',
        '/v1/openapi.json',
      )
    ).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(JSON.stringify(doc)).not.toContain('__shared');
    expect(Object.keys(doc.paths).length).toBeGreaterThanOrEqual(22);
    const docs = await call<string>(s.url, 'GET', '/docs');
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toContain('text/html');
    expect(docs.body).toContain('/v1/contracts/{id}/milestones/{index}/accept');
  });

  it('matches real responses of every success path', async () => {
    const id = c.contract.id;
    const [m0, m1] = c.contract.milestones;
    await checked('GET', '/healthz', '/healthz');
    await checked('GET', '/v1/oracle', '/v1/oracle');
    await checked('GET', '/v1/events', '/v1/events?limit=1');
    await checked('GET', '/v1/events/{eventId}', `/v1/events/${eventPath(m0!.eventId)}`);
    await checked('GET', '/v1/contracts/{id}', `/v1/contracts/${id}`, { token: c.tokens.client });
    await checked('GET', '/v1/contracts/{id}/terms', `/v1/contracts/${id}/terms`, {
      token: c.tokens.client,
    });
    await checked('POST', `${M}/deliver`, milestoneUrl(id, 0, 'deliver'), {
      token: c.tokens.freelancer,
      body: { commitSha: 'f'.repeat(40), note: 'v1' },
    });
    await checked('POST', `${M}/propose`, milestoneUrl(id, 1, 'propose'), {
      token: c.tokens.client,
      body: { outcome: 'rejected' },
    });
    await checked('POST', `${M}/accept-proposal`, milestoneUrl(id, 1, 'accept-proposal'), {
      token: c.tokens.freelancer,
      body: { outcome: 'rejected' },
    });
    await checked('POST', `${M}/accept`, milestoneUrl(id, 0, 'accept'), { token: c.tokens.client });
    await checked(
      'GET',
      '/v1/events/{eventId}/attestation',
      `/v1/events/${eventPath(m1!.eventId)}/attestation`,
    );
    await checked('GET', '/v1/contracts/{id}/log', `/v1/contracts/${id}/log`, {
      token: c.tokens.freelancer,
    });
    await checked('GET', '/v1/contracts/{id}/log/chain', `/v1/contracts/${id}/log/chain`);
    await checked('GET', '/v1/events/{eventId}', `/v1/events/${eventPath(m0!.eventId)}`, {
      token: c.tokens.client,
    });
    await checked('GET', '/pubkey', '/pubkey');
    await checked('GET', '/list-events', '/list-events');
    await checked('GET', '/announcement/{eventId}', `/announcement/${m0!.eventId}`);
    await checked('GET', '/attestation/{eventId}', `/attestation/${m0!.eventId}`);
    const d = await createContract(s);
    await checked('POST', `${M}/deliver`, milestoneUrl(d.contract.id, 0, 'deliver'), {
      token: d.tokens.freelancer,
      body: { artifactDigest: `sha256:${'1'.repeat(64)}` },
    });
    await checked('POST', `${M}/dispute`, milestoneUrl(d.contract.id, 0, 'dispute'), {
      token: d.tokens.freelancer,
      body: { reason: 'no reply' },
    });
    await checked('POST', `${M}/dlc/{kind}`, milestoneUrl(d.contract.id, 0, 'dlc/offer'), {
      token: d.tokens.client,
      body: { hex: 'a71a' + '00'.repeat(40) },
    });
    await checked('GET', `${M}/dlc/{kind}`, milestoneUrl(d.contract.id, 0, 'dlc/offer'), {
      token: d.tokens.freelancer,
    });
    const created = await checked('POST', '/v1/contracts', '/v1/contracts', {
      body: contractRequest(s.clock.t),
    });
    expect(created.status).toBe(201);
    expect(api.checked).toBeGreaterThanOrEqual(20);
  });
});

describe('error paths', () => {
  it('malformed JSON → 400 invalid_json, not a 500', async () => {
    const r = await checked('POST', '/v1/contracts', '/v1/contracts', { rawBody: '{"client": ' });
    expectError(r, 400, 'invalid_json');
  });

  it('a body over the limit → 413 payload_too_large', async () => {
    const r = await checked('POST', '/v1/contracts', '/v1/contracts', {
      body: { title: 'x'.repeat(100_000) },
    });
    expectError(r, 413, 'payload_too_large');
  });

  it('a body that breaks the schema → 400 invalid_request with the issues', async () => {
    const bad = contractRequest(s.clock.t, [{ amountSat: 150000 }]);
    const r = await checked<{ error: { details: { issues: { path: string }[] } } }>(
      'POST',
      '/v1/contracts',
      '/v1/contracts',
      { body: bad },
    );
    expectError(r, 400, 'invalid_request');
    expect(r.body.error.details.issues.map((i) => i.path)).toContain('milestones.0.amountSat');
    for (const body of [
      { ...contractRequest(s.clock.t), unknownField: 1 },
      contractRequest(s.clock.t, [{ deliveryDeadline: s.clock.t - 1 }]),
      contractRequest(s.clock.t, [{ outcome: 'enum', defaultOnSilence: 50 }]),
      contractRequest(s.clock.t, [{ dispute: { panel: { arbiters: ['alice'] } } }]),
      contractRequest(s.clock.t, [{ dispute: { panel: { poolSize: 3 }, quorum: 4 } }]),
      { ...contractRequest(s.clock.t), freelancer: { id: 'alice', name: 'Also Alice' } },
      { ...contractRequest(s.clock.t), milestones: [] },
    ]) {
      expectError(
        await checked('POST', '/v1/contracts', '/v1/contracts', { body }),
        400,
        'invalid_request',
      );
    }
  });

  it('unknown routes → 404 not_found; unknown contract, milestone and event → their codes', async () => {
    expectError(await call(s.url, 'GET', '/nope'), 404, 'not_found');
    expectError(await call(s.url, 'DELETE', '/v1/events'), 404, 'not_found');
    const admin = s.ctx.tokens.issueAdminToken(60);
    expectError(
      await checked('GET', '/v1/contracts/{id}', '/v1/contracts/0000000000000000', {
        token: admin,
      }),
      404,
      'contract_not_found',
    );
    expectError(
      await checked('GET', '/v1/contracts/{id}/terms', '/v1/contracts/zz/terms', {
        token: admin,
      }),
      404,
      'contract_not_found',
    );
    expectError(
      await checked('GET', '/v1/contracts/{id}/log', '/v1/contracts/0000000000000000/log', {
        token: admin,
      }),
      404,
      'contract_not_found',
    );
    expectError(
      await checked(
        'GET',
        '/v1/contracts/{id}/log/chain',
        '/v1/contracts/0000000000000000/log/chain',
      ),
      404,
      'contract_not_found',
    );
    expectError(
      await checked('POST', `${M}/accept`, milestoneUrl(c.contract.id, 7, 'accept'), {
        token: c.tokens.client,
      }),
      404,
      'milestone_not_found',
    );
    expectError(
      await checked('GET', '/v1/events/{eventId}', `/v1/events/${eventPath('verdict/none/0/00')}`),
      404,
      'event_not_found',
    );
    expectError(
      await checked('GET', '/announcement/{eventId}', '/announcement/verdict/none/0/00'),
      404,
      'event_not_found',
    );
    expectError(
      await checked('GET', '/attestation/{eventId}', '/attestation/verdict/none/0/00'),
      404,
      'event_not_found',
    );
    const fresh = await createContract(s);
    const ev = fresh.contract.milestones[0]!.eventId;
    expectError(
      await checked(
        'GET',
        '/v1/events/{eventId}/attestation',
        `/v1/events/${eventPath(ev)}/attestation`,
      ),
      404,
      'not_attested',
    );
    expectError(
      await checked('GET', '/attestation/{eventId}', `/attestation/${ev}`),
      404,
      'not_attested',
    );
    // Unencoded slashes work too.
    expectOk(await call(s.url, 'GET', `/v1/events/${ev}`));
    // A malformed percent-escape is the client's error, not ours.
    expect((await call(s.url, 'GET', '/v1/events/%E0%A4%A')).status).toBeLessThan(500);
  });

  it('bad query strings → 400 invalid_request', async () => {
    for (const q of [
      'limit=0',
      'limit=501',
      'limit=x',
      'status=done',
      'cursor=!!',
      'cursor=bm9wZQ',
      'foo=1',
    ]) {
      expectError(await checked('GET', '/v1/events', `/v1/events?${q}`), 400, 'invalid_request');
    }
  });

  it('an empty bearer token is named as such (an unset shell variable), not just "invalid"', async () => {
    for (const header of ['Bearer ', 'Bearer', 'bearer  ']) {
      const r = await checked('POST', `${M}/accept`, milestoneUrl(c.contract.id, 0, 'accept'), {
        headers: { authorization: header },
      });
      expectError(r, 401, 'invalid_token');
      expect((r.body as { error: { message: string } }).error.message).toMatch(
        /bearer token is empty/,
      );
    }
    const r = await call(s.url, 'GET', `/v1/contracts/${c.contract.id}`, {
      headers: { authorization: 'Basic abc' },
    });
    expectError(r, 401, 'invalid_token');
    expect((r.body as { error: { message: string } }).error.message).not.toMatch(/empty/);
  });

  it('milestone actions in the wrong state or with a bad outcome', async () => {
    const d = await createContract(s, [{ outcome: 'share' }, { outcome: 'enum' }]);
    const id = d.contract.id;
    expectError(
      await checked('POST', `${M}/accept`, milestoneUrl(id, 0, 'accept'), {
        token: d.tokens.client,
      }),
      409,
      'invalid_transition',
    );
    expectError(
      await checked('POST', `${M}/dispute`, milestoneUrl(id, 0, 'dispute'), {
        token: d.tokens.client,
        body: { reason: 'early' },
      }),
      409,
      'invalid_transition',
    );
    expectError(
      await checked('POST', `${M}/deliver`, milestoneUrl(id, 0, 'deliver'), {
        token: d.tokens.freelancer,
        body: { note: 'no digest' },
      }),
      400,
      'invalid_request',
    );
    expectError(
      await checked('POST', `${M}/deliver`, milestoneUrl(id, 0, 'deliver'), {
        token: d.tokens.freelancer,
        body: { commitSha: 'XYZ' },
      }),
      400,
      'invalid_request',
    );
    for (const [index, outcome] of [
      [0, 101],
      [0, -1],
      [0, 2.5],
      [0, 'maybe'],
      [1, 50],
      [1, 'ACCEPTED'],
    ] as const) {
      expectError(
        await checked('POST', `${M}/propose`, milestoneUrl(id, index, 'propose'), {
          token: d.tokens.client,
          body: { outcome },
        }),
        400,
        'invalid_outcome',
      );
    }
    expectError(
      await checked('POST', `${M}/accept-proposal`, milestoneUrl(id, 0, 'accept-proposal'), {
        token: d.tokens.client,
        body: { outcome: 10 },
      }),
      409,
      'no_matching_proposal',
    );
    expectError(
      await checked('POST', `${M}/deliver`, milestoneUrl(id, 0, 'deliver'), {
        token: d.tokens.client,
        body: { commitSha: 'a'.repeat(40) },
      }),
      403,
      'wrong_role',
    );
    expectError(
      await checked('POST', `${M}/accept`, milestoneUrl(id, 0, 'accept'), {
        token: d.tokens.freelancer,
      }),
      403,
      'wrong_role',
    );
  });

  it('conflicting decision after attestation → 409 event_already_attested', async () => {
    const d = await createContract(s);
    const id = d.contract.id;
    expectOk(
      await call(s.url, 'POST', milestoneUrl(id, 0, 'propose'), {
        token: d.tokens.client,
        body: { outcome: 20 },
      }),
    );
    expectOk(
      await call(s.url, 'POST', milestoneUrl(id, 0, 'accept-proposal'), {
        token: d.tokens.freelancer,
        body: { outcome: 20 },
      }),
    );
    expectError(
      await checked('POST', `${M}/accept-proposal`, milestoneUrl(id, 0, 'accept-proposal'), {
        token: d.tokens.freelancer,
        body: { outcome: 70 },
      }),
      409,
      'event_already_attested',
    );
    // …while the same outcome again returns the stored attestation.
    const again = await checked<{ created: boolean }>(
      'POST',
      `${M}/accept-proposal`,
      milestoneUrl(id, 0, 'accept-proposal'),
      {
        token: d.tokens.freelancer,
        body: { outcome: 20 },
      },
    );
    expect(again.status).toBe(200);
    expect(again.body.created).toBe(false);
  });

  it('DLC relay: message type, order, sender and size are checked', async () => {
    const d = await createContract(s);
    const id = d.contract.id;
    const post = (kind: string, token: string, hex: string) =>
      checked('POST', `${M}/dlc/{kind}`, milestoneUrl(id, 0, `dlc/${kind}`), {
        token,
        body: { hex },
      });
    const offer = 'a71a' + '11'.repeat(100);
    const accept = 'a71c' + '22'.repeat(100);
    const sign = 'a71e' + '33'.repeat(100);
    expectError(
      await checked('GET', `${M}/dlc/{kind}`, milestoneUrl(id, 0, 'dlc/offer'), {
        token: d.tokens.client,
      }),
      404,
      'dlc_message_not_found',
    );
    expectError(await post('accept', d.tokens.freelancer, accept), 409, 'dlc_message_out_of_order');
    expectError(await post('offer', d.tokens.client, accept), 400, 'invalid_dlc_message');
    expectError(await post('offer', d.tokens.client, 'A71A00'), 400, 'invalid_request');
    expectError(await post('offer', d.tokens.client, 'a71'), 400, 'invalid_request');
    expectOk(await post('offer', d.tokens.client, offer), 201);
    expectError(await post('offer', d.tokens.freelancer, offer), 403, 'wrong_role');
    expectError(await post('sign', d.tokens.client, sign), 409, 'dlc_message_out_of_order');
    expectError(await post('accept', d.tokens.client, accept), 403, 'wrong_role');
    expectOk(await post('accept', d.tokens.freelancer, accept), 201);
    expectError(await post('sign', d.tokens.freelancer, sign), 403, 'wrong_role');
    expectOk(await post('sign', d.tokens.client, sign), 201);
    expectError(await post('offer', d.tokens.client, offer), 409, 'dlc_message_out_of_order');
    const got = expectOk(
      await call<{ hex: string; senderRole: string }>(
        s.url,
        'GET',
        milestoneUrl(id, 0, 'dlc/accept'),
        { token: d.tokens.client },
      ),
    );
    expect(got).toMatchObject({ hex: accept, senderRole: 'freelancer' });
    expectError(
      await call(s.url, 'GET', milestoneUrl(id, 0, 'dlc/refund'), { token: d.tokens.client }),
      404,
      'not_found',
    );
    const big = 'a71a' + '00'.repeat(s.ctx.config.dlcMessageMaxBytes);
    expectError(await post('offer', d.tokens.client, big), 413, 'payload_too_large');
  });

  it('tokens: missing, malformed, expired, foreign, unsigned', async () => {
    const url = `/v1/contracts/${c.contract.id}`;
    expectError(await checked('GET', '/v1/contracts/{id}', url), 401, 'unauthorized');
    expectError(
      await checked('GET', '/v1/contracts/{id}', url, { headers: { authorization: 'Basic abc' } }),
      401,
      'invalid_token',
    );
    expectError(
      await checked('GET', '/v1/contracts/{id}', url, { token: 'not.a.jwt' }),
      401,
      'invalid_token',
    );
    const claims = { typ: 'party', cid: c.contract.id, role: 'client' };
    const opts = { subject: 'alice', issuer: 'verdict-oracle', audience: 'verdict-api' };
    const foreign = jwt.sign(claims, 'another secret that is long enough to be used', {
      ...opts,
      algorithm: 'HS256',
    });
    expectError(
      await checked('GET', '/v1/contracts/{id}', url, { token: foreign }),
      401,
      'invalid_token',
    );
    const unsigned = jwt.sign(claims, '', { ...opts, algorithm: 'none' });
    expectError(
      await checked('GET', '/v1/contracts/{id}', url, { token: unsigned }),
      401,
      'invalid_token',
    );
    const expired = s.ctx.tokens.issuePartyToken({
      partyId: 'alice',
      contractId: c.contract.id,
      role: 'client',
      ttlSec: -10,
    });
    expectError(
      await checked('GET', '/v1/contracts/{id}', url, { token: expired }),
      401,
      'invalid_token',
    );
    // A bad token is refused even on a public route: no silent downgrade to anonymous.
    expectError(await call(s.url, 'GET', '/v1/oracle', { token: 'garbage' }), 401, 'invalid_token');
  });
});

describe('HTTP caching', () => {
  it('attestations and announcements carry strong ETags; attestations are immutable', async () => {
    const d = await createContract(s);
    const ev = d.contract.milestones[0]!.eventId;
    const ann = await call(s.url, 'GET', `/announcement/${ev}`);
    const etag = ann.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const again = await call(s.url, 'GET', `/announcement/${ev}`, {
      headers: { 'if-none-match': etag! },
    });
    expect(again.status).toBe(304);
    expectOk(
      await call(s.url, 'POST', milestoneUrl(d.contract.id, 0, 'deliver'), {
        token: d.tokens.freelancer,
        body: { commitSha: 'e'.repeat(40) },
      }),
    );
    expectOk(
      await call(s.url, 'POST', milestoneUrl(d.contract.id, 0, 'accept'), {
        token: d.tokens.client,
      }),
    );
    const att = await call(s.url, 'GET', `/v1/events/${eventPath(ev)}/attestation`);
    expect(att.headers.get('cache-control')).toContain('immutable');
    expect(att.headers.get('etag')).toMatch(/^"/);
  });
});

describe('events listing', () => {
  it('pages with a cursor, filters by status, never repeats or skips', async () => {
    for (let i = 0; i < 3; i++) await createContract(s, [{}, {}]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: EventList = expectOk(
        await checked<EventList>(
          'GET',
          '/v1/events',
          `/v1/events?limit=4${cursor === null ? '' : `&cursor=${cursor}`}`,
        ),
      );
      expect(page.events.length).toBeLessThanOrEqual(4);
      seen.push(...page.events.map((e) => e.eventId));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(s.ctx.stores.counts().announcements);
    const attested = expectOk(
      await call<EventList>(s.url, 'GET', '/v1/events?status=attested&limit=500'),
    );
    expect(
      attested.events.every((e) => e.status === 'attested' && e.attestationHex !== undefined),
    ).toBe(true);
    expect(attested.events.length).toBe(s.ctx.stores.counts().attestations);
  });

  it('serves Prometheus metrics', async () => {
    const m = await call<string>(s.url, 'GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.body).toMatch(/^verdict_http_requests_total\{route="oracle",status="200"\} \d+$/m);
    expect(m.body).toMatch(/^verdict_attestations_total \d+$/m);
    expect(m.body).toMatch(/^# TYPE verdict_http_request_duration_seconds histogram$/m);
  });

  it('keeps its figures beside the clock', () => {
    expect(DAY).toBe(86_400);
  });
});
