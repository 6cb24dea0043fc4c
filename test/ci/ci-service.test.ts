/**
 * Issue 7 acceptance, over HTTP: the real app on an ephemeral port over a real SQLite file, a
 * local OIDC issuer with its own RSA keys and a JWKS served on loopback.
 */
import { createHmac } from 'node:crypto';
import { hexToBytes } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attestedValue, verifyAttestation } from '../../src/dlc/attestation.ts';
import { decodeAnnouncement, decodeAttestation } from '../../src/dlc/oracle-codec.ts';
import { verifyAuditChain, auditEntrySchema } from '../../oracle/domain/audit-log.ts';
import { call, eventPath, startTestServer, type TestServer } from '../oracle/helpers.ts';
import {
  createContract,
  deliver,
  failing,
  OIDC_POLICY,
  OTHER_SHA,
  passing,
  SHA,
  submit,
  TOKEN_POLICY,
  type CreatedContract,
} from './helpers.ts';
import { b64url, LocalOidcIssuer } from './oidc-issuer.ts';

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

async function expectAttestationVerifies(
  s: TestServer,
  eventId: string,
  expected: string | bigint,
) {
  const ev = await call<{ announcementHex: string; attestationHex?: string }>(
    s.url,
    'GET',
    `/v1/events/${eventPath(eventId)}`,
  );
  expect(ev.status).toBe(200);
  expect(ev.body.attestationHex).toBeDefined();
  const announcement = decodeAnnouncement(hexToBytes(ev.body.announcementHex));
  const attestation = decodeAttestation(hexToBytes(ev.body.attestationHex ?? ''));
  expect(verifyAttestation(announcement, attestation)).toBe(true);
  expect(attestedValue(announcement, attestation)).toBe(expected);
}

async function milestoneState(s: TestServer, c: CreatedContract, index: number): Promise<string> {
  const r = await call<{ milestones: { status: string }[] }>(
    s.url,
    'GET',
    `/v1/contracts/${c.id}`,
    {
      token: c.tokens.client,
    },
  );
  const state = r.body.milestones[index]?.status;
  if (state === undefined) throw new Error(JSON.stringify(r.body));
  return state;
}

describe('CI attestation (issue 7)', () => {
  const issuer = new LocalOidcIssuer();
  let s: TestServer;
  const oidc = (
    claims: Record<string, unknown> = {},
    opts: { ttlSec?: number; at?: number } = {},
  ) =>
    issuer.token(
      { aud: 'verdict-test', sha: SHA, ...claims },
      {
        nowSec: opts.at ?? s.clock.t,
        ...(opts.ttlSec === undefined ? {} : { ttlSec: opts.ttlSec }),
      },
    );

  beforeAll(async () => {
    await issuer.start();
    s = await startTestServer({
      env: { VERDICT_CI_OIDC_ISSUER: issuer.issuer, VERDICT_CI_OIDC_AUDIENCE: 'verdict-test' },
    });
  });
  afterAll(async () => {
    await s.dispose();
    await issuer.stop();
  });

  it('a valid OIDC token with a pass for the delivered commit attests 100, and it verifies', async () => {
    const c = await createContract(s, [{ outcome: 'share', ci: OIDC_POLICY }]);
    await deliver(s, c, 0);
    const token = oidc();
    const r = await submit(s, c, 0, token, passing());
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({
      decision: 'attested',
      outcome: 100,
      commit: SHA,
      result: 'PASSED',
      counts: { passed: 2, failed: 0 },
      eventId: c.eventIds[0],
    });
    expect(await milestoneState(s, c, 0)).toBe('attested');
    await expectAttestationVerifies(s, c.eventIds[0] ?? '', 100n);

    // The audit log records the CI result and the decision, and its chain verifies.
    const log = await call<{ entries: unknown[] }>(s.url, 'GET', `/v1/contracts/${c.id}/log`, {
      token: c.tokens.client,
    });
    const entries = log.body.entries.map((e) => auditEntrySchema.parse(e));
    expect(entries.map((e) => e.action)).toEqual(
      expect.arrayContaining(['delivered', 'ci_result', 'decided']),
    );
    expect(entries.find((e) => e.action === 'decided')?.details['reason']).toBe('ci');
    expect(verifyAuditChain(entries, c.id).ok).toBe(true);

    // The same token again is a replay.
    const again = await submit(s, c, 0, token, passing());
    expect(again.status).toBe(401);
    expect((again.body as ErrorBody).error.code).toBe('ci_token_replayed');
  });

  it('an enum milestone is attested "accepted"', async () => {
    const c = await createContract(s, [{ outcome: 'enum', ci: OIDC_POLICY }]);
    await deliver(s, c, 0);
    const r = await submit(s, c, 0, oidc(), passing());
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ decision: 'attested', outcome: 'accepted' });
    await expectAttestationVerifies(s, c.eventIds[0] ?? '', 'accepted');
  });

  describe('rejections leave the milestone delivered', () => {
    let c: CreatedContract;
    beforeAll(async () => {
      c = await createContract(s, [
        { ci: OIDC_POLICY },
        { ci: OIDC_POLICY },
        {},
        { ci: OIDC_POLICY },
      ]);
      await deliver(s, c, 0);
      await deliver(s, c, 2);
    });

    const pem = () => issuer.current.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const cases: [string, () => string, () => unknown, number, string][] = [
      [
        'a pass for another commit',
        () => oidc(),
        () => passing(OTHER_SHA),
        409,
        'ci_commit_mismatch',
      ],
      [
        'a workflow run on another commit',
        () => oidc({ sha: OTHER_SHA }),
        () => passing(),
        409,
        'ci_commit_mismatch',
      ],
      [
        'an expired token',
        () => oidc({}, { at: s.clock.t - 900, ttlSec: 300 }),
        () => passing(),
        401,
        'ci_token_expired',
      ],
      [
        'a wrong repository',
        () => oidc({ repository: 'mallory/app' }),
        () => passing(),
        403,
        'ci_wrong_repository',
      ],
      [
        'a wrong workflow',
        () => oidc({ job_workflow_ref: 'octo/app/.github/workflows/other.yml@refs/heads/main' }),
        () => passing(),
        403,
        'ci_wrong_workflow',
      ],
      [
        'a wrong ref',
        () => oidc({ ref: 'refs/heads/feature' }),
        () => passing(),
        403,
        'ci_wrong_workflow',
      ],
      [
        'a self-hosted runner',
        () => oidc({ runner_environment: 'self-hosted' }),
        () => passing(),
        403,
        'ci_wrong_workflow',
      ],
      [
        'another audience',
        () => oidc({ aud: 'someone-else' }),
        () => passing(),
        401,
        'ci_invalid_token',
      ],
      [
        'another issuer',
        () => oidc({ iss: 'https://token.actions.githubusercontent.com' }),
        () => passing(),
        401,
        'ci_invalid_token',
      ],
      [
        'alg none',
        () => `${b64url({ alg: 'none', kid: issuer.current.kid })}.${oidc().split('.')[1]}.`,
        () => passing(),
        401,
        'ci_invalid_token',
      ],
      [
        'HS256 signed with the issuer public key',
        () => {
          const input = `${b64url({ alg: 'HS256', typ: 'JWT', kid: issuer.current.kid })}.${oidc().split('.')[1]}`;
          return `${input}.${createHmac('sha256', pem()).update(input).digest('base64url')}`;
        },
        () => passing(),
        401,
        'ci_invalid_token',
      ],
      ['a party token', () => c.tokens.freelancer, () => passing(), 401, 'ci_invalid_token'],
      [
        'a statement that is not test-result',
        () => oidc(),
        () => ({ ...passing(), predicateType: 'https://slsa.dev/provenance/v1' }),
        400,
        'invalid_request',
      ],
    ];

    it.each(cases)('%s', async (_name, token, statement, status, code) => {
      const r = await submit(s, c, 0, token(), statement());
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      expect((r.body as ErrorBody).error.code).toBe(code);
      expect(await milestoneState(s, c, 0)).toBe('delivered');
    });

    it('nothing above was stored as evidence', async () => {
      const r = await call<{ results: unknown[] }>(
        s.url,
        'GET',
        `/v1/contracts/${c.id}/milestones/0/ci`,
        {
          token: c.tokens.client,
        },
      );
      expect(r.status).toBe(200);
      expect(r.body.results).toEqual([]);
    });

    it('a failed run is stored as evidence, decides nothing, and its token cannot be replayed', async () => {
      const token = oidc();
      const r = await submit(s, c, 0, token, failing());
      expect(r.status).toBe(422);
      const body = r.body as ErrorBody;
      expect(body.error.code).toBe('ci_policy_unmet');
      expect(body.error.details?.['resultId']).toEqual(expect.any(Number));
      expect(await milestoneState(s, c, 0)).toBe('delivered');
      for (const who of [c.tokens.client, c.tokens.freelancer]) {
        const ev = await call<{
          results: { result: string; policyMet: boolean; decided: boolean; counts: unknown }[];
        }>(s.url, 'GET', `/v1/contracts/${c.id}/milestones/0/ci`, { token: who });
        expect(ev.body.results).toHaveLength(1);
        expect(ev.body.results[0]).toMatchObject({
          result: 'FAILED',
          policyMet: false,
          decided: false,
          counts: { passed: 1, failed: 1 },
        });
      }
      const replay = await submit(s, c, 0, token, passing());
      expect((replay.body as ErrorBody).error.code).toBe('ci_token_replayed');
      expect(await milestoneState(s, c, 0)).toBe('delivered');
    });

    it('a milestone that was not delivered yet', async () => {
      const r = await submit(s, c, 1, oidc(), passing());
      expect((r.body as ErrorBody).error.code).toBe('ci_commit_mismatch');
    });

    it('a milestone without a CI policy', async () => {
      const r = await submit(s, c, 2, oidc(), passing());
      expect(r.status).toBe(409);
      expect((r.body as ErrorBody).error.code).toBe('ci_not_configured');
    });

    it('no token at all', async () => {
      const r = await submit(s, c, 0, undefined, passing());
      expect(r.status).toBe(401);
      expect((r.body as ErrorBody).error.code).toBe('unauthorized');
    });

    it('a CI token cannot be issued for an OIDC milestone', async () => {
      const r = await call(s.url, 'POST', `/v1/contracts/${c.id}/milestones/0/ci/tokens`, {
        token: c.tokens.client,
        body: {},
      });
      expect((r.body as ErrorBody).error.code).toBe('ci_not_configured');
    });
  });

  it('follows a JWKS key rotation of the issuer', async () => {
    const c = await createContract(s, [{ ci: OIDC_POLICY }]);
    await deliver(s, c, 0);
    const retired = issuer.current;
    issuer.rotate(false);
    s.clock.advance(61); // past the rate limit of unknown-kid refreshes
    const oldKeyToken = issuer.token(
      { aud: 'verdict-test', sha: SHA },
      { nowSec: s.clock.t, key: retired },
    );
    const before = issuer.jwksRequests;
    const r = await submit(s, c, 0, oidc(), passing());
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(issuer.jwksRequests).toBe(before + 1);
    const old = await submit(s, c, 0, oldKeyToken, passing());
    expect((old.body as ErrorBody).error.code).toBe('ci_invalid_token');
  });

  it('a non-decisive policy keeps a pass as evidence', async () => {
    const c = await createContract(s, [{ ci: { ...OIDC_POLICY, decisive: false } }]);
    await deliver(s, c, 0);
    const r = await submit(s, c, 0, oidc(), passing());
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ decision: 'evidence', policyMet: true, outcome: null });
    expect(await milestoneState(s, c, 0)).toBe('delivered');
  });

  it('refuses an invalid CI policy in the terms', async () => {
    const r = await call(s.url, 'POST', '/v1/contracts', {
      body: {
        client: { id: 'alice', name: 'Alice' },
        freelancer: { id: 'bob', name: 'Bob' },
        milestones: [
          {
            title: 'm',
            amountSat: '1000',
            deliveryDeadline: s.clock.t + 86_400,
            reviewWindowSec: 3600,
            ci: { identity: { kind: 'github-oidc' }, decisive: true },
          },
        ],
      },
    });
    expect(r.status).toBe(400);
  });

  describe('CI tokens issued by the oracle', () => {
    let c: CreatedContract;
    beforeAll(async () => {
      c = await createContract(s, [
        { outcome: 'enum', ci: TOKEN_POLICY },
        { outcome: 'enum', ci: TOKEN_POLICY },
      ]);
      await deliver(s, c, 0);
      await deliver(s, c, 1);
    });
    const issue = async (index: number, body: unknown = {}, token = c.tokens.client) =>
      call<{ token: string; jti: string; expiresAt: number }>(
        s.url,
        'POST',
        `/v1/contracts/${c.id}/milestones/${index}/ci/tokens`,
        { token, body },
      );

    it('only the client or the operator issues them; the list never shows a token', async () => {
      const byFreelancer = await issue(0, {}, c.tokens.freelancer);
      expect(byFreelancer.status).toBe(403);
      const byAdmin = await issue(0, {}, s.ctx.tokens.issueAdminToken(60));
      expect(byAdmin.status).toBe(201);
      const issued = await issue(0);
      expect(issued.status).toBe(201);
      expect(issued.headers.get('cache-control')).toBe('no-store');
      const list = await call<{ tokens: Record<string, unknown>[] }>(
        s.url,
        'GET',
        `/v1/contracts/${c.id}/milestones/0/ci/tokens`,
        { token: c.tokens.freelancer },
      );
      expect(list.body.tokens.map((t) => t['jti'])).toContain(issued.body.jti);
      expect(JSON.stringify(list.body)).not.toContain(issued.body.token);
    });

    it('a token of another milestone, an OIDC token, a revoked or an expired token are refused', async () => {
      const forOne = await issue(1);
      const r1 = await submit(s, c, 0, forOne.body.token, passing());
      expect((r1.body as ErrorBody).error.code).toBe('ci_wrong_milestone');

      const r2 = await submit(s, c, 0, oidc(), passing());
      expect((r2.body as ErrorBody).error.code).toBe('ci_invalid_token');

      const revoked = await issue(0);
      const rv = await call(
        s.url,
        'POST',
        `/v1/contracts/${c.id}/milestones/0/ci/tokens/${revoked.body.jti}/revoke`,
        { token: c.tokens.client },
      );
      expect(rv.status).toBe(200);
      const r3 = await submit(s, c, 0, revoked.body.token, passing());
      expect(r3.status).toBe(401);
      expect((r3.body as ErrorBody).error.code).toBe('ci_token_revoked');

      const shortLived = await issue(0, { ttlSec: 60 });
      s.clock.advance(61);
      const r4 = await submit(s, c, 0, shortLived.body.token, passing());
      expect((r4.body as ErrorBody).error.code).toBe('ci_token_expired');
      expect(await milestoneState(s, c, 0)).toBe('delivered');
    });

    it('a valid CI token with a pass for the delivered commit attests "accepted"', async () => {
      const issued = await issue(0);
      const r = await submit(s, c, 0, issued.body.token, passing());
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body).toMatchObject({ decision: 'attested', outcome: 'accepted' });
      await expectAttestationVerifies(s, c.eventIds[0] ?? '', 'accepted');
      // A CI token may report again (a re-run): the milestone is decided, the result is evidence.
      const again = await submit(s, c, 0, issued.body.token, passing());
      expect(again.status).toBe(201);
      expect(again.body).toMatchObject({ decision: 'evidence', outcome: 'accepted' });
    });
  });
});
