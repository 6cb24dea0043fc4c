import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';

/**
 * Sends `body` with a strong ETag (the SHA-256 of its exact bytes) and answers a matching
 * `If-None-Match` with 304. `immutable` adds `Cache-Control: public, max-age=31536000, immutable`
 * (announcements and attestations never change once written: DESIGN.md "Growing past one machine").
 */
export function sendCached(
  req: Request,
  res: Response,
  body: unknown,
  opts: { immutable: boolean },
): void {
  const bytes = Buffer.from(JSON.stringify(body));
  const etag = `"${createHash('sha256').update(bytes).digest('base64url')}"`;
  res.setHeader('ETag', etag);
  res.setHeader(
    'Cache-Control',
    opts.immutable ? 'public, max-age=31536000, immutable' : 'public, no-cache',
  );
  const inm = req.headers['if-none-match'];
  if (inm !== undefined && inm.split(',').some((t) => t.trim() === etag)) {
    res.status(304).end();
    return;
  }
  res.type('application/json').send(bytes);
}
