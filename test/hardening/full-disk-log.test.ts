/**
 * Issue 19 §4: on a full disk the service kept retrying its log writes (or threw from them), HTTP
 * stopped and SIGTERM was ignored. Here the real service process writes its log to /dev/full
 * (every write fails with ENOSPC) at `trace` level: it must start, answer reads and writes, and
 * stop on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { contractRequest } from '../oracle/helpers.ts';
import { childEnv, repoRoot, tempDir } from './child.ts';

const dataDir = tempDir('verdict-fulldisk-');
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** A port free at the moment (the service cannot report its port: its stdout is /dev/full). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr !== null
          ? resolve(addr.port)
          : reject(new Error('no port')),
      );
    });
  });
}

describe.skipIf(!existsSync('/dev/full'))('logging on a full disk (issue 19 §4)', () => {
  it('serves and stops on SIGTERM while every log write fails with ENOSPC', async () => {
    const port = await freePort();
    const full = openSync('/dev/full', 'w');
    let stderr = '';
    const proc = spawn(process.execPath, ['--import', 'tsx', 'oracle/main.ts'], {
      cwd: repoRoot,
      env: childEnv(dataDir, {
        VERDICT_PORT: String(port),
        VERDICT_LOG_LEVEL: 'trace',
        VERDICT_DEVNET: 'off',
      }),
      stdio: ['ignore', full, 'pipe'],
    });
    closeSync(full);
    proc.stderr?.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const exited = new Promise<number | null>((resolve) =>
      proc.once('exit', (code) => resolve(code)),
    );
    const url = `http://127.0.0.1:${port}`;
    let up = false;
    for (let i = 0; i < 300 && !up && proc.exitCode === null; i++) {
      up = await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    expect(up, `the service did not come up; stderr:\n${stderr}`).toBe(true);
    // Reads and writes, each of which logs.
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 20; i++) {
      const created = await fetch(`${url}/v1/contracts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(contractRequest(now)),
      });
      expect(created.status).toBe(201);
      const bad = await fetch(`${url}/v1/no-such-route`);
      expect(bad.status).toBe(404);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    }
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);
});
