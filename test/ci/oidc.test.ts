import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CiError } from '../../oracle/ci/errors.ts';
import { OidcVerifier } from '../../oracle/ci/oidc.ts';
import { b64url, LocalOidcIssuer, newRsaKey } from './oidc-issuer.ts';

const T0 = 1_900_000_000;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof CiError) return err.code;
    throw err;
  }
  return 'no error';
}

describe('OIDC verification against a local issuer over loopback', () => {
  const issuer = new LocalOidcIssuer();
  let clockSec = T0;
  const verifier = (minRefreshIntervalSec = 60): OidcVerifier =>
    new OidcVerifier({
      issuer: issuer.issuer,
      jwksUrl: issuer.jwksUrl,
      audience: 'verdict-test',
      minRefreshIntervalSec,
      now: () => clockSec * 1000,
    });

  beforeAll(async () => {
    await issuer.start();
  });
  afterAll(async () => {
    await issuer.stop();
  });

  it('accepts a valid RS256 token and returns its claims and hash', async () => {
    clockSec = T0;
    const token = issuer.token({}, { nowSec: T0 });
    const v = await verifier().verify(token);
    expect(v.claims.repository).toBe('octo/app');
    expect(v.claims.sha).toBe('a'.repeat(40));
    expect(v.expiresAtSec).toBe(T0 + 300);
    expect(v.tokenHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('checks exp with a small leeway', async () => {
    const token = issuer.token({}, { nowSec: T0, ttlSec: 60 });
    const v = verifier();
    clockSec = T0 + 60 + 20;
    await expect(v.verify(token)).resolves.toBeDefined();
    clockSec = T0 + 60 + 31;
    expect(await codeOf(v.verify(token))).toBe('ci_token_expired');
  });

  it('refuses a token that is not valid yet or issued in the future', async () => {
    clockSec = T0;
    const v = verifier();
    expect(await codeOf(v.verify(issuer.token({ nbf: T0 + 120 }, { nowSec: T0 })))).toBe(
      'ci_invalid_token',
    );
    expect(
      await codeOf(v.verify(issuer.token({ iat: T0 + 120, nbf: undefined }, { nowSec: T0 }))),
    ).toBe('ci_invalid_token');
  });

  it.each([
    ['another audience', { aud: 'someone-else' }],
    ['another issuer', { iss: 'https://token.actions.githubusercontent.com' }],
    ['no exp', { exp: undefined }],
    ['no sha claim', { sha: undefined }],
    ['no repository claim', { repository: undefined }],
  ])('refuses a token with %s', async (_name, claims) => {
    clockSec = T0;
    expect(await codeOf(verifier().verify(issuer.token(claims, { nowSec: T0 })))).toBe(
      'ci_invalid_token',
    );
  });

  it('refuses alg none', async () => {
    clockSec = T0;
    const good = issuer.token({}, { nowSec: T0 });
    const payload = good.split('.')[1] ?? '';
    const none = `${b64url({ alg: 'none', typ: 'JWT', kid: issuer.current.kid })}.${payload}.`;
    expect(await codeOf(verifier().verify(none))).toBe('ci_invalid_token');
  });

  it('refuses HS256 keyed with the issuer public key (algorithm confusion)', async () => {
    clockSec = T0;
    const payload = issuer.token({}, { nowSec: T0 }).split('.')[1] ?? '';
    const pem = issuer.current.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    for (const alg of ['HS256', 'RS256']) {
      const input = `${b64url({ alg, typ: 'JWT', kid: issuer.current.kid })}.${payload}`;
      const mac = createHmac('sha256', pem).update(input).digest('base64url');
      expect(await codeOf(verifier().verify(`${input}.${mac}`))).toBe('ci_invalid_token');
    }
  });

  it('refuses a tampered payload and a signature by an unpublished key with a known kid', async () => {
    clockSec = T0;
    const [h, , s] = issuer.token({}, { nowSec: T0 }).split('.');
    const forged = b64url({ ...decode(issuer.token({}, { nowSec: T0 })), repository: 'evil/x' });
    expect(await codeOf(verifier().verify(`${h}.${forged}.${s}`))).toBe('ci_invalid_token');
    const impostor = { ...newRsaKey(issuer.current.kid) };
    expect(await codeOf(verifier().verify(issuer.token({}, { nowSec: T0, key: impostor })))).toBe(
      'ci_invalid_token',
    );
  });

  it('follows a key rotation: an unknown kid refreshes the JWKS, rate-limited', async () => {
    clockSec = T0;
    const v = verifier(60);
    await v.verify(issuer.token({}, { nowSec: T0 }));
    const fetchesBefore = v.jwks.fetchCount;
    const oldKey = issuer.current;
    issuer.rotate(false);
    clockSec = T0 + 61;
    // A token signed by the new key: one refresh, then it verifies.
    await expect(v.verify(issuer.token({}, { nowSec: clockSec }))).resolves.toBeDefined();
    expect(v.jwks.fetchCount).toBe(fetchesBefore + 1);
    // The retired key is gone from the JWKS. Within the refresh interval, unknown kids do not
    // trigger more fetches.
    const unknown = issuer.token({}, { nowSec: clockSec, key: oldKey });
    expect(await codeOf(v.verify(unknown))).toBe('ci_invalid_token');
    expect(await codeOf(v.verify(issuer.token({}, { nowSec: clockSec, key: newRsaKey() })))).toBe(
      'ci_invalid_token',
    );
    expect(v.jwks.fetchCount).toBe(fetchesBefore + 1);
    // After the interval, an unknown kid may refresh again.
    clockSec += 61;
    const next = issuer.rotate(true);
    await expect(
      v.verify(issuer.token({}, { nowSec: clockSec, key: next })),
    ).resolves.toBeDefined();
    expect(v.jwks.fetchCount).toBe(fetchesBefore + 2);
  });

  it('reports an unreachable issuer as ci_issuer_unavailable', async () => {
    const down = new OidcVerifier({
      issuer: issuer.issuer,
      jwksUrl: 'http://127.0.0.1:1/.well-known/jwks',
      audience: 'verdict-test',
      now: () => T0 * 1000,
    });
    expect(await codeOf(down.verify(issuer.token({}, { nowSec: T0 })))).toBe(
      'ci_issuer_unavailable',
    );
  });
});

function decode(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<
    string,
    unknown
  >;
}
