/**
 * A small closed-loop HTTP load generator: `connections` keep-alive connections, each sending its
 * next GET as soon as the previous answer has been read, until `maxRequests` have been sent or
 * `maxDurationMs` has passed, whichever comes first. Run it in a process of its own
 * (`load-client.ts`) so that it never shares an event loop with the server it measures.
 */
import http from 'node:http';

export interface LoadOptions {
  /** Request URLs, used in turn (request i gets `urls[i % urls.length]`); loopback only. */
  readonly urls: readonly string[];
  readonly connections: number;
  readonly maxRequests: number;
  readonly maxDurationMs: number;
  /** Untimed requests first (same connections), so sockets are open and the server is warm. */
  readonly warmupRequests?: number;
}

export interface LoadResult {
  readonly requests: number;
  /** Answers whose status was not 200, and transport errors. */
  readonly failures: number;
  readonly firstFailure: string | null;
  readonly elapsedMs: number;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Body bytes of the last answer (a check that both servers sent the same size). */
  readonly bodyBytes: number;
}

/** The `p`-th percentile (0–100) of an ascending array (nearest rank). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? NaN;
}

function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== '[::1]' && host !== 'localhost')
    throw new RangeError(`load generator: loopback URLs only, got ${url}`);
}

export async function runHttpLoad(opts: LoadOptions): Promise<LoadResult> {
  if (opts.urls.length === 0) throw new RangeError('load generator: no urls');
  for (const u of new Set(opts.urls)) assertLoopback(u);
  const connections = Math.max(1, Math.floor(opts.connections));
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  let failures = 0;
  let firstFailure: string | null = null;
  let bodyBytes = 0;

  const get = (url: string): Promise<void> =>
    new Promise((resolve) => {
      const fail = (why: string) => {
        failures++;
        firstFailure ??= why;
        resolve();
      };
      const req = http.get(url, { agent }, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => {
          bodyBytes = n;
          if (res.statusCode === 200) resolve();
          else fail(`${url}: status ${res.statusCode}`);
        });
        res.on('error', (e) => fail(`${url}: ${e.message}`));
      });
      req.on('error', (e) => fail(`${url}: ${e.message}`));
    });

  try {
    // Warm-up: untimed, on the same agent.
    let w = 0;
    const warmup = opts.warmupRequests ?? 0;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (w < warmup) await get(opts.urls[w++ % opts.urls.length] ?? '');
      }),
    );
    failures = 0;
    firstFailure = null;

    const lat = new Float64Array(opts.maxRequests);
    let sent = 0;
    let done = 0;
    const start = performance.now();
    const deadline = start + opts.maxDurationMs;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (sent < opts.maxRequests && performance.now() < deadline) {
          const url = opts.urls[sent % opts.urls.length] ?? '';
          sent++;
          const t = performance.now();
          await get(url);
          lat[done++] = performance.now() - t;
        }
      }),
    );
    const elapsedMs = performance.now() - start;
    const sorted = lat.subarray(0, done).sort();
    return {
      requests: done,
      failures,
      firstFailure,
      elapsedMs,
      requestsPerSec: (done * 1000) / elapsedMs,
      p50Ms: percentile(sorted, 50),
      p90Ms: percentile(sorted, 90),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted[sorted.length - 1] ?? NaN,
      bodyBytes,
    };
  } finally {
    agent.destroy();
  }
}
