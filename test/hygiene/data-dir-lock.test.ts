/**
 * Issue 19 §10: the data dir's lock is released by the OS with its process. Real child
 * processes: a holder killed with SIGKILL leaves stale locks; two racers then take each of them
 * at the same moment, and exactly one wins every trial. A lock file that names the taker's own
 * pid (a container's PID 1 restarting after kill -9) does not stop it; a live holder is refused
 * with the DataDirLockedError message.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireDataDirLock, DataDirLockedError } from '../../oracle/data-dir.ts';
import { repoRoot } from '../hardening/child.ts';

const TRIALS = 100;

class Racer {
  readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly waiting: ((line: string) => void)[] = [];
  pid = 0;

  constructor() {
    this.proc = spawn(process.execPath, ['--import', 'tsx', 'test/hygiene/lock-racer.ts'], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.lines = createInterface({ input: this.proc.stdout });
    this.lines.on('line', (line) => this.waiting.shift()?.(line));
  }

  next(): Promise<string> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async ready(): Promise<void> {
    const line = await this.next();
    expect(line).toMatch(/^ready \d+$/);
    this.pid = Number(line.split(' ')[1]);
  }

  ask(command: string): Promise<string> {
    const answer = this.next();
    this.proc.stdin.write(`${command}\n`);
    return answer;
  }

  kill9(): Promise<void> {
    return new Promise((resolve) => {
      this.proc.once('exit', () => resolve());
      this.proc.kill('SIGKILL');
    });
  }
}

describe('data dir lock (issue 19 §10)', () => {
  let root: string;
  const dirs: string[] = [];
  let a: Racer;
  let b: Racer;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'verdict-lock-race-'));
    for (let i = 0; i < TRIALS; i++) {
      const d = join(root, `d${i}`);
      mkdirSync(d, { mode: 0o700 });
      dirs.push(d);
    }
    a = new Racer();
    b = new Racer();
    await Promise.all([a.ready(), b.ready()]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a.kill9(), b.kill9()]);
    rmSync(root, { recursive: true, force: true });
  });

  it(`two processes racing for ${TRIALS} locks left by a SIGKILLed holder: exactly one wins each`, async () => {
    const holder = new Racer();
    await holder.ready();
    expect(await holder.ask(`hold ${dirs.join(' ')}`)).toBe(`held ${TRIALS}`);
    // While it lives, nobody else gets in, and the message names it.
    const refused = await a.ask(`take ${dirs[0] ?? ''}`);
    expect(refused).toContain(
      `in use by another Verdict process (pid ${holder.pid}); stop it first`,
    );
    await holder.kill9();
    // Every lock is now stale. Half the dirs also carry a pre-issue-19 pid file naming a
    // racer (a PID 1 that restarted finds "pid 1": itself, alive).
    dirs.forEach((d, i) => {
      if (i % 2 === 0) writeFileSync(join(d, 'verdict.lock'), `${i % 4 === 0 ? a.pid : b.pid}\n`);
    });
    const winners = { a: 0, b: 0, both: 0, none: 0 };
    for (const d of dirs) {
      // Both commands are written before either answer is read: the two take at the same time.
      const [ra, rb] = await Promise.all([a.ask(`take ${d}`), b.ask(`take ${d}`)]);
      const ga = ra === `got ${d}`;
      const gb = rb === `got ${d}`;
      if (ga && gb) winners.both++;
      else if (!ga && !gb) winners.none++;
      else if (ga) winners.a++;
      else winners.b++;
      for (const [r, got] of [
        [ra, ga],
        [rb, gb],
      ] as const) {
        if (!got) expect(r).toMatch(/^busy .* is in use by another Verdict process/);
      }
      await Promise.all([a.ask(`release ${d}`), b.ask(`release ${d}`)]);
    }
    expect({ both: winners.both, none: winners.none }).toEqual({ both: 0, none: 0 });
    expect(winners.a + winners.b).toBe(TRIALS);
  }, 240_000);

  it('a holder killed with SIGKILL frees the lock at once; in-process holders exclude each other', async () => {
    const d = mkdtempSync(join(root, 'kill-'));
    const holder = new Racer();
    await holder.ready();
    expect(await holder.ask(`take ${d}`)).toBe(`got ${d}`);
    expect(() => acquireDataDirLock(d)).toThrow(DataDirLockedError);
    await holder.kill9();
    const release = acquireDataDirLock(d);
    try {
      expect(() => acquireDataDirLock(d)).toThrow(/in use by another Verdict process/);
    } finally {
      release();
    }
    acquireDataDirLock(d)(); // released: free again
  }, 60_000);
});
