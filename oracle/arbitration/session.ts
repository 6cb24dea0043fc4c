/**
 * Arbiter web sessions (issue 6 §1): a JWT in an `httpOnly`, `SameSite=Strict` cookie (`Secure`
 * over https), scoped to `/arbiter`. Cookie-authenticated writes need (1) the request's `Origin`
 * (or, failing that, `Referer`) to be this service's origin and (2) an `X-CSRF-Token` header equal
 * to the session's CSRF token (double submit: the same value is in a readable cookie, and it is
 * an HMAC of the session id, so it cannot be planted).
 */
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { UnauthorizedError } from '../errors.ts';
import { csrfRejected } from './errors.ts';
import type { ArbiterRow, ArbitrationStore } from './store.ts';
import { csrfTokenFor, safeEqual } from './tokens.ts';

export const SESSION_COOKIE = 'verdict_arbiter_session';
export const CSRF_COOKIE = 'verdict_arbiter_csrf';
export const CSRF_HEADER = 'x-csrf-token';
/** Issue 19 §7: set on every successful login; a device holding it is not locked out by others' failures. */
export const DEVICE_COOKIE = 'verdict_arbiter_device';
export const DEVICE_TTL_SEC = 365 * 86_400;
export const COOKIE_PATH = '/arbiter';
export const SESSION_TTL_SEC = 12 * 3600;

const ISSUER = 'verdict-oracle';
// Not the API's audience: a session token is never a bearer token and vice versa.
const AUDIENCE = 'verdict-arbiter-ui';

const claimsSchema = z.object({
  typ: z.literal('arbiter_session'),
  sub: z.string().min(1),
  sid: z.string().min(16),
  ep: z.number().int().min(0),
});

/**
 * The session key: HKDF-SHA256 of the service's token secret under its own label, so a session
 * token, a CSRF token, a party token and a CI token never share a key (as `oracle/ci/ci-token.ts`).
 */
export function sessionKey(serviceSecret: string): Buffer {
  return Buffer.from(
    hkdfSync(
      'sha256',
      Buffer.from(serviceSecret, 'utf8'),
      new Uint8Array(0),
      'verdict/arbiter-session/v1',
      32,
    ),
  );
}

export interface ArbiterSession {
  readonly arbiter: ArbiterRow;
  readonly sessionId: string;
  readonly csrfToken: string;
}

export class ArbiterSessions {
  readonly #secret: Buffer;

  /** `VERDICT_PUBLIC_URL`'s origin, when the service sits behind a TLS-terminating proxy. */
  readonly publicOrigin: string | undefined;

  constructor(
    secret: Buffer,
    private readonly store: ArbitrationStore,
    private readonly now: () => number,
    publicUrl?: string,
  ) {
    this.#secret = secret;
    this.publicOrigin = publicUrl === undefined ? undefined : new URL(publicUrl).origin;
  }

  /** `Secure` when this request came over https, or the service is published over https. */
  #secureFlag(req: Request): string {
    return req.secure || this.publicOrigin?.startsWith('https:') === true ? '; Secure' : '';
  }

  /** Sets the session and CSRF cookies; returns the CSRF token for the page to echo. */
  start(req: Request, res: Response, arbiter: ArbiterRow): string {
    const sid = randomBytes(18).toString('base64url');
    const now = this.now();
    const token = jwt.sign(
      { typ: 'arbiter_session', sid, ep: arbiter.session_epoch, iat: now },
      this.#secret,
      {
        algorithm: 'HS256',
        subject: arbiter.id,
        issuer: ISSUER,
        audience: AUDIENCE,
        expiresIn: SESSION_TTL_SEC,
      },
    );
    const csrf = csrfTokenFor(this.#secret, sid);
    const secure = this.#secureFlag(req);
    res.append(
      'Set-Cookie',
      `${SESSION_COOKIE}=${token}; Path=${COOKIE_PATH}; HttpOnly; SameSite=Strict; Max-Age=${SESSION_TTL_SEC}${secure}`,
    );
    res.append(
      'Set-Cookie',
      `${CSRF_COOKIE}=${csrf}; Path=${COOKIE_PATH}; SameSite=Strict; Max-Age=${SESSION_TTL_SEC}${secure}`,
    );
    return csrf;
  }

  /**
   * The device id of the request's device cookie when it was issued for `accountId` by this
   * service (an HMAC binds id and account), else undefined. A forged or another account's cookie
   * is simply no known device: the login counts against the address and the account.
   */
  knownDevice(req: Request, accountId: string): string | undefined {
    const m = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(
      cookiesOf(req).get(DEVICE_COOKIE) ?? '',
    );
    if (m?.[1] === undefined || m[2] === undefined) return undefined;
    return safeEqual(m[2], this.#deviceMac(m[1], accountId)) ? m[1] : undefined;
  }

  /** Sets (or renews) the device cookie for `accountId`, keeping the device id it already had. */
  rememberDevice(req: Request, res: Response, accountId: string, deviceId?: string): void {
    const id = deviceId ?? randomBytes(16).toString('base64url');
    res.append(
      'Set-Cookie',
      `${DEVICE_COOKIE}=${id}.${this.#deviceMac(id, accountId)}; Path=${COOKIE_PATH}; HttpOnly; SameSite=Strict; Max-Age=${DEVICE_TTL_SEC}${this.#secureFlag(req)}`,
    );
  }

  #deviceMac(deviceId: string, accountId: string): string {
    return createHmac('sha256', this.#secret)
      .update(`verdict/arbiter-device/v1\0${accountId.toLowerCase()}\0${deviceId}`)
      .digest('base64url');
  }

  clear(req: Request, res: Response): void {
    const secure = this.#secureFlag(req);
    res.append(
      'Set-Cookie',
      `${SESSION_COOKIE}=; Path=${COOKIE_PATH}; HttpOnly; SameSite=Strict; Max-Age=0${secure}`,
    );
    res.append(
      'Set-Cookie',
      `${CSRF_COOKIE}=; Path=${COOKIE_PATH}; SameSite=Strict; Max-Age=0${secure}`,
    );
  }

  /**
   * The session of the request, or undefined when there is no valid one (no cookie, bad or expired
   * token, a logged-out epoch, a disabled account).
   */
  read(req: Request): ArbiterSession | undefined {
    const token = cookiesOf(req).get(SESSION_COOKIE);
    if (token === undefined || token === '') return undefined;
    let payload: unknown;
    try {
      payload = jwt.verify(token, this.#secret, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
        clockTimestamp: this.now(),
      });
    } catch {
      return undefined; // an invalid session is simply no session: the caller answers 401
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) return undefined;
    const arbiter = this.store.arbiter(claims.data.sub);
    if (
      arbiter === undefined ||
      arbiter.status !== 'active' ||
      arbiter.session_epoch !== claims.data.ep
    ) {
      return undefined;
    }
    return {
      arbiter,
      sessionId: claims.data.sid,
      csrfToken: csrfTokenFor(this.#secret, claims.data.sid),
    };
  }

  /** Route guard: a valid session, and for unsafe methods the origin and CSRF checks. */
  require() {
    return (req: Request, res: Response, next: NextFunction): void => {
      const session = this.read(req);
      if (session === undefined) throw new UnauthorizedError('unauthorized', 'log in first');
      if (!SAFE_METHODS.has(req.method)) {
        requireSameOrigin(req, this.publicOrigin);
        const header = req.get(CSRF_HEADER) ?? '';
        const cookie = cookiesOf(req).get(CSRF_COOKIE) ?? '';
        if (
          header === '' ||
          !safeEqual(header, session.csrfToken) ||
          !safeEqual(cookie, session.csrfToken)
        ) {
          throw csrfRejected('missing or wrong CSRF token');
        }
      }
      (res.locals as { arbiterSession?: ArbiterSession }).arbiterSession = session;
      next();
    };
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function sessionOf(res: Response): ArbiterSession {
  const s = (res.locals as { arbiterSession?: ArbiterSession }).arbiterSession;
  if (s === undefined) throw new Error('route without the arbiter session guard');
  return s;
}

/**
 * The origin check of a state-changing browser request (also used for login and invite
 * redemption, which have no session yet): `Origin`, or `Referer` when a browser omits `Origin`,
 * must name this host (or the published origin of `VERDICT_PUBLIC_URL`). A request with neither is refused: browsers send one on every cross-site
 * POST, so only non-browser clients omit both, and those have no business on cookie routes.
 */
export function requireSameOrigin(req: Request, publicOrigin?: string): void {
  const origin = req.get('origin') ?? refererOrigin(req.get('referer'));
  if (origin === undefined) throw csrfRejected('missing Origin header');
  const direct = `${req.protocol}://${req.get('host') ?? ''}`;
  if (origin !== direct && origin !== publicOrigin)
    throw csrfRejected('cross-origin request refused');
}

function refererOrigin(referer: string | undefined): string | undefined {
  if (referer === undefined) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}

/** Parses the Cookie header (no dependency for a dozen lines). */
export function cookiesOf(req: Request): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    if (!out.has(name)) out.set(name, part.slice(i + 1).trim());
  }
  return out;
}
