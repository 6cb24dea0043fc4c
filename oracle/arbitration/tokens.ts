/** Random bearer secrets (invite tokens) stored only as their SHA-256, and CSRF tokens. */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes, base64url: the secret handed out once. */
export function newSecretToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What the database keeps: a leaked table does not reveal usable tokens. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time equality of two strings (false when lengths differ). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The CSRF token of a session: HMAC(secret, "verdict/csrf/v1" ‖ session id). Bound to the session, so
 * a token from another session (or a forged cookie) does not match.
 */
export function csrfTokenFor(secret: string | Uint8Array, sessionId: string): string {
  return createHmac('sha256', secret).update(`verdict/csrf/v1\0${sessionId}`).digest('base64url');
}
