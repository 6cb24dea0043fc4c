/**
 * Arbitration's part of the service's OpenAPI 3.1 document (merged by `oracle/http/openapi.ts`),
 * generated from the zod schemas that type the replies (api-schemas.ts) and parse the requests.
 * The arbiters' cookie-session routes under /arbiter are the web app's, not the public API.
 */
import { z } from 'zod';
import { inviteInput } from './accounts.ts';
import * as S from './api-schemas.ts';
import { appealInput, evidenceInput } from './disputes.ts';
import { ARBITRATION_ROUTES } from './route-table.ts';

const D = '/v1/contracts/{id}/milestones/{index}/dispute';

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid request',
  401: 'Missing or invalid token',
  403: 'Not allowed for this caller',
  404: 'Not found',
  409: 'Conflicts with the current state (arbiter_exists, appeal_not_allowed, window_closed, invalid_transition, quota_exceeded)',
  413: 'Attachment too large',
  507: 'insufficient_storage: the oracle is below its free-space floor',
};

function schema(s: z.ZodType, io: 'input' | 'output'): unknown {
  return z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' });
}

function operation(p: {
  route: keyof typeof ARBITRATION_ROUTES;
  summary: string;
  ok: { status: number; schema?: z.ZodType; contentType?: string };
  errors: number[];
  body?: z.ZodType;
}): Record<string, unknown> {
  const rule = ARBITRATION_ROUTES[p.route];
  const responses: Record<string, unknown> = {
    [String(p.ok.status)]: {
      description: 'OK',
      content: {
        [p.ok.contentType ?? 'application/json']:
          p.ok.schema === undefined ? {} : { schema: schema(p.ok.schema, 'output') },
      },
    },
  };
  for (const code of [...new Set([401, 403, ...p.errors])].sort()) {
    responses[String(code)] = {
      description: ERROR_TEXT[code] ?? 'Error',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  const path = rule.path.replace(/:(\w+)/g, '{$1}');
  const op: Record<string, unknown> = {
    operationId: p.route,
    summary: p.summary,
    'x-allow': rule.allow,
    parameters: [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    })),
    security: [{ bearer: [] }],
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

/** OpenAPI path items of the arbitration routes, keyed by OpenAPI path. */
export function arbitrationOpenApiPaths(): Record<string, Record<string, unknown>> {
  return {
    '/v1/arbiters': {
      get: operation({
        route: 'arbitersList',
        summary: "The operator's arbiter pool",
        ok: { status: 200, schema: S.arbiterListView },
        errors: [],
      }),
      post: operation({
        route: 'arbiterInvite',
        summary: 'Create an arbiter and a single-use, expiring invite (the token is shown once)',
        body: inviteInput,
        ok: { status: 201, schema: S.issuedInviteView },
        errors: [400, 409],
      }),
    },
    '/v1/arbiters/{arbiterId}/invite': {
      post: operation({
        route: 'arbiterReinvite',
        summary: 'A new invite for an arbiter (voids the earlier links)',
        body: z.strictObject({
          ttlSec: z
            .number()
            .int()
            .min(60)
            .max(30 * 86_400)
            .optional(),
        }),
        ok: { status: 201, schema: S.issuedInviteView },
        errors: [400, 404, 409],
      }),
    },
    '/v1/arbiters/{arbiterId}/disable': {
      post: operation({
        route: 'arbiterDisable',
        summary: 'Disable an arbiter: sessions end, no login, never drawn again',
        ok: { status: 200, schema: S.arbiterView },
        errors: [404],
      }),
    },
    [D]: {
      get: operation({
        route: 'disputeView',
        summary: 'The dispute: panel, phases, evidence; votes only after the close',
        ok: { status: 200, schema: S.disputeViewSchema },
        errors: [404],
      }),
    },
    [`${D}/evidence`]: {
      post: operation({
        route: 'disputeEvidence',
        summary:
          'Add a statement, a link or a file (base64, ≤ 2 MiB) during the evidence phase; a milestone holds at most 100 items and 16 MiB (409 quota_exceeded)',
        body: evidenceInput,
        ok: { status: 201, schema: S.evidenceCreatedView },
        errors: [400, 404, 409, 413, 507],
      }),
    },
    [`${D}/evidence/{evidenceId}/file`]: {
      get: operation({
        route: 'disputeAttachment',
        summary: 'Download an attachment (always Content-Disposition: attachment, nosniff)',
        ok: { status: 200, contentType: 'application/octet-stream' },
        errors: [404],
      }),
    },
    [`${D}/appeal`]: {
      post: operation({
        route: 'disputeAppeal',
        summary: 'Appeal a closed first round (if the terms allow): a larger panel decides',
        body: appealInput,
        ok: { status: 201, schema: S.appealCreatedView },
        errors: [400, 404, 409],
      }),
    },
  };
}
