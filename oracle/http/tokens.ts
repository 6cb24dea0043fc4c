import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { UnauthorizedError } from '../errors.ts';

export const TOKEN_ISSUER = 'verdict-oracle';
export const TOKEN_AUDIENCE = 'verdict-api';

// Every token the service issues expires; one without `exp` was not made by this code (issue 9 §3).
const expiry = { exp: z.number().int() };
const partyClaims = z.object({
  ...expiry,
  typ: z.literal('party'),
  sub: z.string().min(1),
  cid: z.string().min(1),
  role: z.enum(['client', 'freelancer']),
});
const adminClaims = z.object({ ...expiry, typ: z.literal('admin'), sub: z.string().min(1) });
const claimsSchema = z.discriminatedUnion('typ', [partyClaims, adminClaims]);

export type Principal =
  | {
      readonly kind: 'party';
      readonly partyId: string;
      readonly contractId: string;
      readonly role: 'client' | 'freelancer';
    }
  | { readonly kind: 'admin'; readonly subject: string };

/**
 * Party capability tokens and operator tokens: JWT, HS256 pinned, `iss`/`aud` set and checked.
 * Issue 6/7 tokens (arbiter, CI) should get their own `typ` here, never reuse `party`.
 */
export class TokenIssuer {
  readonly #secret: string;

  constructor(
    secret: string,
    private readonly defaultTtlSec: number,
  ) {
    if (secret.length < 32) throw new RangeError('JWT secret too short');
    this.#secret = secret;
  }

  issuePartyToken(p: {
    partyId: string;
    contractId: string;
    role: 'client' | 'freelancer';
    ttlSec?: number;
  }): string {
    return jwt.sign({ typ: 'party', cid: p.contractId, role: p.role }, this.#secret, {
      algorithm: 'HS256',
      subject: p.partyId,
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      expiresIn: p.ttlSec ?? this.defaultTtlSec,
    });
  }

  issueAdminToken(ttlSec: number, subject = 'operator'): string {
    return jwt.sign({ typ: 'admin' }, this.#secret, {
      algorithm: 'HS256',
      subject,
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      expiresIn: ttlSec,
    });
  }

  /** @throws UnauthorizedError `invalid_token` for a bad signature, algorithm, audience, issuer, expiry or claim set. */
  verify(token: string): Principal {
    let payload: unknown;
    try {
      payload = jwt.verify(token, this.#secret, {
        algorithms: ['HS256'],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
      });
    } catch (e) {
      const why = e instanceof jwt.TokenExpiredError ? 'token expired' : 'token rejected';
      throw new UnauthorizedError('invalid_token', why);
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success)
      throw new UnauthorizedError('invalid_token', 'token claims are not a Verdict token');
    const c = claims.data;
    return c.typ === 'admin'
      ? { kind: 'admin', subject: c.sub }
      : { kind: 'party', partyId: c.sub, contractId: c.cid, role: c.role };
  }
}
