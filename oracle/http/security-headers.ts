import type { RequestHandler } from 'express';

/**
 * The API's Content-Security-Policy: JSON needs nothing, so nothing is allowed, and no page may
 * frame a response. Routes that serve HTML (`/docs`, the arbiters' app) set their own, as strict.
 */
export const API_CSP =
  "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Security headers on every response (issue 9 §3), errors and 404s included. */
export function securityHeaders(): RequestHandler {
  return (_req, res, next) => {
    res.set({
      'Content-Security-Policy': API_CSP,
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
    });
    next();
  };
}
