/**
 * The free-space floor (issue 19 §4): below `VERDICT_MIN_FREE_DISK_MB` free on the data dir's
 * file system, the writes that make the database grow by more than a few rows (contract
 * creation, DLC relay, evidence, CI statements) are refused with `507 insufficient_storage`
 * before their body is read, so that what is left stays for the decisions (deliver, accept,
 * dispute, votes, attestations), which are small and are never refused here.
 */
import { statfsSync } from 'node:fs';
import type { RequestHandler } from 'express';
import type { AppContext } from '../context.ts';
import { AppError } from '../errors.ts';

const CHECK_EVERY_MS = 1000;
const lastCheck = new Map<string, { atMs: number; freeBytes: number }>();

/** Free bytes for an unprivileged writer on the file system of `dir`, read at most once a second. */
export function freeBytes(dir: string, nowMs = performance.now()): number {
  const c = lastCheck.get(dir);
  if (c !== undefined && nowMs - c.atMs < CHECK_EVERY_MS) return c.freeBytes;
  const st = statfsSync(dir);
  const free = Number(st.bavail) * Number(st.bsize);
  lastCheck.set(dir, { atMs: nowMs, freeBytes: free });
  return free;
}

export function requireFreeSpace(ctx: AppContext): RequestHandler {
  const floor = ctx.config.minFreeDiskBytes;
  return (_req, res, next) => {
    if (floor === 0) return next();
    const free = freeBytes(ctx.config.dataDir);
    if (free < floor) {
      res.set('Retry-After', '60');
      throw new AppError(
        'insufficient_storage',
        'the oracle is low on disk space; this write is refused until the operator frees some',
        { freeBytes: free, minFreeBytes: floor },
      );
    }
    next();
  };
}
