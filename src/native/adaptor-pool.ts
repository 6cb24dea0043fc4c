/**
 * Spreads the adaptor signatures of a contract (one per CET) over a small pool of worker threads,
 * one per core by default. Each worker runs the same scheme code (`ecdsa-adaptor.ts`: native
 * libsecp256k1 when available, else noble), so results are byte-identical to signing in the
 * calling thread with the same aux randomness. Node-only.
 *
 * Workers start lazily (≈ 0.5 s each under tsx, mostly compiling the TypeScript) and do not keep
 * the process alive while idle. Under TypeScript source (tsx, vitest) each worker registers tsx's
 * hooks before importing its entry. A worker that dies closes the pool: every pending call
 * rejects with its error.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ADAPTOR_SIGNATURE_LENGTH } from '../crypto/ecdsa-adaptor.ts';
import {
  assertAdaptorSignatures,
  createAdaptorSignatures,
  InvalidCetAdaptorSignaturesError,
  throwIfInvalid,
  type AdaptorRunner,
  type AdaptorSigningItem,
} from '../dlc/adaptor-set.ts';
import type { AdaptorBackendName } from './ecdsa-adaptor.ts';
import { adaptorBackend, ecdsaAdaptor } from './ecdsa-adaptor.ts';
import type { EncryptJob, VerifyJob, WorkerRequest, WorkerResponse } from './adaptor-worker.ts';

/** Each job with its aux randomness, drawn in one CSPRNG call for the batch. */
function withAuxRand(
  jobs: readonly EncryptJob[],
): (EncryptJob & { readonly auxRand: Uint8Array })[] {
  const aux = randomBytes(32 * jobs.length);
  return jobs.map((j, i) => ({ ...j, auxRand: j.auxRand ?? aux.subarray(i * 32, (i + 1) * 32) }));
}

export type { EncryptJob, VerifyJob } from './adaptor-worker.ts';

export interface AdaptorWorkerPoolOptions {
  /** Number of worker threads (default: the number of cores, at most 8). */
  readonly size?: number;
  /** Backend the workers use (default: native when this thread can load it, else noble). */
  readonly backend?: AdaptorBackendName;
}

/** Distributive form of Omit, so that it keeps the variants of a union apart. */
type RequestBody = WorkerRequest extends infer R
  ? R extends WorkerRequest
    ? Omit<R, 'id' | 'backend'>
    : never
  : never;

interface Task {
  readonly body: RequestBody;
  /** Set for the tasks of a batch that the calling thread shares ({@link AdaptorWorkerPool.runShared}). */
  readonly batch?: symbol;
  readonly resolve: (result: Uint8Array[] | boolean[]) => void;
  readonly reject: (error: Error) => void;
}

interface PoolWorker {
  readonly worker: Worker;
  /** Loaded (it said so): only then does it get work, so nothing waits for a worker to start. */
  ready: boolean;
  task: (Task & { readonly id: number }) | undefined;
}

const workerUrl = new URL(
  import.meta.url.endsWith('.ts') ? './adaptor-worker.ts' : './adaptor-worker.js',
  import.meta.url,
);

/** The ESM build of `tsx/esm/api` (require.resolve would give its CommonJS build). */
function tsxEsmApiUrl(): string {
  const pkgJson = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as {
    exports: Record<string, { import?: { default?: string } } | string>;
  };
  const entry = pkg.exports['./esm/api'];
  const file = typeof entry === 'object' ? entry.import?.default : undefined;
  if (!file) throw new Error('tsx/esm/api has no ESM entry');
  return pathToFileURL(join(dirname(pkgJson), file)).href;
}

/**
 * Starts a worker on `adaptor-worker`. Compiled JavaScript starts directly; TypeScript source
 * (tsx, vitest) needs tsx's hooks registered inside the worker before its entry is imported
 * (Node 20 does not apply an `--import` loader given in a worker's execArgv to that worker).
 */
function startWorker(): Worker {
  if (!workerUrl.pathname.endsWith('.ts')) return new Worker(workerUrl);
  const bootstrap =
    `import(${JSON.stringify(tsxEsmApiUrl())})` +
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl.href)}); })` +
    `.catch((e) => { setImmediate(() => { throw e; }); });`;
  return new Worker(bootstrap, { eval: true });
}

function rebuildError(name: string, message: string): Error {
  if (name === 'TypeError') return new TypeError(message);
  if (name === 'RangeError') return new RangeError(message);
  const e = new Error(message);
  e.name = name;
  return e;
}

/** Called as chunks complete: `done` of `total` jobs (for a progress bar). */
export type ProgressCallback = (done: number, total: number) => void;

/** Wraps each chunk's promise so that its completion reports the running count. */
function progressCounter(
  total: number,
  onProgress: ProgressCallback | undefined,
): <T>(size: number, chunk: Promise<T>) => Promise<T> {
  let done = 0;
  return async (size, chunk) => {
    const result = await chunk;
    done += size;
    onProgress?.(done, total);
    return result;
  };
}

/** A pool of worker threads that create and verify adaptor signatures. */
export class AdaptorWorkerPool {
  readonly size: number;
  readonly backend: AdaptorBackendName;
  private readonly workers: PoolWorker[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private failure: Error | undefined;
  private closed = false;

  constructor(options: AdaptorWorkerPoolOptions = {}) {
    const size = options.size ?? Math.min(8, availableParallelism());
    if (!Number.isInteger(size) || size < 1) throw new RangeError('size must be an integer ≥ 1');
    this.size = size;
    this.backend = options.backend ?? adaptorBackend();
  }

  /**
   * Creates one adaptor signature per job with `secretKey`, in job order; the same bytes as
   * `ecdsaAdaptor(backend).adaptorEncrypt` with each job's `auxRand`.
   */
  async createAdaptorSignatures(
    secretKey: Uint8Array,
    jobs: readonly EncryptJob[],
    onProgress?: ProgressCallback,
  ): Promise<Uint8Array[]> {
    const withAux = withAuxRand(jobs);
    const progress = progressCounter(jobs.length, onProgress);
    const chunks = await Promise.all(
      this.chunk(withAux).map((part) =>
        progress(
          part.length,
          this.run({ kind: 'encrypt', secretKey, jobs: part }) as Promise<Uint8Array[]>,
        ),
      ),
    );
    // Worker results arrive as Uint8Array (structured clone keeps the type).
    return chunks.flat();
  }

  /** Verifies each job's adaptor signature against `publicKey`; one boolean per job, in order. */
  async verifyAdaptorSignatures(
    publicKey: Uint8Array,
    jobs: readonly VerifyJob[],
    onProgress?: ProgressCallback,
  ): Promise<boolean[]> {
    const progress = progressCounter(jobs.length, onProgress);
    const chunks = await Promise.all(
      this.chunk(jobs).map((part) =>
        progress(
          part.length,
          this.run({ kind: 'verify', publicKey, jobs: part }) as Promise<boolean[]>,
        ),
      ),
    );
    return chunks.flat();
  }

  /**
   * {@link createAdaptorSignatures} with this thread taking part ({@link runShared}): never
   * slower than signing here alone, even while the workers are still starting.
   */
  async createShared(
    secretKey: Uint8Array,
    jobs: readonly EncryptJob[],
    onProgress?: ProgressCallback,
  ): Promise<Uint8Array[]> {
    const withAux = withAuxRand(jobs);
    const scheme = ecdsaAdaptor(this.backend);
    const chunks = await this.runShared(
      this.chunk(withAux).map((part) => ({ kind: 'encrypt', secretKey, jobs: part }) as const),
      (body) => scheme.adaptorEncryptMany(secretKey, body.jobs),
      jobs.length,
      onProgress,
    );
    return chunks.flat();
  }

  /** {@link verifyAdaptorSignatures} with this thread taking part ({@link runShared}). */
  async verifyShared(
    publicKey: Uint8Array,
    jobs: readonly VerifyJob[],
    onProgress?: ProgressCallback,
  ): Promise<boolean[]> {
    const scheme = ecdsaAdaptor(this.backend);
    const chunks = await this.runShared(
      this.chunk(jobs).map((part) => ({ kind: 'verify', publicKey, jobs: part }) as const),
      (body) => scheme.adaptorVerifyMany(publicKey, body.jobs),
      jobs.length,
      onProgress,
    );
    return chunks.flat();
  }

  /** Starts every worker now (e.g. while the caller validates a contract), without waiting. */
  warm(): void {
    if (this.closed || this.failure) return;
    while (this.workers.length < this.size) this.spawn();
  }

  /** Resolves once every worker started so far has loaded (for measuring the start-up). */
  async ready(): Promise<void> {
    while (this.workers.some((w) => !w.ready)) {
      if (this.closed) throw this.failure ?? new Error('adaptor worker pool closed');
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /**
   * Runs `bodies` (chunks of one batch) on the workers and on this thread together: this thread
   * takes the next chunk still queued whenever it is free, workers take the others as they
   * become idle (or once they have started). A pool that is still starting, or busy with other
   * work, so costs this batch nothing beyond queueing: the start-up of a fresh pool is never
   * waited for. The results are in `bodies` order.
   */
  private async runShared<B extends RequestBody, R extends Uint8Array[] | boolean[]>(
    bodies: readonly B[],
    local: (body: B) => R,
    total: number,
    onProgress: ProgressCallback | undefined,
  ): Promise<R[]> {
    if (this.closed || this.failure) {
      throw this.failure ?? new Error('adaptor worker pool closed');
    }
    const batch = Symbol('batch');
    const progress = progressCounter(total, onProgress);
    const promises = bodies.map((body) =>
      progress(
        body.jobs.length,
        new Promise<R>((resolve, reject) => {
          this.queue.push({
            body,
            batch,
            resolve: resolve as (r: Uint8Array[] | boolean[]) => void,
            reject,
          });
        }),
      ),
    );
    this.dispatch();
    for (;;) {
      const i = this.queue.findIndex((t) => t.batch === batch);
      if (i < 0) break;
      const task = this.queue.splice(i, 1)[0]!;
      try {
        task.resolve(local(task.body as B));
      } catch (e) {
        task.reject(e instanceof Error ? e : new Error(String(e)));
      }
      // Let workers that finished report and take the next chunk before this thread does.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return Promise.all(promises);
  }

  /** Whether {@link close} was called (or a worker died, which closes the pool). */
  isClosed(): boolean {
    return this.closed;
  }

  /** Stops the workers; later calls reject. */
  async close(): Promise<void> {
    this.closed = true;
    const error = this.failure ?? new Error('adaptor worker pool closed');
    for (const t of this.queue.splice(0)) t.reject(error);
    const workers = this.workers.splice(0);
    for (const w of workers) {
      w.task?.reject(error); // work in flight is abandoned, never half-reported
      w.task = undefined;
    }
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  /** Chunks small enough that every worker gets several (load balance), large enough to amortize. */
  private chunk<T>(jobs: readonly T[]): T[][] {
    const size = Math.max(8, Math.ceil(jobs.length / (this.size * 4)));
    const out: T[][] = [];
    for (let i = 0; i < jobs.length; i += size) out.push(jobs.slice(i, i + size));
    return out;
  }

  private run(body: RequestBody): Promise<Uint8Array[] | boolean[]> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      if (this.closed) return reject(new Error('adaptor worker pool closed'));
      this.queue.push({ body, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const w = this.workers.find((x) => x.ready && x.task === undefined);
      if (!w) {
        // Start workers for the queued work; the starting ones keep the process alive for it.
        const starting = this.workers.filter((x) => !x.ready);
        for (const x of starting) x.worker.ref();
        let count = starting.length;
        while (this.workers.length < this.size && count < this.queue.length) {
          this.spawn().worker.ref();
          count++;
        }
        return;
      }
      const task = this.queue.shift()!;
      const id = this.nextId++;
      w.task = { ...task, id };
      w.worker.ref();
      const req: WorkerRequest = { ...task.body, id, backend: this.backend };
      w.worker.postMessage(req);
    }
  }

  private spawn(): PoolWorker {
    const worker = startWorker();
    const w: PoolWorker = { worker, task: undefined, ready: false };
    worker.unref();
    worker.on('message', (res: WorkerResponse) => {
      if ('ready' in res) {
        w.ready = true;
        this.dispatch();
        if (w.task === undefined) worker.unref();
        return;
      }
      const task = w.task;
      if (!task || task.id !== res.id) return;
      w.task = undefined;
      worker.unref();
      if (res.ok) task.resolve(res.result);
      else task.reject(rebuildError(res.name, res.message));
      this.dispatch();
    });
    const fail = (error: Error): void => {
      if (this.closed) return;
      // A worker that dies takes the pool with it (every pending call rejects with its error):
      // no silent retries, no partial results.
      this.failure = error;
      void this.close();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`adaptor worker exited with code ${code}`)));
    this.workers.push(w);
    return w;
  }
}

let sharedPool: AdaptorWorkerPool | undefined;

/**
 * The process-wide default pool (best backend), created on first use: one worker per core but
 * one (the calling thread takes part in {@link AdaptorWorkerPool.createShared}), at least one,
 * at most 8. Its workers start once per process and stay (idle, they do not keep it alive).
 */
export function sharedAdaptorPool(): AdaptorWorkerPool {
  if (!sharedPool || sharedPool.isClosed()) {
    sharedPool = new AdaptorWorkerPool({
      size: Math.max(1, Math.min(8, availableParallelism() - 1)),
    });
  }
  return sharedPool;
}

/**
 * Creates the adaptor signatures of `jobs` (e.g. all CETs of a contract) on a worker pool (the
 * shared one by default); same bytes as signing them one by one with the same aux randomness.
 */
export function createAdaptorSignaturesParallel(
  secretKey: Uint8Array,
  jobs: readonly EncryptJob[],
  options: ParallelOptions = {},
): Promise<Uint8Array[]> {
  const pool = options.pool ?? sharedAdaptorPool();
  return pool.createAdaptorSignatures(secretKey, jobs, options.onProgress);
}

export interface ParallelOptions {
  /** The pool to run on (default: {@link sharedAdaptorPool}). */
  readonly pool?: AdaptorWorkerPool;
  readonly onProgress?: ProgressCallback;
}

/** Verifies the counterparty's adaptor signatures of `jobs` on a worker pool; one boolean each. */
export function verifyAdaptorSignaturesParallel(
  publicKey: Uint8Array,
  jobs: readonly VerifyJob[],
  options: ParallelOptions = {},
): Promise<boolean[]> {
  const pool = options.pool ?? sharedAdaptorPool();
  return pool.verifyAdaptorSignatures(publicKey, jobs, options.onProgress);
}

/**
 * Below this many adaptor signatures in a batch, {@link adaptorRunner} signs and verifies on the
 * calling thread: the pool's per-batch overhead (messages, structured clones) is not worth it.
 * Chosen from the crossover measured by `npm run bench -- pool` (BENCHMARKS.md).
 */
export const POOL_MIN_SIGNATURES = 64;

export interface AdaptorRunnerOptions {
  /** Default {@link sharedAdaptorPool}. */
  readonly pool?: AdaptorWorkerPool;
  /** Default {@link POOL_MIN_SIGNATURES}. */
  readonly minSignatures?: number;
  /** The backend of the calling thread's share and of small batches (default: the pool's). */
  readonly backend?: AdaptorBackendName;
}

/**
 * The {@link AdaptorRunner} of the party flow (`src/party`, the `*Async` functions of
 * `protocol.ts`): batches of at least `minSignatures` go to the worker pool, with the calling
 * thread taking part ({@link AdaptorWorkerPool.createShared}); smaller ones, and every batch on
 * a one-core machine, run on the calling thread. Same bytes and the same errors as
 * `createAdaptorSignatures` / `assertAdaptorSignatures` of `adaptor-set.ts`: a malformed
 * signature or a batch the pool refuses is checked again on this thread, which names the index.
 */
export function adaptorRunner(options: AdaptorRunnerOptions = {}): AdaptorRunner {
  const min = options.minSignatures ?? POOL_MIN_SIGNATURES;
  const multiCore = availableParallelism() > 1;
  const poolFor = (n: number): AdaptorWorkerPool | undefined =>
    multiCore && n >= min ? (options.pool ?? sharedAdaptorPool()) : undefined;
  const schemeOf = (pool: AdaptorWorkerPool | undefined) =>
    ecdsaAdaptor(options.backend ?? pool?.backend);
  return {
    async create(key, items, onProgress) {
      const pool = poolFor(items.length);
      if (pool === undefined) {
        return createAdaptorSignatures(key, items, onProgress, schemeOf(undefined));
      }
      return pool.createShared(key, encryptJobs(items), onProgress);
    },
    async assertValid(pubkey, items, signatures, onProgress) {
      const pool = poolFor(items.length);
      const inline = (): void =>
        assertAdaptorSignatures(pubkey, items, signatures, onProgress, schemeOf(pool));
      if (pool === undefined) return inline();
      if (signatures.length !== items.length) {
        return throwIfInvalid(
          { ok: false, index: items.length, reason: 'count' },
          items.length,
          signatures.length,
        );
      }
      if (signatures.some((sig) => sig.length !== ADAPTOR_SIGNATURE_LENGTH)) return inline();
      let results: boolean[];
      try {
        results = await pool.verifyShared(
          pubkey,
          items.map((item, k) => ({
            adaptorSig: signatures[k]!,
            encryptionKey: item.point,
            msgHash: item.sighash,
          })),
          onProgress,
        );
      } catch {
        return inline(); // a malformed key or point: the one-thread path says which index
      }
      const index = results.indexOf(false);
      if (index !== -1) {
        throw new InvalidCetAdaptorSignaturesError(
          `CET adaptor signature ${index} does not verify`,
          index,
        );
      }
    },
  };
}

function encryptJobs(items: readonly AdaptorSigningItem[]): EncryptJob[] {
  return items.map((item) => ({ encryptionKey: item.point, msgHash: item.sighash }));
}
