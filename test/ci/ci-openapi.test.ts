/** The CI routes' real replies validate against the service's OpenAPI document. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestServer, type Reply, type TestServer } from '../oracle/helpers.ts';
import { OpenApiValidator } from '../oracle/openapi-validator.ts';
import {
  createContract,
  deliver,
  failing,
  OIDC_POLICY,
  OTHER_SHA,
  passing,
  submit,
  TOKEN_POLICY,
} from './helpers.ts';
import { LocalOidcIssuer } from './oidc-issuer.ts';

const P = '/v1/contracts/{id}/milestones/{index}/ci';

describe('CI routes in the OpenAPI document', () => {
  const issuer = new LocalOidcIssuer();
  let s: TestServer;
  let v: OpenApiValidator;

  beforeAll(async () => {
    await issuer.start();
    s = await startTestServer({
      env: { VERDICT_CI_OIDC_ISSUER: issuer.issuer, VERDICT_CI_OIDC_AUDIENCE: 'verdict-test' },
    });
    const doc = await call<ConstructorParameters<typeof OpenApiValidator>[0]>(
      s.url,
      'GET',
      '/v1/openapi.json',
    );
    v = new OpenApiValidator(doc.body);
  });
  afterAll(async () => {
    await s.dispose();
    await issuer.stop();
  });

  it('every reply of a CI session matches its documented schema', async () => {
    const c = await createContract(s, [{ ci: TOKEN_POLICY }, { ci: OIDC_POLICY }, {}]);
    await deliver(s, c, 0);
    await deliver(s, c, 1);
    const replies: [string, string, Reply][] = [];
    const issued = await call<{ token: string; jti: string }>(
      s.url,
      'POST',
      `/v1/contracts/${c.id}/milestones/0/ci/tokens`,
      { token: c.tokens.client, body: { ttlSec: 3600 } },
    );
    replies.push(['POST', `${P}/tokens`, issued]);
    replies.push([
      'GET',
      `${P}/tokens`,
      await call(s.url, 'GET', `/v1/contracts/${c.id}/milestones/0/ci/tokens`, {
        token: c.tokens.freelancer,
      }),
    ]);
    replies.push(['POST', P, await submit(s, c, 0, issued.body.token, failing())]);
    replies.push(['POST', P, await submit(s, c, 0, issued.body.token, passing(OTHER_SHA))]);
    replies.push(['POST', P, await submit(s, c, 0, issued.body.token, { nope: true })]);
    replies.push(['POST', P, await submit(s, c, 0, 'not-a-jwt', passing())]);
    replies.push(['POST', P, await submit(s, c, 2, issued.body.token, passing())]);
    replies.push([
      'POST',
      P,
      await submit(
        s,
        c,
        1,
        issuer.token({ aud: 'verdict-test', repository: 'x/y' }, { nowSec: s.clock.t }),
        passing(),
      ),
    ]);
    replies.push(['POST', P, await submit(s, c, 0, issued.body.token, passing())]);
    replies.push([
      'GET',
      P,
      await call(s.url, 'GET', `/v1/contracts/${c.id}/milestones/0/ci`, { token: c.tokens.client }),
    ]);
    replies.push([
      'POST',
      `${P}/tokens/{jti}/revoke`,
      await call(
        s.url,
        'POST',
        `/v1/contracts/${c.id}/milestones/0/ci/tokens/${issued.body.jti}/revoke`,
        {
          token: c.tokens.client,
        },
      ),
    ]);
    replies.push([
      'POST',
      `${P}/tokens`,
      await call(s.url, 'POST', `/v1/contracts/${c.id}/milestones/0/ci/tokens`, {
        token: c.tokens.freelancer,
        body: {},
      }),
    ]);
    expect(replies.map(([, , r]) => r.status)).toEqual([
      201, 200, 422, 409, 400, 401, 409, 403, 201, 200, 200, 403,
    ]);
    for (const [method, path, reply] of replies) v.expectValid(method, path, reply);
    expect(v.checked).toBe(replies.length);
  });
});
