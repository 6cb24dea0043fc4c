/**
 * The crash harness (issue 9 §1): the real service as a child process, a random mix of contract,
 * milestone, dispute, evidence, vote, CI and DLC-relay actions over HTTP from several concurrent
 * workers, SIGKILL at a random moment, restart, check, again. Used by `scripts/crash-test.ts`
 * (long runs) and `test/hardening/crash.test.ts` (a CI-sized run).
 *
 * What "acknowledged" means: a 2xx answer. Each acknowledged write becomes a fact that must hold
 * after every later restart. A write that got no answer (the process died) may or may not have
 * committed; the checks accept both, and the harness re-reads the server's state before acting on
 * that milestone again.
 *
 * Checks after each restart: every fact; every attestation ever seen is still there, byte for byte
 * (so no event is attested twice or with two outcomes); every audit log verifies (served head and
 * the client-side `verifyAuditChain`), extends the log seen before, and has at most one `decided`
 * entry per milestone. After the final clean stop: `PRAGMA integrity_check`,
 * `PRAGMA foreign_key_check` and one attestation row per event, on the file opened read-only.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { buildTestResultStatement } from '../../oracle/ci/statement.ts';
import { loadOrCreateJwtSecret } from '../../oracle/data-dir.ts';
import { verifyAuditChain, type AuditEntry } from '../../oracle/domain/audit-log.ts';
import { TokenIssuer } from '../../oracle/http/tokens.ts';
import { childEnv, startServiceChild, tempDir, type ServiceChild } from './child.ts';

export interface CrashRunOptions {
  /** SIGKILLs (each followed by a restart and the checks). */
  readonly kills: number;
  readonly seed?: number;
  /** Concurrent HTTP workers (default 6). */
  readonly concurrency?: number;
  /** Each round kills after a random number 0..this of started actions (default 40). */
  readonly maxActionsPerRound?: number;
  /** Keep the data dir (default: removed when the run passes). */
  readonly keepDataDir?: boolean;
  readonly progress?: (line: string) => void;
}

export interface CrashRunReport {
  readonly seed: number;
  readonly kills: number;
  readonly starts: number;
  readonly attempted: number;
  readonly acknowledged: number;
  readonly rejected: number;
  readonly unanswered: number;
  readonly acknowledgedByAction: Record<string, number>;
  readonly rejectedByCode: Record<string, number>;
  readonly facts: number;
  readonly contracts: number;
  readonly attestationsSeen: number;
  readonly auditEntries: number;
  readonly integrityCheck: string;
  readonly violations: readonly string[];
  readonly dataDir: string;
}

// ---- a small seeded PRNG (mulberry32): the action mix is reproducible, the kill timing is not.
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T,
    chance: (p: number) => next() < p,
  };
}

// ---- the model
type Kind = 'accept' | 'mutual' | 'vote' | 'evidence' | 'ci' | 'relay' | 'silence';
const KINDS: readonly Kind[] = ['accept', 'mutual', 'vote', 'evidence', 'ci', 'relay', 'silence'];
type Status = 'open' | 'delivered' | 'disputed' | 'attested';
const RANK: Record<Status, number> = { open: 0, delivered: 1, disputed: 2, attested: 3 };
type RelayKind = 'offer' | 'accept' | 'sign';
const RELAY_PREFIX: Record<RelayKind, string> = { offer: 'a71a', accept: 'a71c', sign: 'a71e' };
const ARBITERS = ['arb-1', 'arb-2', 'arb-3'] as const;
const ARBITER_PASSWORD = 'crash harness arbiter password';
const COMMIT = 'c0ffee'.padEnd(40, '0');

interface Contract {
  readonly id: string;
  readonly client: string;
  readonly freelancer: string;
  readonly milestones: Milestone[];
}

interface Milestone {
  readonly contract: Contract;
  readonly index: number;
  readonly eventId: string;
  readonly kind: Kind;
  readonly shape: 'enum' | 'share';
  status: Status;
  busy: boolean;
  /** Re-read the server's state before the next action (a write went unanswered or was refused). */
  stale: boolean;
  /** An acknowledged CI token (ci milestones). */
  ciToken?: string;
  disputeId?: number;
  /** Relay stage: what was posted last (model). */
  relay: RelayKind | 'none';
  relayDone: boolean;
  /** Every relay post attempted, per kind, in order. */
  relayAttempts: Record<RelayKind, string[]>;
  /** Every vote attempted, per arbiter, in order. */
  voteAttempts: Map<string, string[]>;
  votes: number;
  evidence: number;
}

type Fact =
  | { t: 'contract'; c: Contract }
  | { t: 'status'; m: Milestone; atLeast: Status; what: string }
  | { t: 'attested'; m: Milestone; outcome: string; what: string }
  | { t: 'dlc'; m: Milestone; kind: RelayKind; from: number }
  | { t: 'ciToken'; m: Milestone; jti: string }
  | { t: 'ciResult'; m: Milestone; resultId: number }
  | { t: 'evidence'; m: Milestone; evidenceId: number }
  | { t: 'vote'; m: Milestone; arbiter: string; from: number }
  | { t: 'arbiter'; id: string };

interface Reply {
  readonly status: number;
  readonly body: unknown;
}

class Unanswered extends Error {}

interface Session {
  readonly id: string;
  cookie: string;
  csrf: string;
}

/** Runs the harness; resolves with the report (violations listed, never thrown). */
export async function runCrashTest(opts: CrashRunOptions): Promise<CrashRunReport> {
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
  const rng = prng(seed);
  const concurrency = opts.concurrency ?? 6;
  const maxActions = opts.maxActionsPerRound ?? 40;
  const say = opts.progress ?? (() => undefined);
  const dataDir = tempDir('verdict-crash-');
  const env = childEnv(dataDir, { VERDICT_SCHEDULER_TICK_SEC: '1' });

  const violations: string[] = [];
  const violate = (v: string) => {
    if (violations.length < 200) violations.push(v);
    say(`VIOLATION: ${v}`);
  };
  const contracts: Contract[] = [];
  const facts: Fact[] = [];
  const seenAttestation = new Map<string, { outcome: string; hex: string }>();
  const seenLog = new Map<string, string[]>();
  const dirty = new Set<Contract>();
  const ackByAction: Record<string, number> = {};
  const rejectedByCode: Record<string, number> = {};
  let attempted = 0;
  let acknowledged = 0;
  let rejected = 0;
  let unanswered = 0;
  let starts = 0;
  let child: ServiceChild | undefined;
  let url = '';
  let adminToken = '';
  const sessions: Session[] = [];

  // ---- HTTP
  async function http(
    method: string,
    path: string,
    o: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token !== undefined) headers['authorization'] = `Bearer ${o.token}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      res = await fetch(url + path, {
        method,
        headers,
        ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }),
      });
      text = await res.text();
    } catch {
      throw new Unanswered(`${method} ${path}`);
    }
    let body: unknown = text;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    return { status: res.status, body };
  }
  const ui = (s: Session, method: string, path: string, body?: unknown): Promise<Reply> =>
    http(method, `/arbiter/api${path}`, {
      headers: {
        origin: url,
        cookie: s.cookie,
        ...(method === 'GET' ? {} : { 'x-csrf-token': s.csrf }),
      },
      ...(body === undefined ? {} : { body }),
    });

  /** A write: counts it, classifies the answer; returns the body of a 2xx, else undefined. */
  async function write(
    action: string,
    m: Milestone | undefined,
    send: () => Promise<Reply>,
  ): Promise<unknown> {
    attempted += 1;
    let r: Reply;
    try {
      r = await send();
    } catch (e) {
      if (!(e instanceof Unanswered)) throw e;
      unanswered += 1;
      if (m !== undefined) m.stale = true;
      return undefined;
    }
    if (r.status >= 500) {
      violate(`${action}: ${r.status} ${JSON.stringify(r.body)}`);
      if (m !== undefined) m.stale = true;
      return undefined;
    }
    if (r.status >= 400) {
      rejected += 1;
      const code = (r.body as { error?: { code?: string } } | undefined)?.error?.code ?? '?';
      rejectedByCode[`${action}:${code}`] = (rejectedByCode[`${action}:${code}`] ?? 0) + 1;
      if (m !== undefined) m.stale = true;
      return undefined;
    }
    acknowledged += 1;
    ackByAction[action] = (ackByAction[action] ?? 0) + 1;
    return r.body ?? {};
  }

  const mPath = (m: Milestone, action: string) =>
    `/v1/contracts/${m.contract.id}/milestones/${m.index}/${action}`;
  const partyToken = (m: Milestone, role: 'client' | 'freelancer') =>
    role === 'client' ? m.contract.client : m.contract.freelancer;

  // ---- actions
  async function createContract(): Promise<void> {
    const now = Math.floor(Date.now() / 1000);
    const n = rng.int(1, 3);
    const specs = Array.from({ length: n }, () => ({
      kind: rng.pick(KINDS),
      shape: rng.chance(0.5) ? ('enum' as const) : ('share' as const),
    }));
    const body = {
      title: `crash ${rng.int(0, 1e9)} ${rng.pick(['', 'é', '家', 'مرحبا', '🙂'])}`,
      client: { id: 'alice', name: 'Alice' },
      freelancer: { id: 'bob', name: 'Bob' },
      milestones: specs.map((s, i) => ({
        title: `m${i} ${s.kind}`,
        amountSat: String(rng.int(10_000, 5_000_000)),
        deliveryDeadline: now + 7 * 86_400,
        reviewWindowSec: s.kind === 'silence' ? 60 : 3 * 86_400,
        outcome: s.shape,
        ...(s.kind === 'vote' || s.kind === 'evidence'
          ? {
              dispute: {
                panel: { arbiters: [...ARBITERS] },
                evidenceWindowSec: s.kind === 'vote' ? 0 : 3600,
                votingWindowSec: s.kind === 'vote' ? 60 : 3600,
              },
            }
          : {}),
        ...(s.kind === 'ci' ? { ci: { identity: { kind: 'token' }, decisive: true } } : {}),
      })),
    };
    const out = (await write('createContract', undefined, () =>
      http('POST', '/v1/contracts', { body }),
    )) as
      | {
          contract: { id: string; milestones: { eventId: string }[] };
          tokens: { client: string; freelancer: string };
        }
      | undefined;
    if (out === undefined) return;
    const c: Contract = {
      id: out.contract.id,
      client: out.tokens.client,
      freelancer: out.tokens.freelancer,
      milestones: [],
    };
    specs.forEach((s, i) => {
      c.milestones.push({
        contract: c,
        index: i,
        eventId: out.contract.milestones[i]?.eventId ?? '',
        kind: s.kind,
        shape: s.shape,
        status: 'open',
        busy: false,
        stale: false,
        relay: 'none',
        relayDone: false,
        relayAttempts: { offer: [], accept: [], sign: [] },
        voteAttempts: new Map(),
        votes: 0,
        evidence: 0,
      });
    });
    contracts.push(c);
    dirty.add(c);
    facts.push({ t: 'contract', c });
  }

  const randomOutcome = (m: Milestone): string | number =>
    m.shape === 'enum' ? rng.pick(['accepted', 'rejected']) : rng.int(0, 100);
  const fullOutcome = (m: Milestone) => (m.shape === 'enum' ? 'accepted' : '100');

  function noteAttestation(m: Milestone, body: unknown, what: string, expected?: string): void {
    const att = (body as { attestation?: { outcome?: unknown; attestationHex?: unknown } })
      .attestation;
    if (att === undefined) return;
    const outcome = String(att.outcome);
    if (expected !== undefined && outcome !== expected)
      violate(`${what} on ${m.eventId}: attested ${outcome}, expected ${expected}`);
    recordAttestation(m.eventId, outcome, String(att.attestationHex), what);
    facts.push({ t: 'attested', m, outcome, what });
  }

  function recordAttestation(eventId: string, outcome: string, hex: string, where: string) {
    const prev = seenAttestation.get(eventId);
    if (prev === undefined) seenAttestation.set(eventId, { outcome, hex });
    else if (prev.hex !== hex || prev.outcome !== outcome)
      violate(
        `${eventId} attested twice (${where}): ${prev.outcome} then ${outcome}${prev.hex === hex ? '' : ' (different bytes)'}`,
      );
  }

  async function deliver(m: Milestone): Promise<void> {
    const ok = await write('deliver', m, () =>
      http('POST', mPath(m, 'deliver'), {
        token: m.contract.freelancer,
        body: { commitSha: COMMIT, note: rng.pick(['done', 'fertig ✓', 'تم', '\u202eRTL']) },
      }),
    );
    if (ok === undefined) return;
    m.status = 'delivered';
    facts.push({ t: 'status', m, atLeast: 'delivered', what: 'deliver' });
  }

  async function step(m: Milestone): Promise<void> {
    dirty.add(m.contract);
    if (m.kind === 'relay') return relayStep(m);
    if (m.kind === 'ci' && m.ciToken === undefined && m.status !== 'attested') {
      const out = (await write('ciTokenIssue', m, () =>
        http('POST', mPath(m, 'ci/tokens'), { token: m.contract.client, body: {} }),
      )) as { token: string; jti: string } | undefined;
      if (out !== undefined) {
        m.ciToken = out.token;
        facts.push({ t: 'ciToken', m, jti: out.jti });
      }
      return;
    }
    if (m.status === 'open') return deliver(m);
    switch (m.kind) {
      case 'accept': {
        const out = await write('accept', m, () =>
          http('POST', mPath(m, 'accept'), { token: m.contract.client }),
        );
        if (out === undefined) return;
        m.status = 'attested';
        noteAttestation(m, out, 'accept', fullOutcome(m));
        return;
      }
      case 'mutual': {
        const outcome = randomOutcome(m);
        const p = await write('propose', m, () =>
          http('POST', mPath(m, 'propose'), { token: m.contract.freelancer, body: { outcome } }),
        );
        if (p === undefined) return;
        const out = await write('acceptProposal', m, () =>
          http('POST', mPath(m, 'accept-proposal'), {
            token: m.contract.client,
            body: { outcome },
          }),
        );
        if (out === undefined) return;
        m.status = 'attested';
        noteAttestation(m, out, 'mutual', String(outcome));
        return;
      }
      case 'vote':
      case 'evidence': {
        if (m.status === 'delivered') {
          const out = await write('dispute', m, () =>
            http('POST', mPath(m, 'dispute'), {
              token: rng.chance(0.5) ? m.contract.client : m.contract.freelancer,
              body: {
                reason: rng.pick(['not as agreed', 'nicht fertig', '\u0000?', 'x'.repeat(300)]),
              },
            }),
          );
          if (out === undefined) return;
          m.status = 'disputed';
          facts.push({ t: 'status', m, atLeast: 'disputed', what: 'dispute' });
          return;
        }
        if (m.status !== 'disputed') return;
        if (m.kind === 'evidence') {
          m.evidence += 1;
          const role = rng.chance(0.5) ? 'client' : 'freelancer';
          const body = rng.chance(0.7)
            ? {
                kind: 'statement',
                text: `evidence ${rng.int(0, 1e6)} ${rng.pick(['ü', '𝄞', 'שלום'])}`,
              }
            : {
                kind: 'file',
                fileName: 'log.txt',
                contentType: 'text/plain',
                contentBase64: randomBytes(rng.int(1, 4096)).toString('base64'),
              };
          const out = (await write('evidence', m, () =>
            http('POST', mPath(m, 'dispute/evidence'), { token: partyToken(m, role), body }),
          )) as { evidence: { id: number } } | undefined;
          if (out !== undefined) facts.push({ t: 'evidence', m, evidenceId: out.evidence.id });
          return;
        }
        // vote
        if (m.disputeId === undefined) {
          const s = rng.pick(sessions);
          const q = await ui(s, 'GET', '/disputes').catch(() => undefined);
          const list =
            (
              q?.body as
                | {
                    disputes?: {
                      disputeId: number;
                      contractId: string;
                      milestoneIndex: number;
                      round: number;
                    }[];
                  }
                | undefined
            )?.disputes ?? [];
          const d = list.find(
            (x) => x.contractId === m.contract.id && x.milestoneIndex === m.index && x.round === 1,
          );
          if (d !== undefined) m.disputeId = d.disputeId;
          return;
        }
        m.votes += 1;
        const s = rng.pick(sessions);
        const outcome = String(randomOutcome(m));
        const attempts = m.voteAttempts.get(s.id) ?? [];
        attempts.push(outcome);
        m.voteAttempts.set(s.id, attempts);
        const from = attempts.length - 1;
        const disputeId = m.disputeId;
        const out = await write('vote', m, () =>
          ui(s, 'POST', `/disputes/${disputeId}/vote`, {
            outcome,
            rationale: `rationale ${outcome} ${rng.pick(['', '∑', '\u200f'])}`,
          }),
        );
        if (out !== undefined) facts.push({ t: 'vote', m, arbiter: s.id, from });
        return;
      }
      case 'ci': {
        if (m.status !== 'delivered' || m.ciToken === undefined) return;
        const statement = buildTestResultStatement({
          commit: COMMIT,
          result: 'PASSED',
          passedTests: ['suite > works'],
          failedTests: [],
          runUrl: 'https://ci.example/runs/1',
        });
        const token = m.ciToken;
        const out = (await write('ciSubmit', m, () =>
          http('POST', mPath(m, 'ci'), { token, body: statement }),
        )) as
          | { resultId: number; decision: string; outcome: unknown; attestationHex: unknown }
          | undefined;
        if (out === undefined) return;
        facts.push({ t: 'ciResult', m, resultId: out.resultId });
        if (out.decision === 'attested') {
          m.status = 'attested';
          const outcome = String(out.outcome);
          if (outcome !== fullOutcome(m)) violate(`ci pass on ${m.eventId} attested ${outcome}`);
          recordAttestation(m.eventId, outcome, String(out.attestationHex), 'ci');
          facts.push({ t: 'attested', m, outcome, what: 'ci' });
        }
        return;
      }
      case 'silence':
        return; // the scheduler decides it when the 60 s review window ends
    }
  }

  async function relayStep(m: Milestone): Promise<void> {
    const next: RelayKind =
      m.relay === 'none'
        ? 'offer'
        : m.relay === 'offer'
          ? rng.chance(0.3)
            ? 'offer'
            : 'accept'
          : 'sign';
    const role = next === 'accept' ? 'freelancer' : 'client';
    const hex = RELAY_PREFIX[next] + randomBytes(rng.int(4, 300)).toString('hex');
    m.relayAttempts[next].push(hex);
    const from = m.relayAttempts[next].length - 1;
    const out = await write(`dlc_${next}`, m, () =>
      http('POST', mPath(m, `dlc/${next}`), { token: partyToken(m, role), body: { hex } }),
    );
    if (out === undefined) return;
    m.relay = next;
    if (next === 'sign') m.relayDone = true;
    facts.push({ t: 'dlc', m, kind: next, from });
  }

  // ---- re-reading the server's state
  async function resync(m: Milestone): Promise<void> {
    const r = await http('GET', `/v1/contracts/${m.contract.id}`, { token: m.contract.client });
    const ms = (r.body as { milestones?: { status: Status }[] } | undefined)?.milestones;
    const st = ms?.[m.index]?.status;
    if (r.status !== 200 || st === undefined) return;
    m.status = st;
    if (m.kind === 'relay') {
      m.relay = 'none';
      for (const k of ['offer', 'accept', 'sign'] as const) {
        const g = await http('GET', mPath(m, `dlc/${k}`), { token: m.contract.client });
        if (g.status === 200) m.relay = k;
      }
      m.relayDone = m.relay === 'sign';
    }
    m.stale = false;
  }

  const finished = (m: Milestone) =>
    m.kind === 'relay'
      ? m.relayDone
      : m.status === 'attested' ||
        (m.kind === 'silence' && m.status === 'delivered') ||
        (m.kind === 'vote' && m.votes >= 8) ||
        (m.kind === 'evidence' && m.evidence >= 4);

  async function oneAction(): Promise<void> {
    const ready = contracts.flatMap((c) => c.milestones).filter((m) => !m.busy && !finished(m));
    if (ready.length < 6 || rng.chance(0.08)) return createContract();
    const m = rng.pick(ready);
    m.busy = true;
    try {
      if (m.stale) await resync(m);
      if (!finished(m)) await step(m);
    } catch (e) {
      if (!(e instanceof Unanswered)) throw e;
      m.stale = true;
    } finally {
      m.busy = false;
    }
  }

  // ---- checks after a restart
  async function checkContract(c: Contract): Promise<void> {
    const r = await http('GET', `/v1/contracts/${c.id}`, { token: c.client });
    if (r.status !== 200) {
      violate(`acknowledged contract ${c.id} not readable after restart: ${r.status}`);
      return;
    }
    const lr = await http('GET', `/v1/contracts/${c.id}/log`, { token: c.client });
    if (lr.status !== 200) {
      violate(`audit log of ${c.id}: ${lr.status} ${JSON.stringify(lr.body)}`);
      return;
    }
    const log = lr.body as { headHash: string; entries: AuditEntry[] };
    const v = verifyAuditChain(log.entries, c.id);
    if (!v.ok) violate(`audit log of ${c.id} does not verify at ${v.seq}: ${v.reason}`);
    else if (v.headHash !== log.headHash)
      violate(`audit log of ${c.id}: served head is not the chain's`);
    const hashes = log.entries.map((e) => e.hash);
    const before = seenLog.get(c.id) ?? [];
    if (before.some((h, i) => hashes[i] !== h))
      violate(
        `audit log of ${c.id} lost or rewrote entries (had ${before.length}, now ${hashes.length})`,
      );
    seenLog.set(c.id, hashes);
    const decided = new Map<number, number>();
    for (const e of log.entries)
      if (e.action === 'decided' && e.milestoneIndex !== null)
        decided.set(e.milestoneIndex, (decided.get(e.milestoneIndex) ?? 0) + 1);
    for (const [i, n] of decided) if (n > 1) violate(`${c.id}/${i} decided ${n} times in the log`);
    for (const m of c.milestones) {
      const ev = await http('GET', `/v1/events/${encodeURIComponent(m.eventId)}`);
      const status = (ev.body as { status?: string } | undefined)?.status;
      if (ev.status !== 200) {
        violate(`event ${m.eventId}: ${ev.status}`);
        continue;
      }
      if (status === 'attested') {
        const a = await http('GET', `/v1/events/${encodeURIComponent(m.eventId)}/attestation`);
        const att = a.body as { outcome: unknown; attestationHex: string };
        if (a.status !== 200) violate(`attestation of ${m.eventId}: ${a.status}`);
        else recordAttestation(m.eventId, String(att.outcome), att.attestationHex, 'after restart');
        if ((decided.get(m.index) ?? 0) !== 1)
          violate(`${m.eventId} attested with ${decided.get(m.index) ?? 0} decided entries`);
      } else if (seenAttestation.has(m.eventId)) {
        violate(`${m.eventId} was attested, now ${String(status)}`);
      }
    }
  }

  async function checkFact(f: Fact): Promise<void> {
    switch (f.t) {
      case 'contract':
        return; // checkContract reads every contract
      case 'status':
      case 'attested': {
        const r = await http('GET', `/v1/contracts/${f.m.contract.id}`, {
          token: f.m.contract.client,
        });
        const mv = (
          r.body as { milestones?: { status: Status; decision: { outcome: unknown } | null }[] }
        ).milestones?.[f.m.index];
        if (mv === undefined) return violate(`${f.m.eventId}: milestone unreadable`);
        if (f.t === 'status' && RANK[mv.status] < RANK[f.atLeast])
          violate(`acknowledged ${f.what} on ${f.m.eventId} lost: status ${mv.status}`);
        if (f.t === 'attested') {
          if (mv.status !== 'attested')
            violate(`acknowledged ${f.what} on ${f.m.eventId} lost: status ${mv.status}`);
          else if (String(mv.decision?.outcome) !== f.outcome)
            violate(
              `${f.m.eventId}: acknowledged outcome ${f.outcome}, now ${String(mv.decision?.outcome)}`,
            );
        }
        return;
      }
      case 'dlc': {
        const r = await http('GET', mPath(f.m, `dlc/${f.kind}`), { token: f.m.contract.client });
        const hex = (r.body as { hex?: string } | undefined)?.hex;
        if (
          r.status !== 200 ||
          hex === undefined ||
          !f.m.relayAttempts[f.kind].slice(f.from).includes(hex)
        )
          violate(`acknowledged dlc ${f.kind} on ${f.m.eventId} lost (${r.status})`);
        return;
      }
      case 'ciToken': {
        const r = await http('GET', mPath(f.m, 'ci/tokens'), { token: f.m.contract.client });
        const tokens = (r.body as { tokens?: { jti: string }[] } | undefined)?.tokens ?? [];
        if (!tokens.some((t) => t.jti === f.jti)) violate(`acknowledged CI token ${f.jti} lost`);
        return;
      }
      case 'ciResult': {
        const r = await http('GET', mPath(f.m, 'ci'), { token: f.m.contract.client });
        const results = (r.body as { results?: { resultId: number }[] } | undefined)?.results ?? [];
        if (!results.some((x) => x.resultId === f.resultId))
          violate(`acknowledged CI result ${f.resultId} on ${f.m.eventId} lost`);
        return;
      }
      case 'evidence': {
        const r = await http('GET', mPath(f.m, 'dispute'), { token: f.m.contract.client });
        const ev = (r.body as { evidence?: { id: number }[] } | undefined)?.evidence ?? [];
        if (!ev.some((e) => e.id === f.evidenceId))
          violate(`acknowledged evidence ${f.evidenceId} on ${f.m.eventId} lost`);
        return;
      }
      case 'vote': {
        const s = sessions.find((x) => x.id === f.arbiter);
        if (s === undefined || f.m.disputeId === undefined) return;
        const r = await ui(s, 'GET', `/disputes/${f.m.disputeId}`);
        const my = (
          r.body as { rounds?: { round: number; myVote: { outcome: string } | null }[] } | undefined
        )?.rounds?.find((x) => x.round === 1)?.myVote;
        const allowed = f.m.voteAttempts.get(f.arbiter)?.slice(f.from) ?? [];
        if (r.status !== 200 || my === undefined || my === null || !allowed.includes(my.outcome))
          violate(
            `acknowledged vote of ${f.arbiter} on dispute ${f.m.disputeId} lost (${r.status} ${JSON.stringify(my)})`,
          );
        return;
      }
      case 'arbiter': {
        const s = sessions.find((x) => x.id === f.id);
        if (s === undefined) return;
        const r = await ui(s, 'GET', '/me');
        if (r.status !== 200) violate(`arbiter ${f.id} session/account lost: ${r.status}`);
        return;
      }
    }
  }

  async function checkAll(full: boolean): Promise<void> {
    const sample = full
      ? contracts
      : [
          ...dirty,
          ...Array.from({ length: 8 }, () => contracts[rng.int(0, contracts.length - 1)]),
        ].filter((c): c is Contract => c !== undefined);
    for (const c of new Set(sample)) await checkContract(c);
    const touched = new Set(sample);
    for (const f of facts) {
      if (!full && f.t !== 'arbiter' && !touched.has(f.t === 'contract' ? f.c : f.m.contract))
        continue;
      await checkFact(f);
    }
    dirty.clear();
    for (const c of contracts) for (const m of c.milestones) m.stale = true;
  }

  // ---- setup: arbiters (before any kill)
  async function setupArbiters(): Promise<void> {
    adminToken = new TokenIssuer(loadOrCreateJwtSecret(dataDir), 3600).issueAdminToken(7 * 86_400);
    for (const id of ARBITERS) {
      const inv = await http('POST', '/v1/arbiters', {
        token: adminToken,
        body: { id, displayName: `Arbiter ${id}` },
      });
      if (inv.status !== 201) throw new Error(`invite ${id}: ${JSON.stringify(inv.body)}`);
      const token = (inv.body as { token: string }).token;
      const acc = await http('POST', '/arbiter/api/invite/accept', {
        headers: { origin: url },
        body: { token, password: ARBITER_PASSWORD },
      });
      if (acc.status !== 200) throw new Error(`accept ${id}: ${JSON.stringify(acc.body)}`);
      const res = await fetch(`${url}/arbiter/api/login`, {
        method: 'POST',
        headers: { origin: url, 'content-type': 'application/json' },
        body: JSON.stringify({ id, password: ARBITER_PASSWORD }),
      });
      const body = (await res.json()) as { csrfToken: string };
      if (res.status !== 200) throw new Error(`login ${id}: ${JSON.stringify(body)}`);
      const cookie = res.headers
        .getSetCookie()
        .map((c) => c.split(';')[0] ?? '')
        .join('; ');
      sessions.push({ id, cookie, csrf: body.csrfToken });
      facts.push({ t: 'arbiter', id });
    }
  }

  async function start(): Promise<void> {
    child = await startServiceChild(env, { keepOutput: false });
    url = child.url;
    starts += 1;
  }

  // ---- the run
  let integrityCheck = 'not run';
  try {
    await start();
    await setupArbiters();
    for (let k = 1; k <= opts.kills; k++) {
      const target = rng.chance(0.1) ? 0 : rng.int(1, maxActions);
      let started = 0;
      let killed = false;
      const c = child;
      const kill = () => {
        if (killed) return;
        killed = true;
        c?.proc.kill('SIGKILL');
      };
      const worker = async () => {
        while (!killed) {
          if (started >= target) {
            kill();
            break;
          }
          started += 1;
          await oneAction();
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      kill();
      await c?.exited();
      await start();
      await checkAll(false);
      say(
        `kill ${k}/${opts.kills}: ${started} actions started; acknowledged ${acknowledged}/${attempted} so far, ${violations.length} violations`,
      );
    }
    // Let the scheduler's decisions land, then check everything and stop cleanly.
    await checkAll(true);
    const code = await child?.stop();
    if (code !== 0) violate(`clean stop exited with ${String(code)}`);
    child = undefined;
    integrityCheck = finalDatabaseChecks(join(dataDir, 'verdict.db'), violate);
  } catch (e) {
    violate(`harness failure: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    if (child !== undefined) say(child.output().slice(-4000));
  } finally {
    if (child !== undefined) await child.kill9();
  }
  const report: CrashRunReport = {
    seed,
    kills: opts.kills,
    starts,
    attempted,
    acknowledged,
    rejected,
    unanswered,
    acknowledgedByAction: ackByAction,
    rejectedByCode,
    facts: facts.length,
    contracts: contracts.length,
    attestationsSeen: seenAttestation.size,
    auditEntries: [...seenLog.values()].reduce((n, l) => n + l.length, 0),
    integrityCheck,
    violations,
    dataDir,
  };
  if (violations.length === 0 && opts.keepDataDir !== true)
    rmSync(dataDir, { recursive: true, force: true });
  return report;
}

/** The checks on the SQLite file itself, opened read-only after the final clean stop. */
function finalDatabaseChecks(path: string, violate: (v: string) => void): string {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    const integrity = rows.map((r) => r.integrity_check).join('; ');
    if (integrity !== 'ok') violate(`PRAGMA integrity_check: ${integrity}`);
    const fk = db.pragma('foreign_key_check') as unknown[];
    if (fk.length > 0) violate(`PRAGMA foreign_key_check: ${JSON.stringify(fk.slice(0, 5))}`);
    const twice = db
      .prepare('SELECT event_id, COUNT(*) AS n FROM attestations GROUP BY event_id HAVING n > 1')
      .all();
    if (twice.length > 0) violate(`attestation rows per event > 1: ${JSON.stringify(twice)}`);
    return integrity;
  } finally {
    db.close();
  }
}
