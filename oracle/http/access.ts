/**
 * The role × route table: every route of the service, who may call it, and whether a party token
 * must belong to the contract in the path. One middleware (`authorize`) enforces it; a route that
 * is not in this table cannot be registered (see `routes.ts`), and `test/oracle/authz.test.ts`
 * walks every row with every kind of caller.
 */
import type { NextFunction, Request, Response } from 'express';
import { CI_ROUTES } from '../ci/route-table.ts';
import { ARBITRATION_ROUTES } from '../arbitration/route-table.ts';
import { TOWER_ROUTES } from '../tower/route-table.ts';
import type { AppContext } from '../context.ts';
import { ForbiddenError, UnauthorizedError } from '../errors.ts';
import type { Principal } from './tokens.ts';

export type Role = 'client' | 'freelancer' | 'admin';
/** `public`: anyone; `creator`: anyone when contract creation is open, else admin only. */
export type Allow = 'public' | 'creator' | readonly Role[];

export interface RouteRule {
  readonly method: 'GET' | 'POST';
  /** The Express path. */
  readonly path: string;
  readonly allow: Allow;
}

const PARTIES: readonly Role[] = ['client', 'freelancer'];
const MILESTONE = '/v1/contracts/:id/milestones/:index';

export const ROUTES = {
  healthz: { method: 'GET', path: '/healthz', allow: 'public' },
  metrics: { method: 'GET', path: '/metrics', allow: 'public' },
  openapi: { method: 'GET', path: '/v1/openapi.json', allow: 'public' },
  docs: { method: 'GET', path: '/docs', allow: 'public' },
  docsAsset: { method: 'GET', path: '/docs/:asset', allow: 'public' },
  oracle: { method: 'GET', path: '/v1/oracle', allow: 'public' },
  events: { method: 'GET', path: '/v1/events', allow: 'public' },
  // Event ids contain `/`: this one route serves `/v1/events/{id}` and `/v1/events/{id}/attestation`,
  // with the id URL-encoded or not.
  event: { method: 'GET', path: '/v1/events/*eventPath', allow: 'public' },
  createContract: { method: 'POST', path: '/v1/contracts', allow: 'creator' },
  // Issue 15: what a create would hash, written nowhere (the parties' app shows it for review).
  previewContract: { method: 'POST', path: '/v1/contracts/preview', allow: 'creator' },
  // Issue 15: a party accepts or declines the terms it read (by their hash); final once given.
  agreement: {
    method: 'POST',
    path: '/v1/contracts/:id/agreement',
    allow: ['client', 'freelancer'],
  },
  // Issue 15: the page an invitation link opens; its fragment (the invitation) never reaches us.
  invite: { method: 'GET', path: '/invite', allow: 'public' },
  contract: { method: 'GET', path: '/v1/contracts/:id', allow: ['client', 'freelancer', 'admin'] },
  // Issue 19 §11: the terms (names, amounts, scope) and the audit log's content are the parties'
  // and the operator's; the public gets the log's hash chain, without content.
  terms: {
    method: 'GET',
    path: '/v1/contracts/:id/terms',
    allow: ['client', 'freelancer', 'admin'],
  },
  log: { method: 'GET', path: '/v1/contracts/:id/log', allow: ['client', 'freelancer', 'admin'] },
  logChain: { method: 'GET', path: '/v1/contracts/:id/log/chain', allow: 'public' },
  deliver: { method: 'POST', path: `${MILESTONE}/deliver`, allow: ['freelancer'] },
  accept: { method: 'POST', path: `${MILESTONE}/accept`, allow: ['client'] },
  propose: { method: 'POST', path: `${MILESTONE}/propose`, allow: PARTIES },
  acceptProposal: { method: 'POST', path: `${MILESTONE}/accept-proposal`, allow: PARTIES },
  dispute: { method: 'POST', path: `${MILESTONE}/dispute`, allow: PARTIES },
  dlcPost: { method: 'POST', path: `${MILESTONE}/dlc/:kind`, allow: PARTIES },
  dlcGet: { method: 'GET', path: `${MILESTONE}/dlc/:kind`, allow: PARTIES },
  kormirPubkey: { method: 'GET', path: '/pubkey', allow: 'public' },
  kormirListEvents: { method: 'GET', path: '/list-events', allow: 'public' },
  kormirAnnouncement: { method: 'GET', path: '/announcement/*eventPath', allow: 'public' },
  kormirAttestation: { method: 'GET', path: '/attestation/*eventPath', allow: 'public' },
  // Issue 7: CI results and CI tokens of a milestone (the CI submission itself is authenticated
  // by a CI or OIDC token and is registered by `installCi`, outside this table).
  ...CI_ROUTES,
  // Issue 6: the operator's arbiter admin routes and the parties' dispute routes (the arbiters'
  // own cookie-session routes under /arbiter are registered by `installArbitration`, outside this table).
  ...ARBITRATION_ROUTES,
  // Issue 16: the watchtower's upload and status of a milestone.
  ...TOWER_ROUTES,
} as const satisfies Record<string, RouteRule>;

export type RouteName = keyof typeof ROUTES;

/**
 * Why an Authorization header is not `Bearer <token>`. An empty token gets its own words: it is
 * what `-H "authorization: Bearer $TOKEN"` sends when the shell variable is unset.
 */
export function bearerFormatProblem(header: string): string {
  if (/^bearer\s*$/i.test(header.trim()))
    return 'the bearer token is empty: Authorization is "Bearer " with nothing after it (is the variable holding the token set?)';
  return 'Authorization must be "Bearer <token>"';
}

function bearer(req: Request): string | undefined {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(h);
  if (m?.[1] === undefined) throw new UnauthorizedError('invalid_token', bearerFormatProblem(h));
  return m[1];
}

/** The caller's principal, set by `authorize` (undefined for an anonymous call of a public route). */
export function principalOf(res: Response): Principal | undefined {
  return (res.locals as { principal?: Principal }).principal;
}

/**
 * Whether the caller may see a contract's private state (issue 19 §11): the operator, or a party
 * token of that contract. Public routes that answer differently for them use this.
 */
export function seesContract(principal: Principal | undefined, contractId: string): boolean {
  if (principal === undefined) return false;
  return principal.kind === 'admin' || principal.contractId === contractId;
}

export function authorize(ctx: AppContext, rule: RouteRule) {
  return (req: Request, res: Response, next: NextFunction): void => {
    // A token that is present must be valid, even on a public route: no silent downgrade.
    const token = bearer(req);
    const principal = token === undefined ? undefined : ctx.tokens.verify(token);
    (res.locals as { principal: Principal | undefined }).principal = principal;
    const allow: Allow =
      rule.allow === 'creator'
        ? ctx.config.contractCreation === 'open'
          ? 'public'
          : ['admin']
        : rule.allow;
    if (allow === 'public') return next();
    if (principal === undefined)
      throw new UnauthorizedError('unauthorized', 'a bearer token is required');
    if (principal.kind === 'admin') {
      if (allow.includes('admin')) return next();
      throw new ForbiddenError(
        rule.allow === 'creator' ? 'contract_creation_restricted' : 'forbidden',
        'the operator token cannot do this',
      );
    }
    const contractId = (req.params as { id?: string }).id;
    if (contractId !== undefined && contractId !== principal.contractId) {
      throw new ForbiddenError('not_a_party', 'this token belongs to another contract');
    }
    if (!allow.includes(principal.role)) {
      throw new ForbiddenError(
        rule.allow === 'creator' ? 'contract_creation_restricted' : 'wrong_role',
        `the ${principal.role} cannot do this`,
      );
    }
    next();
  };
}
