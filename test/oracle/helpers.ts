import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import { expect } from 'vitest';
import { loadConfig } from '../../oracle/config.ts';
import { startServer, type RunningServer } from '../../oracle/server.ts';
import type * as S from '../../oracle/http/schemas.ts';
import type { ChainBackend } from '../../src/chain/chain-backend.ts';

export type CreatedContract = z.infer<typeof S.createdContract>;
export type ContractView = z.infer<typeof S.contractView>;
export type MilestoneView = z.infer<typeof S.milestoneView>;
/** The one answer of every lifecycle write. */
export type MilestoneActionView = z.infer<typeof S.milestoneActionView>;
/** A lifecycle write that decided the milestone: the attestation is there. */
export type DecisionView = MilestoneActionView & {
  attestation: AttestationView;
  created: boolean;
};
export type EventView = z.infer<typeof S.eventView>;
export type EventList = z.infer<typeof S.eventList>;
export type AttestationView = z.infer<typeof S.attestationView>;
export type AuditLogView = z.infer<typeof S.auditLogView>;
export type ErrorBody = z.infer<typeof S.errorBody>;

/** A clock the test moves by hand (epoch seconds). */
export class TestClock {
  constructor(public t = 1_800_000_000) {}
  readonly now = (): number => this.t;
  advance(sec: number): void {
    this.t += sec;
  }
}

export const TEST_ENV = {
  VERDICT_PORT: '0',
  VERDICT_HOST: '127.0.0.1',
  VERDICT_SCRYPT_N: '1024',
  VERDICT_KEYSTORE_PASSPHRASE: 'correct horse battery staple',
  VERDICT_LOG_LEVEL: 'silent',
  // Service tests need no chain: the oracle never uses one (tests of `npm start` turn it on).
  VERDICT_DEVNET: 'off',
  // Issue 19: the byte rate, creation cost and per-address connection limits have their own
  // tests (test/hardening/); the service tests post large bodies, create many contracts and send
  // hundreds of requests at once, all from one address.
  VERDICT_WRITE_MB_PER_MIN: '0',
  VERDICT_CREATE_MILESTONES_PER_MIN: '0',
  VERDICT_MAX_CONNECTIONS_PER_ADDRESS: '0',
};

export interface TestServer extends RunningServer {
  readonly clock: TestClock;
  readonly dataDir: string;
  /** Stops the server and removes its data dir. */
  dispose(): Promise<void>;
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'verdict-oracle-test-'));
}

export async function startTestServer(
  opts: {
    env?: Record<string, string>;
    clock?: TestClock;
    dataDir?: string;
    /** The tower's chain (issue 16). */
    chain?: ChainBackend;
  } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? tempDataDir();
  const clock = opts.clock ?? new TestClock();
  const config = loadConfig({ ...TEST_ENV, VERDICT_DATA_DIR: dataDir, ...opts.env });
  const running = await startServer(config, {
    now: clock.now,
    cron: false,
    ...(opts.chain === undefined ? {} : { chain: opts.chain }),
  });
  return {
    url: running.url,
    ctx: running.ctx,
    scheduler: running.scheduler,
    keystoreCreated: running.keystoreCreated,
    continuity: running.continuity,
    ...(running.connections === undefined ? {} : { connections: running.connections }),
    clock,
    dataDir,
    setTowerChain: (chain) => running.setTowerChain(chain),
    close: () => running.close(),
    async dispose() {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Reply<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** A small fetch wrapper: JSON in, JSON (or text) out, optional bearer token. */
export async function call<T = unknown>(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(base + path, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text !== '')
    parsed = JSON.parse(text);
  return { status: res.status, body: parsed as T, headers: res.headers };
}

export const DAY = 86_400;

/** A contract request with sensible windows, relative to `now`. */
export function contractRequest(
  now: number,
  milestones: { outcome?: 'enum' | 'share'; [k: string]: unknown }[] = [{}],
): Record<string, unknown> {
  return {
    title: 'Website redesign',
    client: { id: 'alice', name: 'Alice' },
    freelancer: { id: 'bob', name: 'Bob' },
    milestones: milestones.map((m, i) => ({
      title: `Milestone ${i}`,
      amountSat: '150000',
      deliveryDeadline: now + 7 * DAY,
      reviewWindowSec: 3 * DAY,
      ...m,
    })),
  };
}

export const eventPath = (eventId: string): string => encodeURIComponent(eventId);

/** Asserts an error reply: its status and its stable code. */
export function expectError(r: Reply, status: number, code: string): void {
  expect(
    { status: r.status, code: (r.body as ErrorBody | undefined)?.error?.code },
    JSON.stringify(r.body),
  ).toEqual({
    status,
    code,
  });
}

export function expectOk<T>(r: Reply<T>, status = 200): T {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  return r.body;
}

/** Creates a contract over HTTP and returns its view and tokens. */
export async function createContract(
  s: { url: string; clock: TestClock },
  milestones?: Parameters<typeof contractRequest>[1],
  token?: string,
): Promise<CreatedContract> {
  return expectOk(
    await call<CreatedContract>(s.url, 'POST', '/v1/contracts', {
      body: contractRequest(s.clock.t, milestones),
      ...(token === undefined ? {} : { token }),
    }),
    201,
  );
}

export function milestoneUrl(contractId: string, index: number, action: string): string {
  return `/v1/contracts/${contractId}/milestones/${index}/${action}`;
}
