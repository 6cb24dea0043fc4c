/** The arbitration routes' real replies validate against the service's OpenAPI document. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  DAY,
  milestoneUrl,
  startTestServer,
  type Reply,
  type TestServer,
} from '../oracle/helpers.ts';
import { OpenApiValidator } from '../oracle/openapi-validator.ts';
import { activeArbiters, adminToken, disputedContract, disputeIdFor, vote } from './helpers.ts';

const D = '/v1/contracts/{id}/milestones/{index}/dispute';

describe('arbitration routes in the OpenAPI document', () => {
  let s: TestServer;
  let v: OpenApiValidator;
  beforeAll(async () => {
    s = await startTestServer();
    const doc = await call<ConstructorParameters<typeof OpenApiValidator>[0]>(
      s.url,
      'GET',
      '/v1/openapi.json',
    );
    v = new OpenApiValidator(doc.body);
  });
  afterAll(async () => {
    await s.dispose();
  });

  it('every reply of a dispute session matches its documented schema', async () => {
    const replies: [string, string, Reply][] = [];
    const admin = adminToken(s);
    const record = async (method: string, path: string, r: Promise<Reply>) => {
      replies.push([method, path, await r]);
      return replies.at(-1)![2];
    };
    await record(
      'POST',
      '/v1/arbiters',
      call(s.url, 'POST', '/v1/arbiters', { token: admin, body: { id: 'o0', displayName: 'O' } }),
    );
    await record(
      'POST',
      '/v1/arbiters',
      call(s.url, 'POST', '/v1/arbiters', { token: admin, body: { id: 'o0', displayName: 'O' } }),
    );
    await record(
      'POST',
      '/v1/arbiters/{arbiterId}/invite',
      call(s.url, 'POST', '/v1/arbiters/o0/invite', { token: admin, body: {} }),
    );
    await record(
      'POST',
      '/v1/arbiters/{arbiterId}/disable',
      call(s.url, 'POST', '/v1/arbiters/o0/disable', { token: admin }),
    );
    await record(
      'POST',
      '/v1/arbiters/{arbiterId}/disable',
      call(s.url, 'POST', '/v1/arbiters/nobody/disable', { token: admin }),
    );
    const arbiters = await activeArbiters(s, ['o1', 'o2', 'o3']);
    await record('GET', '/v1/arbiters', call(s.url, 'GET', '/v1/arbiters', { token: admin }));
    const c = await disputedContract(s, {
      dispute: { panel: { poolSize: 3 }, quorum: 2, appealAllowed: true },
    });
    const url = (a: string) => milestoneUrl(c.contract.id, 0, a);
    await record('GET', D, call(s.url, 'GET', url('dispute'), { token: c.tokens.client }));
    await record(
      'POST',
      `${D}/evidence`,
      call(s.url, 'POST', url('dispute/evidence'), {
        token: c.tokens.client,
        body: { kind: 'statement', text: 'x' },
      }),
    );
    const file = await record(
      'POST',
      `${D}/evidence`,
      call(s.url, 'POST', url('dispute/evidence'), {
        token: c.tokens.freelancer,
        body: { kind: 'file', fileName: 'a.txt', contentType: 'text/plain', contentBase64: 'aGk=' },
      }),
    );
    const id = (file.body as { evidence: { id: number } }).evidence.id;
    await record(
      'GET',
      `${D}/evidence/{evidenceId}/file`,
      call(s.url, 'GET', url(`dispute/evidence/${id}/file`), { token: admin }),
    );
    await record(
      'POST',
      `${D}/evidence`,
      call(s.url, 'POST', url('dispute/evidence'), {
        token: c.tokens.client,
        body: { kind: 'nope' },
      }),
    );
    await record(
      'POST',
      `${D}/appeal`,
      call(s.url, 'POST', url('dispute/appeal'), {
        token: c.tokens.client,
        body: { reason: 'early' },
      }),
    );
    s.clock.advance(DAY);
    const d = await disputeIdFor(s, arbiters[0]!, c.contract.id);
    // Two of three vote: the round runs to its deadline (all three would close it at once).
    for (const [i, a] of arbiters.slice(0, 2).entries())
      expect((await vote(s, a, d, 10 * (i + 1))).status).toBe(204);
    await record('GET', D, call(s.url, 'GET', url('dispute'), { token: c.tokens.freelancer }));
    s.clock.advance(DAY);
    await record('GET', D, call(s.url, 'GET', url('dispute'), { token: admin }));
    expect(s.ctx.stores.milestoneByIndex(c.contract.id, 0)?.state).toBe('disputed');
    // Not enough arbiters left for the appeal's seven seats: the round opens short, as documented.
    await record(
      'POST',
      `${D}/appeal`,
      call(s.url, 'POST', url('dispute/appeal'), {
        token: c.tokens.client,
        body: { reason: 'again' },
      }),
    );
    s.clock.advance(2 * DAY);
    s.scheduler.tick();
    await record('GET', D, call(s.url, 'GET', url('dispute'), { token: c.tokens.client }));
    await record(
      'GET',
      D,
      call(s.url, 'GET', milestoneUrl(c.contract.id, 5, 'dispute'), { token: c.tokens.client }),
    );

    expect(replies.map(([, , r]) => r.status)).toEqual([
      201, 409, 201, 200, 404, 200, 200, 201, 201, 200, 400, 409, 200, 200, 201, 200, 404,
    ]);
    for (const [method, path, r] of replies) v.expectValid(method, path, r);
    // Every JSON reply was checked against a schema (the attachment download is binary).
    expect(v.checked).toBe(replies.length - 1);
  });
});
