/**
 * The real service as a child process (`node --import tsx oracle/main.ts`), for the crash harness,
 * the fuzzers and the key-hygiene tests. Its whole stdout/stderr is kept (the log-secrets test
 * searches it), and the URL is read from the "listening" log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export const CHILD_PASSPHRASE = 'hardening: correct horse battery staple';

/** The environment of a test server: loopback, ephemeral port, small scrypt cost. */
export function childEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // Only what node and tsx need from the parent: no VERDICT_* leaks in from the caller.
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'NODE_OPTIONS', 'LANG']) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return {
    ...env,
    VERDICT_DATA_DIR: dataDir,
    VERDICT_HOST: '127.0.0.1',
    VERDICT_PORT: '0',
    VERDICT_SCRYPT_N: '1024',
    VERDICT_KEYSTORE_PASSPHRASE: CHILD_PASSPHRASE,
    VERDICT_LOG_LEVEL: 'info',
    ...extra,
  };
}

export function tempDir(prefix = 'verdict-hardening-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface ServiceChild {
  readonly proc: ChildProcess;
  readonly url: string;
  /** Everything the process wrote so far (stdout then stderr interleaved as received). */
  output(): string;
  /** Resolves when the process has exited (at once if it already has). */
  exited(): Promise<void>;
  kill9(): Promise<void>;
  /** SIGTERM and wait: a clean stop. */
  stop(): Promise<number | null>;
}

/**
 * Starts the service and resolves once it logs its URL; rejects with its output if it exits first.
 * `keepOutput` false keeps only the last 64 kB (long crash runs).
 */
export function startServiceChild(
  env: NodeJS.ProcessEnv,
  opts: { keepOutput?: boolean } = {},
): Promise<ServiceChild> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'oracle/main.ts'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = opts.keepOutput ?? true;
  let out = '';
  const append = (b: Buffer) => {
    out += b.toString('utf8');
    if (!keep && out.length > 128 * 1024) out = out.slice(-64 * 1024);
  };
  const exitedP = new Promise<void>((resolve) => {
    proc.once('exit', () => resolve());
  });
  const exited = () =>
    proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : exitedP;
  return new Promise((resolve, reject) => {
    let url: string | undefined;
    const onData = (b: Buffer) => {
      append(b);
      if (url !== undefined) return;
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m?.[1] === undefined) return;
      url = m[1];
      resolve({
        proc,
        url,
        output: () => out,
        exited,
        async kill9() {
          proc.kill('SIGKILL');
          await exited();
        },
        async stop() {
          proc.kill('SIGTERM');
          await exited();
          return proc.exitCode;
        },
      });
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', append);
    proc.once('exit', (code, signal) => {
      if (url === undefined)
        reject(new Error(`the service exited (${code ?? signal}) before listening:\n${out}`));
    });
  });
}

/** Runs a command to its end and returns its exit code and output. */
export function runToExit(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  stdin?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: repoRoot,
    env,
    stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout?.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  proc.stderr?.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  if (stdin !== undefined && proc.stdin !== null) proc.stdin.end(stdin);
  return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, stdout, stderr })));
}

/** Resident set size of a process in kB, from /proc (Linux); undefined elsewhere. */
export async function rssKb(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const { readFile } = await import('node:fs/promises');
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    return m?.[1] === undefined ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}
