/**
 * Arbitration's error codes and their HTTP statuses (issue 6). Spread into the service's one
 * code→status table (`oracle/errors.ts` `statusByCode`); this file imports nothing so that the
 * table can include it without an import cycle.
 */
export const ARBITRATION_ERROR_STATUS = {
  /** Unknown arbiter or wrong password (never says which). */
  invalid_credentials: 401,
  /** The invite token is unknown, used or expired (never says which). */
  invite_invalid: 400,
  /** A cookie-authenticated write without the session's CSRF token, or from another origin. */
  csrf_rejected: 403,
  not_on_panel: 403,
  arbiter_exists: 409,
  appeal_not_allowed: 409,
  /** A vote outside the voting phase: too early, or late. */
  voting_closed: 409,
  rate_limited: 429,
} as const satisfies Record<string, number>;
