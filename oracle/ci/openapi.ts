/**
 * The CI routes' part of the service's OpenAPI 3.1 document (merged by `oracle/http/openapi.ts`),
 * generated from the same zod schemas that shape the replies and validate the requests.
 */
import { z } from 'zod';
import {
  ciResultsView,
  ciSubmissionResponseSchema,
  ciTokenIssuedView,
  ciTokenIssueInput,
  ciTokensView,
  ciTokenView,
} from './api.ts';
import { CI_ROUTES } from './route-table.ts';
import { testResultStatementSchema } from './statement.ts';

const P = '/v1/contracts/{id}/milestones/{index}/ci';

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid request',
  401: 'Missing or invalid token (ci_invalid_token, ci_token_expired, ci_token_revoked, ci_token_replayed)',
  403: 'Not allowed (ci_wrong_milestone, ci_wrong_repository, ci_wrong_workflow, or a party role)',
  404: 'Not found',
  409: 'ci_commit_mismatch, ci_not_configured, quota_exceeded (100 results / 16 MiB of statements / 50 CI tokens per milestone), or a state conflict',
  422: 'ci_policy_unmet: the result was stored as evidence (details.resultId)',
  503: 'ci_issuer_unavailable: the OIDC issuer keys could not be fetched',
  507: 'insufficient_storage: the oracle is below its free-space floor',
};

function schema(s: z.ZodType, io: 'input' | 'output'): unknown {
  return z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' });
}

function operation(p: {
  operationId: string;
  summary: string;
  allow: unknown;
  ok: { status: number; schema: z.ZodType };
  errors: number[];
  body?: z.ZodType;
  query?: readonly { name: string; description: string }[];
  security: string;
}): Record<string, unknown> {
  const responses: Record<string, unknown> = {
    [String(p.ok.status)]: {
      description: 'OK',
      content: { 'application/json': { schema: schema(p.ok.schema, 'output') } },
    },
  };
  for (const code of p.errors) {
    responses[String(code)] = {
      description: ERROR_TEXT[code] ?? 'Error',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  const params: Record<string, unknown>[] = [...`${P}/{jti}`.matchAll(/\{(\w+)\}/g)]
    .map((m) => m[1])
    .filter((name) => name !== 'jti' || p.operationId === 'ciTokenRevoke')
    .map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  for (const q of p.query ?? []) {
    params.push({
      name: q.name,
      in: 'query',
      required: false,
      description: q.description,
      schema: { type: 'string' },
    });
  }
  const op: Record<string, unknown> = {
    operationId: p.operationId,
    summary: p.summary,
    'x-allow': p.allow,
    parameters: params,
    security: [{ bearer: [] }],
    description: p.security,
    responses,
  };
  if (p.body !== undefined) {
    op['requestBody'] = {
      required: true,
      content: { 'application/json': { schema: schema(p.body, 'input') } },
    };
  }
  return op;
}

/** OpenAPI path items of the CI routes, keyed by OpenAPI path. */
export function ciOpenApiPaths(): Record<string, Record<string, unknown>> {
  const party = 'A party or operator token.';
  return {
    [P]: {
      post: operation({
        operationId: 'ciSubmit',
        summary: 'Submit an in-toto test-result statement for the milestone',
        allow: 'ci-or-oidc-token',
        security:
          "A CI token the oracle issued for this milestone, or a CI provider's OIDC token, as the milestone's CI policy says.",
        body: testResultStatementSchema,
        ok: { status: 201, schema: ciSubmissionResponseSchema },
        errors: [400, 401, 403, 404, 409, 422, 503, 507],
      }),
      get: operation({
        operationId: 'ciResults',
        summary: "The milestone's CI results (evidence), one page at a time, oldest first",
        allow: CI_ROUTES.ciResults.allow,
        security: party,
        query: [
          {
            name: 'cursor',
            description: 'The `nextCursor` of the previous page (absent: the first page).',
          },
          {
            name: 'limit',
            description:
              'Results per page, 1-20 (default 20); a page also stops once its statements pass about 4 MB.',
          },
        ],
        ok: { status: 200, schema: ciResultsView },
        errors: [400, 401, 403, 404],
      }),
    },
    [`${P}/tokens`]: {
      get: operation({
        operationId: 'ciTokens',
        summary: 'CI tokens issued for the milestone (never the tokens themselves)',
        allow: CI_ROUTES.ciTokens.allow,
        security: party,
        ok: { status: 200, schema: ciTokensView },
        errors: [401, 403, 404, 409],
      }),
      post: operation({
        operationId: 'ciTokenIssue',
        summary: 'Issue a CI token for the milestone (shown once)',
        allow: CI_ROUTES.ciTokenIssue.allow,
        security: party,
        body: ciTokenIssueInput,
        ok: { status: 201, schema: ciTokenIssuedView },
        errors: [400, 401, 403, 404, 409],
      }),
    },
    [`${P}/tokens/{jti}/revoke`]: {
      post: operation({
        operationId: 'ciTokenRevoke',
        summary: 'Revoke a CI token',
        allow: CI_ROUTES.ciTokenRevoke.allow,
        security: party,
        ok: { status: 200, schema: ciTokenView },
        errors: [401, 403, 404, 409],
      }),
    },
  };
}
