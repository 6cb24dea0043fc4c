import type { RequestHandler } from 'express';

/**
 * The API's Content-Security-Policy: JSON needs nothing, so nothing is allowed, and no page may
 * frame a response. Routes that serve HTML (`/docs`, the arbiters' app) set their own, as strict.
 */
export const API_CSP =
  "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * Security headers on every response (issue 9 §3), errors and 404s included: set by
 * `securityHeaders`, and written with the rest by the one route answered ahead of it
 * (`event-answers.ts`).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': API_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
});

const SECURITY_HEADER_ENTRIES = Object.entries(SECURITY_HEADERS);

/** Sets `SECURITY_HEADERS` on every response. */
export function securityHeaders(): RequestHandler {
  return (_req, res, next) => {
    for (const [name, value] of SECURITY_HEADER_ENTRIES) res.setHeader(name, value);
    next();
  };
}
