/**
 * The CI error codes and their HTTP statuses (issue 7). Spread into the service's one
 * code→status table (`oracle/errors.ts` `statusByCode`); this file imports nothing so that the
 * table can include it without an import cycle.
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
  ci_not_configured: 409,
  ci_policy_unmet: 422,
  /** The OIDC issuer's JWKS could not be fetched: nothing was decided, try again. */
  ci_issuer_unavailable: 503,
} as const satisfies Record<`ci_${string}`, number>;
