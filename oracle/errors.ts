/**
 * The service's error vocabulary. Every failure a client can cause is an `AppError` with a stable
 * string code; `statusByCode` is the one table that maps codes to HTTP statuses, and the one
 * Express error handler (`oracle/http/error-handler.ts`) renders `{ error: { code, message, details? } }`.
 */
import { CI_ERROR_STATUS } from './ci/error-codes.ts';
import { ARBITRATION_ERROR_STATUS } from './arbitration/error-codes.ts';
import { TOWER_ERROR_STATUS } from './tower/error-codes.ts';

export const statusByCode = {
  invalid_json: 400,
  invalid_request: 400,
  invalid_outcome: 400,
  invalid_dlc_message: 400,
  // Issue 19 §9: the deadline plus the windows would end past the announcement's u32 maturity.
  maturity_out_of_range: 400,
  unauthorized: 401,
  invalid_token: 401,
  forbidden: 403,
  not_a_party: 403,
  wrong_role: 403,
  contract_creation_restricted: 403,
  not_found: 404,
  contract_not_found: 404,
  milestone_not_found: 404,
  event_not_found: 404,
  not_attested: 404,
  dlc_message_not_found: 404,
  method_not_allowed: 405,
  invalid_transition: 409,
  deadline_passed: 409,
  window_closed: 409,
  no_matching_proposal: 409,
  event_already_attested: 409,
  event_quarantined: 409,
  dlc_message_out_of_order: 409,
  // Issue 15: a party's answer to the terms names another terms hash, or differs from its final one.
  terms_changed: 409,
  agreement_final: 409,
  // Issue 19 §4: a per-contract/milestone storage bound (details.scope) is reached.
  quota_exceeded: 409,
  // Issue 19 §5: the body did not arrive within VERDICT_BODY_TIMEOUT_SEC (connection-guard.ts).
  request_timeout: 408,
  payload_too_large: 413,
  // Issue 19 §12b: answered by the server's `clientError` listener, before Express.
  malformed_request: 400,
  headers_too_large: 431,
  unsupported_media_type: 415,
  internal_error: 500,
  // Issue 19 §4: the data dir's file system is below VERDICT_MIN_FREE_DISK_MB; bulky writes wait.
  insufficient_storage: 507,
  // Issue 7: the CI attestation codes (`ci_*`), defined beside the CI module.
  ...CI_ERROR_STATUS,
  // Issue 6: arbitration codes (accounts, sessions, disputes), defined beside the module.
  ...ARBITRATION_ERROR_STATUS,
  // Issue 16: the watchtower's upload refusals, defined beside the module.
  ...TOWER_ERROR_STATUS,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof statusByCode;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = new.target.name;
  }

  get status(): number {
    return statusByCode[this.code];
  }
}

export class InvalidRequestError extends AppError {
  constructor(message: string, details?: Readonly<Record<string, unknown>>) {
    super('invalid_request', message, details);
  }
}

export class UnauthorizedError extends AppError {
  constructor(code: 'unauthorized' | 'invalid_token', message: string) {
    super(code, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(
    code: 'forbidden' | 'not_a_party' | 'wrong_role' | 'contract_creation_restricted',
    message: string,
  ) {
    super(code, message);
  }
}

export class NotFoundError extends AppError {
  constructor(
    code:
      | 'not_found'
      | 'contract_not_found'
      | 'milestone_not_found'
      | 'event_not_found'
      | 'not_attested'
      | 'dlc_message_not_found',
    message: string,
  ) {
    super(code, message);
  }
}

/** A request that is well formed but conflicts with the milestone's current state. */
export class ConflictError extends AppError {
  constructor(
    code:
      | 'invalid_transition'
      | 'deadline_passed'
      | 'window_closed'
      | 'no_matching_proposal'
      | 'dlc_message_out_of_order',
    message: string,
    details?: Readonly<Record<string, unknown>>,
  ) {
    super(code, message, details);
  }
}

/** DESIGN.md "Nonces and keys": an event is attested at most once, ever. */
export class EventAlreadyAttestedError extends AppError {
  constructor(eventId: string, attestedOutcome: string) {
    super('event_already_attested', `event ${eventId} is already attested`, {
      eventId,
      attestedOutcome,
    });
  }
}

/**
 * Issue 19: the event belongs to a quarantined (restored or copied) data dir. Its attestation may
 * already exist elsewhere; the operator must import it or release the event first.
 */
export class EventQuarantinedError extends AppError {
  constructor(eventId: string) {
    super(
      'event_quarantined',
      `event ${eventId} is held: this oracle's data dir was restored or copied, and the event may already have been attested elsewhere. The operator must import its attestation or release it (verdict oracle quarantine)`,
      { eventId },
    );
  }
}
