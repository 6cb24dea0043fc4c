/**
 * CI's rows of the service's role × route table (`oracle/http/access.ts` spreads them into
 * `ROUTES`, checked by the service's `authorize` with party or operator tokens).
 *
 * Issuing and revoking CI tokens is for the client and the operator: a CI token can decide the
 * milestone in the freelancer's favour, so the freelancer does not mint it.
 */
const MILESTONE_CI = '/v1/contracts/:id/milestones/:index/ci';

export const CI_ROUTES = {
  ciResults: { method: 'GET', path: MILESTONE_CI, allow: ['client', 'freelancer', 'admin'] },
  ciTokens: {
    method: 'GET',
    path: `${MILESTONE_CI}/tokens`,
    allow: ['client', 'freelancer', 'admin'],
  },
  ciTokenIssue: { method: 'POST', path: `${MILESTONE_CI}/tokens`, allow: ['client', 'admin'] },
  ciTokenRevoke: {
    method: 'POST',
    path: `${MILESTONE_CI}/tokens/:jti/revoke`,
    allow: ['client', 'admin'],
  },
} as const satisfies Record<
  string,
  {
    readonly method: 'GET' | 'POST';
    readonly path: string;
    readonly allow: readonly ('client' | 'freelancer' | 'admin')[];
  }
>;

/**
 * The submission route. Not in `ROUTES`: it is authenticated by a CI token or a CI provider's OIDC
 * token (as the milestone's policy says), never by a party token, so the service's `authorize`
 * (which requires any bearer token to be a party or operator token) must not see it.
 */
export const CI_SUBMIT_ROUTE = {
  method: 'POST',
  path: MILESTONE_CI,
  auth: 'ci-or-oidc-token',
} as const;
