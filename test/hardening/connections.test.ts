/**
 * Issue 19 §5: connections, over real loopback sockets (bounded counts). A body that trickles is
 * cut (after the answer for a GET; with a 408 for a write), one address cannot hold more than its
 * share of connections, near the total cap the oldest idle sockets make room, and /healthz and a
 * party's decision keep answering meanwhile. No timing assertions: a case that would hang without
 * its bound fails on the test timeout.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  createContract,
  expectOk,
  milestoneUrl,
  startTestServer,
  type TestServer,
} from '../oracle/helpers.ts';
import { httpFrom } from './from-address.ts';

const PER_ADDRESS = 20;
const TOTAL = 60;

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({
    env: {
      VERDICT_BODY_TIMEOUT_SEC: '1',
      VERDICT_MAX_CONNECTIONS_PER_ADDRESS: String(PER_ADDRESS),
      VERDICT_MAX_CONNECTIONS: String(TOTAL),
    },
  });
});
afterAll(async () => {
  await s.dispose();
});

/** A raw socket from `localAddress`; resolves once connected. */
function open(
  localAddress: string,
): Promise<{ sock: Socket; data: () => string; closed: Promise<void> }> {
  const u = new URL(s.url);
  return new Promise((resolve, reject) => {
    let got = '';
    const sock = connect({ host: u.hostname, port: Number(u.port), localAddress });
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.on('data', (b: Buffer) => (got += b.toString('latin1')));
    sock.on('error', () => undefined);
    sock.once('connect', () => resolve({ sock, data: () => got, closed }));
    sock.once('error', reject);
  });
}

/** Sends one byte every `everyMs` until the socket closes or `max` bytes are sent. */
function trickle(sock: Socket, everyMs: number, max: number): () => void {
  let sent = 0;
  const t = setInterval(() => {
    if (sock.destroyed || sent >= max) return clearInterval(t);
    sock.write('x');
    sent += 1;
  }, everyMs);
  return () => clearInterval(t);
}

describe('connection limits (issue 19 §5)', () => {
  it('a GET whose Content-Length body trickles is answered, then its connection is closed', async () => {
    const c = await open('127.0.0.1');
    c.sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n');
    const stop = trickle(c.sock, 200, 100_000);
    await c.closed;
    stop();
    expect(c.data()).toMatch(/^HTTP\/1\.1 200 /);
  }, 30_000);

  it('a write whose body trickles gets 408 request_timeout as JSON and is disconnected', async () => {
    const c = await open('127.0.0.1');
    c.sock.write(
      'POST /v1/contracts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"title":',
    );
    const stop = trickle(c.sock, 200, 5000);
    await c.closed;
    stop();
    expect(c.data()).toMatch(/^HTTP\/1\.1 408 /);
    expect(c.data()).toContain('"code":"request_timeout"');
    expect(c.data()).toMatch(/content-security-policy/i);
  }, 30_000);

  it('one address holds at most its share; health and a decision answer from another meanwhile', async () => {
    const contract = await createContract(s);
    const held = await Promise.all(
      Array.from({ length: PER_ADDRESS + 15 }, () => open('127.0.0.2')),
    );
    // Every socket past the cap is closed by the server, without a request.
    const closedByServer = () => {
      let n = 0;
      for (const h of held) if (h.sock.destroyed || h.sock.readableEnded) n += 1;
      return n;
    };
    await Promise.all(held.slice(PER_ADDRESS).map((h) => h.closed));
    expect(closedByServer()).toBe(15);
    // ... by the cap, not by a timeout: the first ones are still open.
    expect(s.connections?.refusedPerAddress ?? 0).toBeGreaterThanOrEqual(15);
    expect((await httpFrom('127.0.0.1', s.url, 'GET', '/healthz')).status).toBe(200);
    expectOk(
      await call(s.url, 'POST', milestoneUrl(contract.contract.id, 0, 'deliver'), {
        token: contract.tokens.freelancer,
        body: { commitSha: 'b'.repeat(40) },
      }),
    );
    for (const h of held) h.sock.destroy();
  }, 30_000);

  it('near the total cap the oldest idle sockets make room: /healthz still answers', async () => {
    // Three addresses, each within its own cap, together at the total.
    const held: Awaited<ReturnType<typeof open>>[] = [];
    for (const from of ['127.0.0.3', '127.0.0.4', '127.0.0.5'])
      for (let i = 0; i < PER_ADDRESS; i++) held.push(await open(from));
    const health = await httpFrom('127.0.0.1', s.url, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(s.connections?.evictedIdle ?? 0).toBeGreaterThan(0);
    expect(s.connections?.open ?? 0).toBeLessThanOrEqual(TOTAL);
    for (const h of held) h.sock.destroy();
  }, 30_000);
});
