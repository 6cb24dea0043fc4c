import type { Request, RequestHandler } from 'express';
import { AppError } from '../errors.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Token buckets per client address (in memory, on the real clock rather than the service's
 * domain clock: a restart forgets them). `perMin` units a minute sustained, bursts up to
 * `perMin`. A charge may take a bucket below zero (a large body is let through whole when the
 * bucket is not empty); the address then waits until the bucket refills past zero.
 */
export class AddressBuckets {
  readonly #buckets = new Map<string, { tokens: number; atMs: number }>();
  readonly #refillPerMs: number;

  constructor(readonly perMin: number) {
    this.#refillPerMs = perMin / 60_000;
  }

  /** Seconds until `key` may spend `cost` (0: now; the caller then charges). */
  waitSec(key: string, cost: number, nowMs = performance.now()): number {
    const b = this.#refill(key, nowMs);
    const need = Math.min(cost, this.perMin);
    return b.tokens >= need
      ? 0
      : Math.max(1, Math.ceil((need - b.tokens) / this.#refillPerMs / 1000));
  }

  charge(key: string, cost: number, nowMs = performance.now()): void {
    this.#refill(key, nowMs).tokens -= cost;
  }

  #refill(key: string, nowMs: number): { tokens: number; atMs: number } {
    const b = this.#buckets.get(key) ?? { tokens: this.perMin, atMs: nowMs };
    b.tokens = Math.min(this.perMin, b.tokens + (nowMs - b.atMs) * this.#refillPerMs);
    b.atMs = nowMs;
    this.#buckets.set(key, b);
    if (this.#buckets.size > 10_000) {
      for (const [k, x] of this.#buckets)
        if (x.tokens + (nowMs - x.atMs) * this.#refillPerMs >= this.perMin) this.#buckets.delete(k);
    }
    return b;
  }
}

/** The client address the limits count: `req.ip` (the socket's, or a trusted proxy's forward). */
export function clientKey(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

function refuse(res: Parameters<RequestHandler>[1], retryAfterSec: number, what: string): never {
  res.set('Retry-After', String(retryAfterSec));
  throw new AppError('rate_limited', `too many ${what} from this address; slow down`, {
    retryAfterSec,
  });
}

/**
 * The write limits for every state-changing request (issue 9 §2, issue 19 §4): `perMin`
 * requests and `bytesPerMin` request bytes a minute per client address. Over either:
 * `429 rate_limited` with `Retry-After`. Bytes are the declared `Content-Length`, charged before
 * the body is read; a body without one (chunked) is charged what the socket actually read for
 * it when the response is done. The address is `req.ip`, never a client's own
 * `X-Forwarded-For`. 0 turns a limit off.
 */
export function writeRateLimit(perMin: number, bytesPerMin = 0): RequestHandler {
  const requests = new AddressBuckets(perMin);
  const bytes = new AddressBuckets(bytesPerMin);
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const key = clientKey(req);
    if (perMin > 0) {
      const wait = requests.waitSec(key, 1);
      if (wait > 0) refuse(res, wait, 'writes');
    }
    if (bytesPerMin > 0) {
      const declared = Number(req.headers['content-length'] ?? NaN);
      const wait = bytes.waitSec(key, Number.isFinite(declared) ? declared : 1);
      if (wait > 0) refuse(res, wait, 'bytes written');
      if (Number.isFinite(declared)) bytes.charge(key, declared);
      else {
        const readBefore = req.socket.bytesRead;
        res.once('close', () => bytes.charge(key, Math.max(0, req.socket.bytesRead - readBefore)));
      }
    }
    if (perMin > 0) requests.charge(key, 1);
    next();
  };
}
