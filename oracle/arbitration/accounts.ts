/**
 * Arbiter accounts (issue 6 §1): the operator invites, the arbiter sets a password through a
 * single-use expiring invite, logs in (rate-limited per account and per address), the operator can
 * disable. Invite tokens are stored as SHA-256 digests only; passwords as scrypt hashes.
 */
import { z } from 'zod';
import { AppError, NotFoundError } from '../errors.ts';
import type { arbiterSummaryView } from './api-schemas.ts';
import type { ArbiterRow, ArbitrationStore } from './store.ts';
import { arbiterExists, invalidCredentials, inviteInvalid, rateLimited } from './errors.ts';
import {
  dummyPasswordHash,
  hashPassword,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  verifyPassword,
} from './passwords.ts';
import { FailureLimiter, LOGIN_LIMITS } from './rate-limit.ts';
import { newSecretToken, tokenDigest } from './tokens.ts';

/** What the arbitration domain needs from the service's context. */
export interface AccountDeps {
  readonly store: ArbitrationStore;
  readonly now: () => number;
}

export const DEFAULT_INVITE_TTL_SEC = 7 * 86_400;

/** Same alphabet as the terms' party and arbiter ids (`oracle/domain/terms.ts`). */
export const arbiterId = z
  .string()
  .regex(/^[A-Za-z0-9._@:-]{1,64}$/, 'ids are 1-64 characters of A-Z a-z 0-9 . _ @ : -');

export const inviteInput = z.strictObject({
  id: arbiterId,
  displayName: z.string().trim().min(1).max(100),
  /** Party ids, names or emails this person is linked to: never drawn against them. */
  linkedIdentities: z.array(z.string().trim().min(1).max(200)).max(50).default([]),
  ttlSec: z
    .number()
    .int()
    .min(60)
    .max(30 * 86_400)
    .default(DEFAULT_INVITE_TTL_SEC),
});
export type InviteInput = z.infer<typeof inviteInput>;

export const passwordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH);

export const acceptInviteInput = z.strictObject({
  token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'an invite token'),
  password: passwordSchema,
});

export const loginInput = z.strictObject({
  id: z.string().min(1).max(64),
  password: z.string().min(1).max(PASSWORD_MAX_LENGTH),
});

export type ArbiterSummary = z.output<typeof arbiterSummaryView>;

export function linkedIdentitiesOf(row: ArbiterRow): string[] {
  return z.array(z.string()).parse(JSON.parse(row.linked_json));
}

export function summaryOf(row: ArbiterRow): ArbiterSummary {
  return {
    id: row.id,
    displayName: row.display_name,
    status: row.status,
    linkedIdentities: linkedIdentitiesOf(row),
    createdAt: row.created_at,
    disabledAt: row.disabled_at,
  };
}

export interface IssuedInvite {
  readonly arbiter: ArbiterSummary;
  /** The secret: shown once to the operator, never stored. */
  readonly token: string;
  readonly expiresAt: number;
}

function issueInvite(
  deps: AccountDeps,
  arbiterIdValue: string,
  ttlSec: number,
): { token: string; expiresAt: number } {
  const token = newSecretToken();
  const now = deps.now();
  const expiresAt = now + ttlSec;
  deps.store.insertInvite({
    arbiter_id: arbiterIdValue,
    token_hash: tokenDigest(token),
    created_at: now,
    expires_at: expiresAt,
  });
  return { token, expiresAt };
}

/** Creates an arbiter (status `invited`) and its first invite, in one transaction. */
export function inviteArbiter(deps: AccountDeps, input: InviteInput): IssuedInvite {
  return deps.store.db.transaction(() => {
    if (deps.store.arbiter(input.id) !== undefined) throw arbiterExists(input.id);
    deps.store.insertArbiter({
      id: input.id,
      display_name: input.displayName,
      linked_json: JSON.stringify(input.linkedIdentities),
      created_at: deps.now(),
    });
    const { token, expiresAt } = issueInvite(deps, input.id, input.ttlSec);
    const row = deps.store.arbiter(input.id);
    if (row === undefined) throw new Error('arbiter row vanished');
    return { arbiter: summaryOf(row), token, expiresAt };
  })();
}

/** A new invite for an existing, not disabled arbiter (a lost link or a password reset). */
export function reinviteArbiter(
  deps: AccountDeps,
  id: string,
  ttlSec = DEFAULT_INVITE_TTL_SEC,
): IssuedInvite {
  return deps.store.db.transaction(() => {
    const row = requireArbiter(deps, id);
    if (row.status === 'disabled')
      throw new AppError('invalid_transition', `arbiter ${id} is disabled`);
    deps.store.voidInvites(id, deps.now());
    const { token, expiresAt } = issueInvite(deps, id, ttlSec);
    return { arbiter: summaryOf(row), token, expiresAt };
  })();
}

export function requireArbiter(deps: AccountDeps, id: string): ArbiterRow {
  const row = deps.store.arbiter(id);
  if (row === undefined) throw new NotFoundError('not_found', `no arbiter ${id}`);
  return row;
}

/**
 * Disables an arbiter: no login, every session ends (the session epoch moves), never drawn again.
 * Seats already held stay on record; their votes still count if cast before disabling.
 */
export function disableArbiter(deps: AccountDeps, id: string): ArbiterSummary {
  return deps.store.db.transaction(() => {
    requireArbiter(deps, id);
    deps.store.disableArbiter(id, deps.now());
    deps.store.voidInvites(id, deps.now());
    return summaryOf(requireArbiter(deps, id));
  })();
}

/**
 * Redeems an invite: sets the password and activates the account. The scrypt hash is computed
 * before the transaction (no await inside it); the invite is claimed inside it, so two concurrent
 * redemptions of one token cannot both succeed.
 */
export async function acceptInvite(
  deps: AccountDeps,
  input: z.infer<typeof acceptInviteInput>,
): Promise<ArbiterSummary> {
  const hash = await hashPassword(input.password);
  return deps.store.db.transaction(() => {
    const invite = deps.store.inviteByHash(tokenDigest(input.token));
    const now = deps.now();
    if (invite === undefined || invite.used_at !== null || now >= invite.expires_at)
      throw inviteInvalid();
    const row = deps.store.arbiter(invite.arbiter_id);
    if (row === undefined || row.status === 'disabled') throw inviteInvalid();
    if (!deps.store.useInvite(invite.id, now)) throw inviteInvalid();
    deps.store.setPassword(row.id, hash);
    // A password reset ends the sessions opened with the old password.
    deps.store.bumpSessionEpoch(row.id);
    return summaryOf(requireArbiter(deps, row.id));
  })();
}

export const inviteCheckInput = z.strictObject({ token: acceptInviteInput.shape.token });

/**
 * What an invite link is worth before its form is shown (issue 13 §11): usable, already used (the
 * account is set up: log in), expired, or not an invite at all. Only the holder of the secret link
 * can ask, so telling them is no leak.
 */
export function inviteState(
  deps: AccountDeps,
  token: string,
): {
  state: 'valid' | 'used' | 'expired' | 'unknown';
  arbiterId: string | null;
  expiresAt: number | null;
} {
  const invite = deps.store.inviteByHash(tokenDigest(token));
  const row = invite === undefined ? undefined : deps.store.arbiter(invite.arbiter_id);
  if (invite === undefined || row === undefined || row.status === 'disabled')
    return { state: 'unknown', arbiterId: null, expiresAt: null };
  const state =
    invite.used_at !== null ? 'used' : deps.now() >= invite.expires_at ? 'expired' : 'valid';
  return { state, arbiterId: row.id, expiresAt: invite.expires_at };
}

export class LoginThrottle {
  readonly perAddressAccount = new FailureLimiter(LOGIN_LIMITS.perAddressAccount);
  readonly perAddress = new FailureLimiter(LOGIN_LIMITS.perAddress);
  readonly perAccount = new FailureLimiter(LOGIN_LIMITS.perAccount);
  readonly perKnownDevice = new FailureLimiter(LOGIN_LIMITS.perKnownDevice);
}

/** Where a login attempt comes from: the client address, and the device id of a valid device cookie for this account. */
export interface LoginOrigin {
  readonly address: string;
  readonly knownDevice?: string | undefined;
}

/**
 * Checks a login. The attempt is counted before the password is checked (issue 19 §7: 200
 * parallel guesses get at most the limit's worth of scrypt checks, the rest `429` at once), and a
 * locked key cannot be probed. A known device counts only against itself, so a third party's
 * failures never lock an arbiter out of a browser it logged in from before. An unknown account
 * costs the same scrypt work as a known one. Disabled and not-yet-activated accounts fail like a
 * wrong password.
 */
export async function login(
  deps: AccountDeps,
  throttle: LoginThrottle,
  input: z.infer<typeof loginInput>,
  origin: LoginOrigin | string,
): Promise<ArbiterRow> {
  const from: LoginOrigin = typeof origin === 'string' ? { address: origin } : origin;
  const now = deps.now();
  const accountKey = input.id.toLowerCase();
  const counted: [FailureLimiter, string][] =
    from.knownDevice !== undefined
      ? [[throttle.perKnownDevice, `${from.knownDevice}\0${accountKey}`]]
      : [
          [throttle.perAddressAccount, `${from.address}\0${accountKey}`],
          [throttle.perAddress, from.address],
          [throttle.perAccount, accountKey],
        ];
  const wait = Math.max(...counted.map(([l, k]) => l.retryAfterSec(k, now)));
  if (wait > 0) throw rateLimited(wait);
  for (const [l, k] of counted) l.recordFailure(k, now);
  const row = deps.store.arbiter(input.id);
  const ok = await verifyPassword(input.password, row?.password_hash ?? (await dummyPasswordHash));
  // Re-read after the await: the account may have been disabled meanwhile.
  const current = deps.store.arbiter(input.id);
  if (!ok || row === undefined || current === undefined || current.status !== 'active') {
    throw invalidCredentials();
  }
  // Success: the narrowest key forgets its failures; the wider ones only get this attempt back
  // (one good password must not launder many guesses).
  const [narrow, ...wide] = counted;
  if (narrow !== undefined) narrow[0].reset(narrow[1]);
  for (const [l, k] of wide) l.forgive(k);
  return current;
}

/** Logout ends every session of the arbiter (the epoch in their tokens no longer matches). */
export function endSessions(deps: AccountDeps, id: string): void {
  deps.store.bumpSessionEpoch(id);
}
