/**
 * Arbitration's errors: the service's `AppError` with arbitration codes (registered in
 * `oracle/errors.ts` `statusByCode`, the one code→status table).
 */
import { AppError } from '../errors.ts';

type Details = Readonly<Record<string, unknown>>;

/** 401: wrong account or password (never says which). */
export const invalidCredentials = (): AppError =>
  new AppError('invalid_credentials', 'unknown arbiter or wrong password');

/** 400: the invite token is unknown, used or expired (never says which). */
export const inviteInvalid = (): AppError =>
  new AppError('invite_invalid', 'this invite link is invalid, used or expired');

/** 429 with the seconds to wait. */
export const rateLimited = (retryAfterSec: number): AppError =>
  new AppError('rate_limited', 'too many failed logins; try again later', { retryAfterSec });

/** 403: cookie-authenticated write without a matching CSRF token or from another origin. */
export const csrfRejected = (why: string): AppError => new AppError('csrf_rejected', why);

/** 403: the arbiter does not sit on this dispute's panel. */
export const notOnPanel = (): AppError =>
  new AppError('not_on_panel', 'you do not sit on the panel of this dispute');

export const arbiterExists = (id: string): AppError =>
  new AppError('arbiter_exists', `arbiter ${id} already exists`, { arbiterId: id });

export const appealNotAllowed = (why: string, details?: Details): AppError =>
  new AppError('appeal_not_allowed', why, details);

export const votingNotOpen = (phase: string, details?: Details): AppError =>
  new AppError(
    'voting_closed',
    `votes are accepted only in the voting phase (now: ${phase})`,
    details,
  );

export const evidenceClosed = (phase: string, details?: Details): AppError =>
  new AppError(
    'window_closed',
    `evidence is accepted only in the evidence phase (now: ${phase})`,
    details,
  );
