/**
 * Error codes of CI attestation (issue 7). Each code names one reason a CI submission or a CI
 * token is refused, so that a pipeline can tell "wrong commit" from "expired token" without
 * parsing messages.
 *
 * TODO(integration): once `oracle/` has its AppError hierarchy, `CiError` extends it and the
 * codes below join the service's one code→status table.
 */

export const CI_ERROR_STATUS = {
  ci_invalid_token: 401,
  ci_token_expired: 401,
  ci_token_revoked: 401,
  ci_token_replayed: 401,
  ci_wrong_milestone: 403,
  ci_wrong_repository: 403,
  ci_wrong_workflow: 403,
  ci_commit_mismatch: 409,
  ci_policy_unmet: 422,
  ci_not_configured: 409,
  /** The OIDC issuer's JWKS could not be fetched: nothing was decided, try again. */
  ci_issuer_unavailable: 503,
} as const;

export type CiErrorCode = keyof typeof CI_ERROR_STATUS;

export class CiError extends Error {
  readonly status: number;
  constructor(
    readonly code: CiErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'CiError';
    this.status = CI_ERROR_STATUS[code];
  }
}
