import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ciTokenKey, issueCiToken, verifyCiToken } from '../../oracle/ci/ci-token.ts';
import { CiError } from '../../oracle/ci/errors.ts';
import { b64url } from './oidc-issuer.ts';

const key = ciTokenKey('service secret for tests');
const scope = { contractId: 'c1', milestoneIndex: 0 };
const T0 = 1_900_000_000;

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof CiError) return err.code;
    throw err;
  }
  return 'no error';
}

describe('CI tokens', () => {
  it('issue → verify for the same milestone', () => {
    const { token, jti, expiresAtSec } = issueCiToken(key, scope, T0, 3600);
    expect(verifyCiToken(key, token, scope, T0 + 10)).toEqual({ ...scope, jti, expiresAtSec });
  });

  it('names the failure: another milestone, expired, another key, alg none', () => {
    const { token } = issueCiToken(key, scope, T0, 3600);
    expect(
      codeOf(() => verifyCiToken(key, token, { contractId: 'c1', milestoneIndex: 1 }, T0)),
    ).toBe('ci_wrong_milestone');
    expect(
      codeOf(() => verifyCiToken(key, token, { contractId: 'c2', milestoneIndex: 0 }, T0)),
    ).toBe('ci_wrong_milestone');
    expect(codeOf(() => verifyCiToken(key, token, scope, T0 + 3601))).toBe('ci_token_expired');
    expect(codeOf(() => verifyCiToken(ciTokenKey('other'), token, scope, T0))).toBe(
      'ci_invalid_token',
    );
    const [, payload] = token.split('.');
    expect(
      codeOf(() => verifyCiToken(key, `${b64url({ alg: 'none' })}.${payload}.`, scope, T0)),
    ).toBe('ci_invalid_token');
  });

  it('is not keyed with the raw service secret (domain separation from party tokens)', () => {
    const secret = 'service secret for tests';
    const input = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ typ: 'ci', aud: 'verdict/ci', cid: 'c1', mi: 0, jti: 'x', iat: T0, exp: T0 + 60 })}`;
    const mac = createHmac('sha256', secret).update(input).digest('base64url');
    expect(codeOf(() => verifyCiToken(key, `${input}.${mac}`, scope, T0))).toBe('ci_invalid_token');
  });

  it('refuses a token lifetime out of range', () => {
    expect(() => issueCiToken(key, scope, T0, 0)).toThrow(RangeError);
  });
});
