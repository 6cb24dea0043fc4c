/**
 * Benchmark helper processes: the parent spawns `node --import tsx <script>` with an IPC channel,
 * waits for its `ready` message, then sends it commands and awaits their answers. A child exits
 * when its parent goes away (`disconnect`), so an interrupted bench leaves no process behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: string;
}

export class BenchChild<Ready = unknown> {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  private stderrTail = '';
  private exited = false;

  private constructor(
    readonly proc: ChildProcess,
    readonly ready: Ready,
  ) {}

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /**
   * Spawns `script` (a path relative to the repo root) and resolves with its `ready` payload.
   * `nodeArgs` go before the script (e.g. `--cpu-prof` to profile a server under load).
   */
  static start<R>(
    script: string,
    env: Record<string, string> = {},
    nodeArgs: readonly string[] = [],
  ): Promise<BenchChild<R>> {
    const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let tail = '';
    proc.stderr?.on('data', (b: Buffer) => {
      tail = (tail + b.toString()).slice(-4000);
    });
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`${script} exited (${code}) before ready: ${tail}`));
      proc.once('exit', onExit);
      proc.once('message', (m: { type?: string; payload?: R }) => {
        proc.off('exit', onExit);
        if (m.type !== 'ready') {
          reject(new Error(`${script}: expected ready, got ${JSON.stringify(m)}`));
          return;
        }
        const child = new BenchChild<R>(proc, m.payload as R);
        child.stderrTail = tail;
        proc.stderr?.on('data', (b: Buffer) => {
          child.stderrTail = (child.stderrTail + b.toString()).slice(-4000);
        });
        proc.on('message', (r: Reply) => child.settle(r));
        proc.once('exit', (code) => {
          child.exited = true;
          for (const p of child.pending.values())
            p.reject(new Error(`${script} exited (${code}): ${child.stderrTail}`));
          child.pending.clear();
        });
        resolve(child);
      });
    });
  }

  private settle(r: Reply): void {
    const p = this.pending.get(r.id);
    if (p === undefined) return;
    this.pending.delete(r.id);
    if (r.ok) p.resolve(r.result);
    else p.reject(new Error(r.error ?? 'child command failed'));
  }

  request<T>(cmd: string, arg?: unknown): Promise<T> {
    if (this.exited) return Promise.reject(new Error('child has exited'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.send({ id, cmd, arg });
    });
  }

  /** Asks the child to stop, then waits for it to exit (SIGKILL after `graceMs`). */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.exited || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.request('stop').catch(() => undefined);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

type Handler = (arg: unknown) => unknown;

/** Child side: announces `ready` with `payload`, then answers the parent's commands. */
export function serveParent(payload: unknown, handlers: Record<string, Handler>): void {
  if (process.send === undefined) throw new Error('not started with an IPC channel');
  const send = process.send.bind(process);
  process.on('message', (m: { id: number; cmd: string; arg?: unknown }) => {
    const h = handlers[m.cmd];
    void (async () => {
      try {
        if (h === undefined) throw new Error(`unknown command ${m.cmd}`);
        send({ id: m.id, ok: true, result: await h(m.arg) });
      } catch (e) {
        send({
          id: m.id,
          ok: false,
          error: e instanceof Error ? (e.stack ?? e.message) : String(e),
        });
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', payload });
}

/** RSS and heap of this process, in MiB. */
export function memoryMiB(): { rssMiB: number; heapUsedMiB: number } {
  const m = process.memoryUsage();
  return { rssMiB: m.rss / 2 ** 20, heapUsedMiB: m.heapUsed / 2 ** 20 };
}
