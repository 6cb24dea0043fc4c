/**
 * The invitation link (issue 15): `<oracleUrl>/invite#v1.<base64url(JSON)>`, the JSON
 * `{"o": oracleUrl, "c": contractId, "r": invitee's role, "t": invitee's token,
 * "k": oracle public key, "h": terms hash}`. Everything is in the fragment, which a browser never
 * sends to a server: the oracle's `/invite` page (no script) only says to paste the link into the
 * app. Pure: the app checks what the link claims against the oracle (hash, key) when it opens it.
 */
import { z } from 'zod';

export interface Invitation {
  /** The oracle's base URL, without a trailing slash. */
  readonly oracleUrl: string;
  readonly contractId: string;
  /** The invitee's role. */
  readonly role: 'client' | 'freelancer';
  /** The invitee's capability token (a secret). */
  readonly token: string;
  readonly oraclePublicKey: string;
  readonly termsHash: string;
}

/** The link is not a Verdict invitation, or is damaged (cut short, edited). */
export class InvalidInvitationError extends Error {
  readonly code = 'invalid_invitation';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInvitationError';
  }
}

const VERSION = 'v1';
const MAX_LINK = 4000;

const payload = z.strictObject({
  o: z.url({ protocol: /^https?$/ }).max(500),
  c: z.string().regex(/^[0-9a-f]{16}$/),
  r: z.enum(['client', 'freelancer']),
  t: z.string().regex(/^[A-Za-z0-9._~+/=-]{1,2000}$/),
  k: z.string().regex(/^[0-9a-f]{64}$/),
  h: z.string().regex(/^[0-9a-f]{64}$/),
});

const trimUrl = (u: string) => u.replace(/\/+$/, '');

/** The link for `inv`. */
export function encodeInvitation(inv: Invitation): string {
  const json = JSON.stringify({
    o: trimUrl(inv.oracleUrl),
    c: inv.contractId,
    r: inv.role,
    t: inv.token,
    k: inv.oraclePublicKey,
    h: inv.termsHash,
  });
  const p = payload.safeParse(JSON.parse(json));
  if (!p.success) throw new RangeError(`not an invitation: ${z.prettifyError(p.error)}`);
  return `${trimUrl(inv.oracleUrl)}/invite#${VERSION}.${Buffer.from(json, 'utf8').toString('base64url')}`;
}

/**
 * Reads a pasted link (spaces around it and line breaks inside it, as mail clients add, are
 * dropped). The oracle URL in the fragment must be the one the link points at.
 * @throws InvalidInvitationError
 */
export function decodeInvitation(link: string): Invitation {
  const text = link.replace(/\s+/g, '');
  if (text.length > MAX_LINK) throw new InvalidInvitationError('the link is too long');
  const hash = text.indexOf('#');
  if (hash < 0)
    throw new InvalidInvitationError(
      'this link has no invitation after # (was it cut short when copied?)',
    );
  const base = text.slice(0, hash);
  const fragment = text.slice(hash + 1);
  if (!fragment.startsWith(`${VERSION}.`))
    throw new InvalidInvitationError('not a Verdict invitation (it should start with #v1.)');
  const b64 = fragment.slice(VERSION.length + 1);
  if (!/^[A-Za-z0-9_-]+$/.test(b64))
    throw new InvalidInvitationError('the invitation is damaged (not base64url)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(b64, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidInvitationError('the invitation is damaged (cut short or edited?)');
  }
  const p = payload.safeParse(parsed);
  if (!p.success)
    throw new InvalidInvitationError(`the invitation is damaged: ${z.prettifyError(p.error)}`);
  const oracleUrl = trimUrl(p.data.o);
  if (base !== `${oracleUrl}/invite`)
    throw new InvalidInvitationError(
      `the link points at ${base || 'nothing'} but names the oracle ${oracleUrl}`,
    );
  return {
    oracleUrl,
    contractId: p.data.c,
    role: p.data.r,
    token: p.data.t,
    oraclePublicKey: p.data.k,
    termsHash: p.data.h,
  };
}
