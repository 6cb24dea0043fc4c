import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';

/** A JSON answer serialized once: its bytes and strong ETag (the SHA-256 of the bytes). */
export interface SerializedBody {
  readonly bytes: Buffer;
  readonly etag: string;
}

export function serializeBody(body: unknown): SerializedBody {
  const bytes = Buffer.from(JSON.stringify(body));
  return { bytes, etag: `"${createHash('sha256').update(bytes).digest('base64url')}"` };
}

/** The `Cache-Control` of a cached answer. */
export function cacheControlOf(immutable: boolean, isPrivate = false): string {
  // `private`: an answer for a token holder (issue 19 §11) that no shared cache may keep.
  const scope = isPrivate ? 'private' : 'public';
  return immutable ? `${scope}, max-age=31536000, immutable` : `${scope}, no-cache`;
}

/**
 * Sends `body` with a strong ETag (the SHA-256 of its exact bytes) and answers a matching
 * `If-None-Match` with 304. `immutable` adds `Cache-Control: public, max-age=31536000, immutable`
 * (announcements and attestations never change once written: DESIGN.md "Growing past one machine").
 */
export function sendCached(
  req: Request,
  res: Response,
  body: unknown,
  opts: { immutable: boolean; private?: boolean },
): void {
  sendSerialized(req, res, serializeBody(body), opts);
}

/** `sendCached` for an answer serialized earlier (perf: a cached answer skips JSON and SHA-256). */
export function sendSerialized(
  req: Request,
  res: Response,
  body: SerializedBody,
  opts: { immutable: boolean; private?: boolean },
): void {
  const { bytes, etag } = body;
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', cacheControlOf(opts.immutable, opts.private === true));
  const inm = req.headers['if-none-match'];
  if (inm !== undefined && inm.split(',').some((t) => t.trim() === etag)) {
    res.status(304).end();
    return;
  }
  res.type('application/json').send(bytes);
}
