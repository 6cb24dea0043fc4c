/**
 * Arbitration test helpers: the real service (test/oracle/helpers.ts) plus arbiter accounts,
 * cookie sessions and disputes driven over HTTP.
 */
import { expect } from 'vitest';
import {
  call,
  createContract,
  DAY,
  expectOk,
  milestoneUrl,
  type CreatedContract,
  type Reply,
  type TestServer,
} from '../oracle/helpers.ts';

export const PASSWORD = 'a long enough password';

export function adminToken(s: TestServer): string {
  return s.ctx.tokens.issueAdminToken(3600);
}

export interface Invite {
  readonly token: string;
  readonly inviteUrl: string;
  readonly expiresAt: number;
}

export async function invite(
  s: TestServer,
  id: string,
  extra: { displayName?: string; linkedIdentities?: string[]; ttlSec?: number } = {},
): Promise<Invite> {
  return expectOk(
    await call<Invite>(s.url, 'POST', '/v1/arbiters', {
      token: adminToken(s),
      body: { id, displayName: extra.displayName ?? `Arbiter ${id}`, ...extra },
    }),
    201,
  );
}

/** A same-origin browser-like write to the arbiters' API (Origin header set). */
export function uiCall<T = unknown>(
  s: TestServer,
  method: string,
  path: string,
  opts: { body?: unknown; session?: Session; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { origin: s.url, ...opts.headers };
  if (opts.session !== undefined) {
    headers['cookie'] = opts.session.cookie;
    if (method !== 'GET') headers['x-csrf-token'] ??= opts.session.csrf;
  }
  return call<T>(s.url, method, `/arbiter/api${path}`, {
    headers,
    ...(opts.body === undefined ? {} : { body: opts.body }),
  });
}

export interface Session {
  readonly id: string;
  readonly cookie: string;
  readonly csrf: string;
}

export async function acceptInvite(
  s: TestServer,
  token: string,
  password = PASSWORD,
): Promise<void> {
  expectOk(await uiCall(s, 'POST', '/invite/accept', { body: { token, password } }));
}

export async function login(s: TestServer, id: string, password = PASSWORD): Promise<Session> {
  const res = await fetch(`${s.url}/arbiter/api/login`, {
    method: 'POST',
    headers: { origin: s.url, 'content-type': 'application/json' },
    body: JSON.stringify({ id, password }),
  });
  const body = (await res.json()) as { csrfToken: string };
  expect(res.status, JSON.stringify(body)).toBe(200);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0] ?? '')
    .join('; ');
  return { id, cookie, csrf: body.csrfToken };
}

/** Invites, activates and logs in each arbiter. */
export async function activeArbiters(
  s: TestServer,
  ids: readonly string[],
  linked: Record<string, string[]> = {},
): Promise<Session[]> {
  const out: Session[] = [];
  for (const id of ids) {
    const inv = await invite(s, id, { linkedIdentities: linked[id] ?? [] });
    await acceptInvite(s, inv.token);
    out.push(await login(s, id));
  }
  return out;
}

export const COMMIT = 'a'.repeat(40);

export interface DisputeTermsInput {
  panel?: { arbiters: string[] } | { poolSize: number };
  quorum?: number;
  evidenceWindowSec?: number;
  votingWindowSec?: number;
  fallbackOutcome?: string | number;
  appealAllowed?: boolean;
}

/** A contract whose milestones are delivered and disputed by the client. */
export async function disputedContract(
  s: TestServer,
  opts: { outcome?: 'enum' | 'share'; dispute?: DisputeTermsInput; milestones?: number } = {},
): Promise<CreatedContract> {
  const n = opts.milestones ?? 1;
  const c = await createContract(
    s,
    Array.from({ length: n }, () => ({
      outcome: opts.outcome ?? 'share',
      dispute: { evidenceWindowSec: DAY, votingWindowSec: DAY, ...opts.dispute },
    })),
  );
  for (let i = 0; i < n; i++) {
    expectOk(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, i, 'deliver'), {
        token: c.tokens.freelancer,
        body: { commitSha: COMMIT, note: 'all done' },
      }),
    );
    expectOk(
      await call(s.url, 'POST', milestoneUrl(c.contract.id, i, 'dispute'), {
        token: c.tokens.client,
        body: { reason: 'it does not do what we agreed' },
      }),
    );
  }
  return c;
}

export interface Queue {
  disputes: {
    disputeId: number;
    round: number;
    phase: string;
    milestoneIndex: number;
    contractId: string;
  }[];
}

export interface RoundView {
  disputeId: number;
  round: number;
  phase: string;
  panel: { id: string; displayName: string }[];
  myVote: { outcome: string; rationale: string } | null;
  youSit: boolean;
  seats: number;
  quorum: number;
  result: null | {
    outcome: string;
    rule: string;
    votes: { arbiterId: string; outcome: string; rationale: string }[];
  };
}
export interface DisputePage {
  milestone: { state: string; decidedOutcome: string | null; eventId: string };
  rounds: RoundView[];
  evidence: { id: number; kind: string; text: string; sha256: string | null; partyRole: string }[];
  attestation: { outcome: string; hex: string } | null;
  announcementHex: string | null;
}

/**
 * A session valid at the test clock's current time: sessions last 12 hours and the tests move the
 * clock by days, so helpers that act for an arbiter log in again first.
 */
export function fresh(s: TestServer, session: Session): Promise<Session> {
  return login(s, session.id);
}

export async function queue(s: TestServer, session: Session): Promise<Queue> {
  return expectOk(await uiCall<Queue>(s, 'GET', '/disputes', { session: await fresh(s, session) }));
}

/** The round-1 dispute id of the contract's milestone, from an arbiter's queue. */
export async function disputeIdFor(
  s: TestServer,
  session: Session,
  contractId: string,
  index = 0,
  round = 1,
): Promise<number> {
  const q = await queue(s, session);
  const d = q.disputes.find(
    (x) => x.contractId === contractId && x.milestoneIndex === index && x.round === round,
  );
  if (d === undefined)
    throw new Error(`${session.id} does not sit on ${contractId}/${index} round ${round}`);
  return d.disputeId;
}

export async function vote(
  s: TestServer,
  session: Session,
  disputeId: number,
  outcome: string | number,
  rationale = `because ${outcome}`,
) {
  return uiCall(s, 'POST', `/disputes/${disputeId}/vote`, {
    session: await fresh(s, session),
    body: { outcome, rationale },
  });
}

export function partyView(
  s: TestServer,
  c: CreatedContract,
  role: 'client' | 'freelancer',
  index = 0,
) {
  return call<DisputePage>(s.url, 'GET', milestoneUrl(c.contract.id, index, 'dispute'), {
    token: c.tokens[role],
  });
}

/** The panel of round `round` as the admin sees it. */
export async function panelOf(
  s: TestServer,
  c: CreatedContract,
  index = 0,
  round = 1,
): Promise<string[]> {
  const v = expectOk(
    await call<DisputePage>(s.url, 'GET', milestoneUrl(c.contract.id, index, 'dispute'), {
      token: adminToken(s),
    }),
  );
  return v.rounds.find((r) => r.round === round)?.panel.map((p) => p.id) ?? [];
}
