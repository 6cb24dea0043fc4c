/**
 * CI tokens: bearer JWTs the oracle issues for one milestone, so that a pipeline without OIDC can
 * submit results. HS256 under a key derived from the service secret with its own label, so a CI
 * token never verifies as a party token and a party token never verifies as a CI token. Only the
 * `jti` is stored (to revoke); the token itself is shown once.
 */
import { hkdfSync, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { CiError } from './errors.ts';
import { decodeJoseHeader, jwtErrorToCiError } from './oidc.ts';

export const CI_TOKEN_AUDIENCE = 'verdict/ci';
export const CI_TOKEN_DEFAULT_TTL_SEC = 90 * 24 * 3600;
export const CI_TOKEN_MAX_TTL_SEC = 366 * 24 * 3600;

const ciTokenClaimsSchema = z.object({
  typ: z.literal('ci'),
  aud: z.literal(CI_TOKEN_AUDIENCE),
  cid: z.string().min(1).max(200),
  mi: z.number().int().min(0),
  jti: z.string().min(1).max(200),
  iat: z.number().int(),
  exp: z.number().int(),
});

export interface CiTokenScope {
  contractId: string;
  milestoneIndex: number;
}

export interface VerifiedCiToken extends CiTokenScope {
  jti: string;
  expiresAtSec: number;
}

/** Derives the CI-token MAC key from the service's JWT secret (RFC 5869 HKDF-SHA256). */
export function ciTokenKey(serviceSecret: Uint8Array | string): Buffer {
  const ikm =
    typeof serviceSecret === 'string' ? Buffer.from(serviceSecret, 'utf8') : serviceSecret;
  return Buffer.from(hkdfSync('sha256', ikm, new Uint8Array(0), 'verdict/ci-token/v1', 32));
}

export function issueCiToken(
  key: Buffer,
  scope: CiTokenScope,
  nowSec: number,
  ttlSec: number = CI_TOKEN_DEFAULT_TTL_SEC,
): { token: string; jti: string; expiresAtSec: number } {
  if (!Number.isInteger(ttlSec) || ttlSec <= 0 || ttlSec > CI_TOKEN_MAX_TTL_SEC) {
    throw new RangeError(`ttlSec must be an integer in 1..${CI_TOKEN_MAX_TTL_SEC}`);
  }
  const jti = randomUUID();
  const expiresAtSec = nowSec + ttlSec;
  const token = jwt.sign(
    {
      typ: 'ci',
      aud: CI_TOKEN_AUDIENCE,
      cid: scope.contractId,
      mi: scope.milestoneIndex,
      jti,
      iat: nowSec,
      exp: expiresAtSec,
    },
    key,
    { algorithm: 'HS256' },
  );
  return { token, jti, expiresAtSec };
}

/**
 * Verifies signature, expiry and shape, and that the token is for this milestone. Whether the
 * jti is revoked is the store's question.
 */
export function verifyCiToken(
  key: Buffer,
  token: string,
  expected: CiTokenScope,
  nowSec: number,
): VerifiedCiToken {
  const header = decodeJoseHeader(token);
  if (header.alg !== 'HS256') {
    throw new CiError('ci_invalid_token', `algorithm ${header.alg} is not accepted for a CI token`);
  }
  let payload: unknown;
  try {
    payload = jwt.verify(token, key, {
      algorithms: ['HS256'],
      audience: CI_TOKEN_AUDIENCE,
      clockTimestamp: nowSec,
    });
  } catch (err) {
    throw jwtErrorToCiError(err);
  }
  const claims = ciTokenClaimsSchema.safeParse(payload);
  if (!claims.success) throw new CiError('ci_invalid_token', 'not a CI token');
  const { cid, mi, jti, exp } = claims.data;
  if (cid !== expected.contractId || mi !== expected.milestoneIndex) {
    throw new CiError('ci_wrong_milestone', 'the CI token is for another milestone', {
      tokenContractId: cid,
      tokenMilestoneIndex: mi,
    });
  }
  return { contractId: cid, milestoneIndex: mi, jti, expiresAtSec: exp };
}
