/**
 * Verification of an OIDC ID token from a CI provider (GitHub Actions by default): RS256 only,
 * against the issuer's JWKS, with issuer, audience and time checks. What the claims must say
 * about the repository and workflow is the milestone policy's business (policy.ts).
 */
import { createHash } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { CiError } from './errors.ts';
import { JwksCache } from './jwks.ts';

export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';
export const GITHUB_OIDC_JWKS_URL = `${GITHUB_OIDC_ISSUER}/.well-known/jwks`;

/** Allowed clock difference between the issuer and the oracle. */
export const DEFAULT_LEEWAY_SEC = 30;

const joseHeaderSchema = z.looseObject({
  alg: z.string(),
  kid: z.string().min(1).max(200).optional(),
});

/** The claims Verdict reads from a GitHub Actions OIDC token. */
export const githubOidcClaimsSchema = z.looseObject({
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  sub: z.string(),
  exp: z.number().int(),
  iat: z.number().int(),
  nbf: z.number().int().optional(),
  jti: z.string().max(200).optional(),
  repository: z.string().min(1).max(200),
  job_workflow_ref: z.string().min(1).max(500),
  sha: z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/),
  ref: z.string().max(500).optional(),
  runner_environment: z.string().max(50).optional(),
  run_id: z.string().max(50).optional(),
  run_attempt: z.string().max(20).optional(),
});

export type GithubOidcClaims = z.infer<typeof githubOidcClaimsSchema>;

export interface VerifiedOidcToken {
  readonly claims: GithubOidcClaims;
  /** SHA-256 of the compact token, hex: the replay key (kept until `expiresAtSec`). */
  readonly tokenHash: string;
  readonly expiresAtSec: number;
}

export interface OidcVerifierOptions {
  issuer: string;
  jwksUrl: string;
  audience: string;
  leewaySec?: number;
  minRefreshIntervalSec?: number;
  maxAgeSec?: number;
  /** Milliseconds since the epoch; injected for tests. */
  now?: () => number;
}

export function tokenHashOf(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The JOSE header of a compact JWS, unverified. Throws ci_invalid_token when it is not one. */
export function decodeJoseHeader(token: string): z.infer<typeof joseHeaderSchema> {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) {
    throw new CiError('ci_invalid_token', 'not a compact JWS');
  }
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(parts[0] ?? '', 'base64url').toString('utf8'));
  } catch {
    throw new CiError('ci_invalid_token', 'the token header is not JSON');
  }
  const parsed = joseHeaderSchema.safeParse(header);
  if (!parsed.success) throw new CiError('ci_invalid_token', 'malformed token header');
  return parsed.data;
}

/** Maps jsonwebtoken's verification errors to CI error codes. */
export function jwtErrorToCiError(err: unknown): CiError {
  if (err instanceof jwt.TokenExpiredError) {
    return new CiError('ci_token_expired', 'the token has expired', {
      expiredAt: err.expiredAt.toISOString(),
    });
  }
  if (err instanceof jwt.NotBeforeError) {
    return new CiError('ci_invalid_token', 'the token is not valid yet');
  }
  if (err instanceof jwt.JsonWebTokenError) {
    return new CiError('ci_invalid_token', `the token does not verify: ${err.message}`);
  }
  if (err instanceof CiError) return err;
  return new CiError('ci_invalid_token', 'the token does not verify');
}

export class OidcVerifier {
  readonly jwks: JwksCache;
  private readonly leewaySec: number;
  private readonly now: () => number;

  constructor(private readonly options: OidcVerifierOptions) {
    this.leewaySec = options.leewaySec ?? DEFAULT_LEEWAY_SEC;
    this.now = options.now ?? Date.now;
    this.jwks = new JwksCache({
      jwksUrl: options.jwksUrl,
      now: this.now,
      ...(options.minRefreshIntervalSec === undefined
        ? {}
        : { minRefreshIntervalSec: options.minRefreshIntervalSec }),
      ...(options.maxAgeSec === undefined ? {} : { maxAgeSec: options.maxAgeSec }),
    });
  }

  /** Verifies the token and returns its claims; throws a CiError saying why not. */
  async verify(token: string): Promise<VerifiedOidcToken> {
    const header = decodeJoseHeader(token);
    // The algorithm is pinned, never taken from the token: this refuses `none` and an HS256 MAC
    // keyed with the issuer's public key (RFC 8725 §2.1, §3.1).
    if (header.alg !== 'RS256') {
      throw new CiError('ci_invalid_token', `algorithm ${header.alg} is not accepted, RS256 only`);
    }
    if (header.kid === undefined) throw new CiError('ci_invalid_token', 'the token has no kid');
    const key = await this.jwks.getKey(header.kid);
    if (key === undefined) {
      throw new CiError(
        'ci_invalid_token',
        'the token is signed with a key the issuer does not list',
      );
    }
    const nowSec = Math.floor(this.now() / 1000);
    let payload: unknown;
    try {
      payload = jwt.verify(token, key, {
        algorithms: ['RS256'],
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: this.leewaySec,
        clockTimestamp: nowSec,
      });
    } catch (err) {
      throw jwtErrorToCiError(err);
    }
    const claims = githubOidcClaimsSchema.safeParse(payload);
    if (!claims.success) {
      throw new CiError('ci_invalid_token', 'the token lacks required claims', {
        issues: claims.error.issues.map((i) => i.path.join('.')),
      });
    }
    if (claims.data.iat > nowSec + this.leewaySec) {
      throw new CiError('ci_invalid_token', 'the token was issued in the future');
    }
    return {
      claims: claims.data,
      tokenHash: tokenHashOf(token),
      expiresAtSec: claims.data.exp,
    };
  }
}
