/**
 * The real server process: `node --import tsx oracle/main.ts`. A second process on the same data
 * dir refuses to start; kill -9 during a burst of decisions loses no acknowledged decision.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../oracle/domain/audit-log.ts';
import {
  call,
  contractRequest,
  eventPath,
  expectOk,
  milestoneUrl,
  TEST_ENV,
  tempDataDir,
  type AttestationView,
  type AuditLogView,
  type CreatedContract,
  type EventView,
} from './helpers.ts';
import { expectAttestationVerifies } from './verify.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface Child {
  readonly proc: ChildProcess;
  readonly url: string;
}

function env(dataDir: string): NodeJS.ProcessEnv {
  return { ...process.env, ...TEST_ENV, VERDICT_LOG_LEVEL: 'info', VERDICT_DATA_DIR: dataDir };
}

/** Starts the server and resolves with its URL once it logs that it listens. */
function startChild(dataDir: string): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'oracle/main.ts'], {
    cwd: repoRoot,
    env: env(dataDir),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m?.[1] !== undefined) resolve({ proc, url: m[1] });
    });
    proc.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}: ${err}${out}`)));
  });
}

function runToExit(dataDir: string): Promise<{ code: number | null; stderr: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'oracle/main.ts'], {
    cwd: repoRoot,
    env: env(dataDir),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  return new Promise((resolve) => proc.on('exit', (code) => resolve({ code, stderr })));
}

function exited(p: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) resolve();
    else p.on('exit', () => resolve());
  });
}

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const p of children) {
    if (p.exitCode === null && p.signalCode === null) {
      p.kill('SIGKILL');
      await exited(p);
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the server process', () => {
  it('refuses a second process on the same data dir, and stops cleanly on SIGTERM', async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const first = await startChild(dataDir);
    children.push(first.proc);
    const second = await runToExit(dataDir);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/in use by another Verdict process \(pid \d+\)/);
    expectOk(await call(first.url, 'GET', '/healthz'));
    first.proc.kill('SIGTERM');
    await exited(first.proc);
    expect(first.proc.exitCode).toBe(0);
    // The lock was released: a new process starts.
    const third = await startChild(dataDir);
    children.push(third.proc);
    third.proc.kill('SIGTERM');
    await exited(third.proc);
  });

  it('kill -9 during a burst of decisions: every acknowledged decision is attested exactly once', async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const a = await startChild(dataDir);
    children.push(a.proc);
    const now = Math.floor(Date.now() / 1000);
    const contracts: CreatedContract[] = [];
    for (let i = 0; i < 40; i++) {
      const c = expectOk(
        await call<CreatedContract>(a.url, 'POST', '/v1/contracts', { body: contractRequest(now) }),
        201,
      );
      expectOk(
        await call(a.url, 'POST', milestoneUrl(c.contract.id, 0, 'deliver'), {
          token: c.tokens.freelancer,
          body: { commitSha: '7'.repeat(40) },
        }),
      );
      contracts.push(c);
    }
    // The burst: every client accepts at once; the process dies after the first acknowledgements.
    const acknowledged = new Set<string>();
    let killed = false;
    const burst = contracts.map(async (c) => {
      try {
        const r = await call(a.url, 'POST', milestoneUrl(c.contract.id, 0, 'accept'), {
          token: c.tokens.client,
        });
        if (r.status === 200) acknowledged.add(c.contract.id);
        if (!killed && acknowledged.size >= 5) {
          killed = true;
          a.proc.kill('SIGKILL');
        }
      } catch {
        // The connection died with the process: not acknowledged.
      }
    });
    await Promise.all(burst);
    if (!killed) a.proc.kill('SIGKILL');
    await exited(a.proc);
    expect(acknowledged.size).toBeGreaterThanOrEqual(5);

    const b = await startChild(dataDir);
    children.push(b.proc);
    let attested = 0;
    for (const c of contracts) {
      const eventId = c.contract.milestones[0]!.eventId;
      const ev = expectOk(await call<EventView>(b.url, 'GET', `/v1/events/${eventPath(eventId)}`));
      const log = expectOk(
        await call<AuditLogView>(b.url, 'GET', `/v1/contracts/${c.contract.id}/log`, {
          token: c.tokens.client,
        }),
      );
      expect(verifyAuditChain(log.entries, c.contract.id).ok).toBe(true);
      const decisions = log.entries.filter((e) => e.action === 'decided');
      if (acknowledged.has(c.contract.id)) expect(ev.status).toBe('attested');
      if (ev.status === 'attested') {
        attested += 1;
        expect(decisions).toHaveLength(1);
        const att = expectOk(
          await call<AttestationView>(b.url, 'GET', `/v1/events/${eventPath(eventId)}/attestation`),
        );
        expect(att.outcome).toBe(100);
        expectAttestationVerifies(ev.announcementHex, att.attestationHex);
      } else {
        expect(decisions).toHaveLength(0);
        // Not acknowledged and not committed: the client can simply decide again.
        expectOk(
          await call(b.url, 'POST', milestoneUrl(c.contract.id, 0, 'accept'), {
            token: c.tokens.client,
          }),
        );
      }
    }
    expect(attested).toBeGreaterThanOrEqual(acknowledged.size);
    b.proc.kill('SIGTERM');
    await exited(b.proc);
  });
});
