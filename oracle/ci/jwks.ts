/**
 * A cache of an OIDC issuer's signing keys (RFC 7517 JWK Set). Keys are fetched once, kept for
 * `maxAgeSec`, and fetched again when a token names an unknown `kid` (the issuer rotated its keys)
 * — at most once per `minRefreshIntervalSec`, so a stream of tokens with made-up `kid`s cannot
 * turn the oracle into a load generator against the issuer.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { CiError } from './errors.ts';

const jwkSetSchema = z.object({
  keys: z.array(z.looseObject({ kty: z.string(), kid: z.string().optional() })).max(100),
});

const rsaSigningJwkSchema = z.looseObject({
  kty: z.literal('RSA'),
  kid: z.string().min(1).max(200),
  n: z.string().min(1),
  e: z.string().min(1),
  use: z.literal('sig').optional(),
  alg: z.literal('RS256').optional(),
});

/** RSA keys shorter than this are ignored (NIST SP 800-131A). */
const MIN_RSA_MODULUS_BITS = 2048;

export interface JwksCacheOptions {
  jwksUrl: string;
  /** Minimum time between two fetches triggered by an unknown kid. Default 60 s. */
  minRefreshIntervalSec?: number;
  /** Known keys are re-fetched after this long. Default 1 h. */
  maxAgeSec?: number;
  fetchTimeoutMs?: number;
  /** Milliseconds since the epoch; injected for tests. */
  now?: () => number;
}

export class JwksCache {
  private keys = new Map<string, KeyObject>();
  private fetchedAtMs: number | null = null;
  private lastAttemptMs: number | null = null;
  private inFlight: Promise<void> | null = null;
  private readonly minRefreshMs: number;
  private readonly maxAgeMs: number;
  private readonly fetchTimeoutMs: number;
  private readonly now: () => number;
  /** How many times the JWKS was fetched (for metrics and tests). */
  fetchCount = 0;

  constructor(private readonly options: JwksCacheOptions) {
    this.minRefreshMs = (options.minRefreshIntervalSec ?? 60) * 1000;
    this.maxAgeMs = (options.maxAgeSec ?? 3600) * 1000;
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 5000;
    this.now = options.now ?? Date.now;
  }

  /** The RS256 verification key with this kid, or undefined when the issuer has none. */
  async getKey(kid: string): Promise<KeyObject | undefined> {
    const now = this.now();
    const stale = this.fetchedAtMs === null || now - this.fetchedAtMs >= this.maxAgeMs;
    const mayFetch = this.lastAttemptMs === null || now - this.lastAttemptMs >= this.minRefreshMs;
    if ((stale || !this.keys.has(kid)) && mayFetch) {
      try {
        await this.refresh();
      } catch (err) {
        // A key we already hold survives an outage of the issuer; an unknown one cannot be trusted.
        if (!this.keys.has(kid)) throw err;
      }
    }
    if (this.fetchedAtMs === null) {
      throw new CiError('ci_issuer_unavailable', 'the OIDC issuer keys have not been fetched yet');
    }
    return this.keys.get(kid);
  }

  private refresh(): Promise<void> {
    // Concurrent requests share one fetch.
    this.inFlight ??= this.fetchKeys().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async fetchKeys(): Promise<void> {
    this.fetchCount += 1;
    this.lastAttemptMs = this.now();
    let body: unknown;
    try {
      const response = await fetch(this.options.jwksUrl, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.fetchTimeoutMs),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      body = await response.json();
    } catch (err) {
      throw new CiError('ci_issuer_unavailable', 'could not fetch the OIDC issuer keys', {
        reason: err instanceof Error ? err.message : String(err),
      });
    }
    const parsed = jwkSetSchema.safeParse(body);
    if (!parsed.success) {
      throw new CiError('ci_issuer_unavailable', 'the OIDC issuer served a malformed JWKS');
    }
    const keys = new Map<string, KeyObject>();
    for (const candidate of parsed.data.keys) {
      const jwk = rsaSigningJwkSchema.safeParse(candidate);
      if (!jwk.success) continue; // other key types and uses are not ours to verify with
      let key: KeyObject;
      try {
        key = createPublicKey({ key: { kty: 'RSA', n: jwk.data.n, e: jwk.data.e }, format: 'jwk' });
      } catch {
        continue; // a malformed key cannot verify anything; the others still can
      }
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits >= MIN_RSA_MODULUS_BITS) keys.set(jwk.data.kid, key);
    }
    this.keys = keys;
    this.fetchedAtMs = this.now();
  }
}
