/**
 * HTTP routes of CI attestation. The submission is authenticated here (CI or OIDC token, per the
 * milestone's policy); the token and result routes go through the service's `authorize` with
 * their rows in the role × route table (route-table.ts).
 */
import express, { type Express, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import type { MilestoneRef } from '../domain/milestones.ts';
import { AppError, ForbiddenError, NotFoundError } from '../errors.ts';
import { authorize, bearerFormatProblem, principalOf } from '../http/access.ts';
import { requireFreeSpace } from '../http/disk-guard.ts';
import { encodeCursor, pageQuery } from '../http/pagination.ts';
import {
  ciTokenIssueInput,
  type ciResultView,
  type ciResultsView,
  type ciTokenIssuedView,
  type ciTokenView,
} from './api.ts';
import type { CiResultRow, CiTokenRow } from './ci-store.ts';
import { CI_ROUTES, CI_SUBMIT_ROUTE } from './route-table.ts';
import {
  issueMilestoneCiToken,
  listCiResults,
  listCiTokens,
  revokeMilestoneCiToken,
  submitCiResult,
  type CiModule,
} from './service.ts';

const contractIdParam = z.string().regex(/^[0-9a-f]{16}$/);
const indexParam = z
  .string()
  .regex(/^(0|[1-9]\d{0,2})$/)
  .transform(Number);
const jtiParam = z.string().regex(/^[0-9a-f-]{36}$/);
/** Issue 19 §8: at most 20 results a page, and at most ~4 MB of statements (service.ts). */
const ciResultsQuery = pageQuery('c', { defaultLimit: 20, maxLimit: 20 });

function milestoneRef(params: unknown): MilestoneRef {
  const p = params as { id?: unknown; index?: unknown };
  const id = contractIdParam.safeParse(p.id);
  if (!id.success) throw new NotFoundError('contract_not_found', 'no such contract');
  const index = indexParam.safeParse(p.index);
  if (!index.success) throw new NotFoundError('milestone_not_found', 'no such milestone');
  return { contractId: id.data, index: index.data };
}

function bearerOf(req: Request): string | undefined {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(h);
  if (m?.[1] === undefined) {
    throw new AppError('invalid_token', bearerFormatProblem(h));
  }
  return m[1];
}

/** `admin` or `<role>:<party id>`, as in the audit log. */
function actorOf(res: express.Response): string {
  const p = principalOf(res);
  if (p === undefined) throw new ForbiddenError('forbidden', 'a token is required');
  return p.kind === 'admin' ? 'admin' : `${p.role}:${p.partyId}`;
}

function tokenJson(r: CiTokenRow): z.infer<typeof ciTokenView> {
  return {
    jti: r.jti,
    issuedBy: r.issued_by,
    issuedAt: r.issued_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    revokedBy: r.revoked_by,
  };
}

function resultJson(r: CiResultRow): z.infer<typeof ciResultView> {
  return {
    resultId: r.id,
    receivedAt: r.received_at,
    identity: JSON.parse(r.identity_json) as Record<string, unknown>,
    commit: r.commit_sha,
    result: r.result,
    counts: { passed: r.passed_count, warned: r.warned_count, failed: r.failed_count },
    runUrl: r.run_url,
    policyMet: r.policy_met === 1,
    unmet: JSON.parse(r.unmet_json) as string[],
    decided: r.decided === 1,
    statement: JSON.parse(r.statement_json) as Record<string, unknown>,
  };
}

export function registerCiRoutes(app: Express, ctx: AppContext, ci: CiModule): void {
  // Statements list test names; a large suite needs more than the service's 64 kB.
  const statementJson = express.json({ limit: '2mb' });
  const smallJson = express.json({ limit: '4kb' });
  const noStore: RequestHandler = (_req, res, next) => {
    res.set('cache-control', 'no-store');
    next();
  };

  app.post(CI_SUBMIT_ROUTE.path, requireFreeSpace(ctx), statementJson, async (req, res) => {
    const ref = milestoneRef(req.params);
    const answer = await submitCiResult(ctx, ci, ref, bearerOf(req), req.body as unknown);
    res.status(201).json(answer);
  });

  app.get(CI_ROUTES.ciResults.path, authorize(ctx, CI_ROUTES.ciResults), (req, res) => {
    const ref = milestoneRef(req.params);
    const q = ciResultsQuery.parse(req.query);
    const page = listCiResults(ctx, ci, ref, { afterId: q.cursor, limit: q.limit });
    const last = page.rows.at(-1);
    const view: z.infer<typeof ciResultsView> = {
      results: page.rows.map(resultJson),
      nextCursor: page.more && last !== undefined ? encodeCursor('c', last.id) : null,
    };
    res.json(view);
  });

  app.get(CI_ROUTES.ciTokens.path, authorize(ctx, CI_ROUTES.ciTokens), (req, res) => {
    const ref = milestoneRef(req.params);
    res.json({ tokens: listCiTokens(ctx, ci, ref).map(tokenJson) });
  });

  app.post(
    CI_ROUTES.ciTokenIssue.path,
    smallJson,
    authorize(ctx, CI_ROUTES.ciTokenIssue),
    noStore,
    (req, res) => {
      const ref = milestoneRef(req.params);
      const body = ciTokenIssueInput.parse(req.body ?? {});
      const issued = issueMilestoneCiToken(ctx, ci, ref, actorOf(res), body.ttlSec);
      const view: z.infer<typeof ciTokenIssuedView> = {
        contractId: ref.contractId,
        milestoneIndex: ref.index,
        ...issued,
        note: 'shown once: store it as a CI secret (VERDICT_CI_TOKEN)',
      };
      res.status(201).json(view);
    },
  );

  app.post(CI_ROUTES.ciTokenRevoke.path, authorize(ctx, CI_ROUTES.ciTokenRevoke), (req, res) => {
    const ref = milestoneRef(req.params);
    const jti = jtiParam.safeParse((req.params as { jti?: unknown }).jti);
    if (!jti.success) throw new NotFoundError('not_found', 'no such CI token');
    res.json(tokenJson(revokeMilestoneCiToken(ctx, ci, ref, jti.data, actorOf(res))));
  });
}
