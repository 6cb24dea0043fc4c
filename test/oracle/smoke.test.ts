import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, contractRequest, eventPath, startTestServer, type TestServer } from './helpers.ts';

describe('thin path', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s.dispose();
  });

  it('creates a contract, delivers, accepts, and serves the attestation', async () => {
    const created = await call(s.url, 'POST', '/v1/contracts', {
      body: contractRequest(s.clock.t),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { contract, tokens } = created.body;
    const eventId: string = contract.milestones[0].eventId;
    const ev = await call(s.url, 'GET', `/v1/events/${eventPath(eventId)}`);
    expect(ev.status, JSON.stringify(ev.body)).toBe(200);
    const d = await call(s.url, 'POST', `/v1/contracts/${contract.id}/milestones/0/deliver`, {
      token: tokens.freelancer,
      body: { commitSha: 'a'.repeat(40) },
    });
    expect(d.status, JSON.stringify(d.body)).toBe(200);
    const a = await call(s.url, 'POST', `/v1/contracts/${contract.id}/milestones/0/accept`, {
      token: tokens.client,
    });
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    const att = await call(s.url, 'GET', `/v1/events/${eventPath(eventId)}/attestation`);
    expect(att.status).toBe(200);
    expect(att.body.outcome).toBe(100);
  });
});
