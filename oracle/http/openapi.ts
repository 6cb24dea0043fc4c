/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that shape the responses
 * (`schemas.ts`) and validate the requests (the domain's input schemas).
 */
import { z } from 'zod';
import { arbitrationOpenApiPaths } from '../arbitration/openapi.ts';
import { ciOpenApiPaths } from '../ci/openapi.ts';
import type { AppContext } from '../context.ts';
import { dlcMessageInput } from '../domain/dlc-relay.ts';
import { deliverInput, disputeInput } from '../domain/milestones.ts';
import { agreementInput } from '../domain/agreement.ts';
import { createContractInput } from '../domain/terms.ts';
import { ROUTES, type RouteName } from './access.ts';
import { REQUEST_EXAMPLES } from './examples.ts';
import { towerStatusView, towerUploadInput, towerUploadView } from '../tower/api.ts';
import * as S from './schemas.ts';

type Schema = z.ZodType;

interface Op {
  readonly route: RouteName;
  /** OpenAPI path (differs from the Express path for wildcards). */
  readonly path: string;
  readonly summary: string;
  readonly body?: Schema;
  readonly ok: { readonly status: number; readonly schema?: Schema; readonly contentType?: string };
  readonly errors: readonly number[];
}

const outcomeInput = z.strictObject({ outcome: z.union([z.string(), z.number()]) });
const kormirEventList = z.array(S.kormirEventData);
const kormirPubkey = z.object({ pubkey: z.string().regex(/^[0-9a-f]{64}$/) });

const M = '/v1/contracts/{id}/milestones/{index}';
export const OPERATIONS: readonly Op[] = [
  {
    route: 'healthz',
    path: '/healthz',
    summary: 'Liveness and database check',
    ok: { status: 200, schema: S.healthView },
    errors: [],
  },
  {
    route: 'metrics',
    path: '/metrics',
    summary: 'Prometheus metrics (text format)',
    ok: { status: 200, contentType: 'text/plain' },
    errors: [],
  },
  {
    route: 'openapi',
    path: '/v1/openapi.json',
    summary: 'This document',
    ok: { status: 200, contentType: 'application/json' },
    errors: [],
  },
  {
    route: 'docs',
    path: '/docs',
    summary: 'The API reference (Swagger UI on this document, served locally)',
    ok: { status: 200, contentType: 'text/html' },
    errors: [],
  },
  {
    route: 'docsAsset',
    path: '/docs/{asset}',
    summary: "The reference page's own files (swagger-ui-dist)",
    ok: { status: 200, contentType: 'text/javascript' },
    errors: [404],
  },
  {
    route: 'oracle',
    path: '/v1/oracle',
    summary: 'Oracle public key, name and conventions',
    ok: { status: 200, schema: S.oracleInfo },
    errors: [],
  },
  {
    route: 'events',
    path: '/v1/events',
    summary:
      'List events (keyset pagination: pass nextCursor as cursor). The public sees each status as open (not attested yet) or attested and may filter by status=attested only; the operator token sees and filters by the milestone state.',
    ok: { status: 200, schema: S.eventList },
    errors: [400, 401, 403],
  },
  {
    route: 'event',
    path: '/v1/events/{eventId}',
    summary:
      "One event: announcement hex + JSON, status, attestation hex when attested. The id may be URL-encoded. The status is open (not attested yet) or attested, except for the contract's parties and the operator (their token), who see the milestone state.",
    ok: { status: 200, schema: S.eventView },
    errors: [404],
  },
  {
    route: 'event',
    path: '/v1/events/{eventId}/attestation',
    summary: "The event's attestation (immutable)",
    ok: { status: 200, schema: S.attestationView },
    errors: [404],
  },
  {
    route: 'createContract',
    path: '/v1/contracts',
    summary: 'Create a contract; returns the two party tokens once',
    body: createContractInput,
    ok: { status: 201, schema: S.createdContract },
    errors: [400, 401, 403, 413, 429, 507],
  },
  {
    route: 'previewContract',
    path: '/v1/contracts/preview',
    summary:
      'What creating this contract would hash, written nowhere: the canonical JSON with "contractId": "" (assigned at creation) and the terms. Same body, access and 400s as a create',
    body: createContractInput,
    ok: { status: 200, schema: S.contractPreview },
    errors: [400, 401, 403, 413],
  },
  {
    route: 'contract',
    path: '/v1/contracts/{id}',
    summary: "The contract as the caller's role sees it, with both parties' answers to the terms",
    ok: { status: 200, schema: S.contractWithAgreementView },
    errors: [401, 403, 404],
  },
  {
    route: 'agreement',
    path: '/v1/contracts/{id}/agreement',
    summary:
      "A party accepts or declines the terms it read (their hash; 409 terms_changed if they are not the contract's). Recorded in the audit log; final once given (409 agreement_final on a different answer, the same answer again is 200)",
    body: agreementInput,
    ok: { status: 200, schema: S.contractWithAgreementView },
    errors: [400, 401, 403, 404, 409],
  },
  {
    route: 'invite',
    path: '/invite',
    summary:
      'The page an invitation link opens: static, no script. The invitation is in the fragment, which never reaches the server; the page says to paste the link into the Verdict app',
    ok: { status: 200, contentType: 'text/html' },
    errors: [],
  },
  {
    route: 'terms',
    path: '/v1/contracts/{id}/terms',
    summary: "The canonical terms and their SHA-256 (the contract's parties and the operator)",
    ok: { status: 200, schema: S.termsView },
    errors: [401, 403, 404],
  },
  {
    route: 'log',
    path: '/v1/contracts/{id}/log',
    summary:
      "The hash-chained audit log with its content (the contract's parties and the operator)",
    ok: { status: 200, schema: S.auditLogView },
    errors: [401, 403, 404],
  },
  {
    route: 'logChain',
    path: '/v1/contracts/{id}/log/chain',
    summary:
      "The audit log's hash chain without its content (seq, prevHash, hash): anyone can check that it still extends a head hash they kept",
    ok: { status: 200, schema: S.auditChainView },
    errors: [404],
  },
  {
    route: 'deliver',
    path: `${M}/deliver`,
    summary: 'Freelancer delivers (commit sha or artifact digest + note)',
    body: deliverInput,
    ok: { status: 200, schema: S.milestoneActionView },
    errors: [400, 401, 403, 404, 409],
  },
  {
    route: 'accept',
    path: `${M}/accept`,
    summary: 'Client accepts: decides and attests',
    ok: { status: 200, schema: S.milestoneActionView },
    errors: [401, 403, 404, 409],
  },
  {
    route: 'propose',
    path: `${M}/propose`,
    summary: 'Propose a mutual outcome',
    body: outcomeInput,
    ok: { status: 200, schema: S.milestoneActionView },
    errors: [400, 401, 403, 404, 409],
  },
  {
    route: 'acceptProposal',
    path: `${M}/accept-proposal`,
    summary: "Accept the other party's proposal: decides and attests",
    body: outcomeInput,
    ok: { status: 200, schema: S.milestoneActionView },
    errors: [400, 401, 403, 404, 409],
  },
  {
    route: 'dispute',
    path: `${M}/dispute`,
    summary: 'Open a dispute within the review window',
    body: disputeInput,
    ok: { status: 200, schema: S.milestoneActionView },
    errors: [400, 401, 403, 404, 409],
  },
  {
    route: 'dlcPost',
    path: `${M}/dlc/{kind}`,
    summary: 'Post offer_dlc / accept_dlc / sign_dlc hex (kind = offer | accept | sign)',
    body: dlcMessageInput,
    ok: { status: 201, schema: S.dlcMessageView },
    errors: [400, 401, 403, 404, 409, 413, 429, 507],
  },
  // Issue 16: the watchtower (oracle/tower).
  {
    route: 'towerUpload',
    path: `${M}/tower`,
    summary:
      "Hand the tower this party's signature of every CET of the milestone's DLC (checked against the rebuilt CETs and the announcement before anything is stored)",
    body: towerUploadInput,
    ok: { status: 201, schema: towerUploadView },
    errors: [400, 401, 403, 404, 413, 422, 503],
  },
  {
    route: 'towerStatus',
    path: `${M}/tower`,
    summary: 'Whether the tower holds the milestone, what it broadcast and when, and the txid',
    ok: { status: 200, schema: towerStatusView },
    errors: [401, 403, 404, 503],
  },
  {
    route: 'dlcGet',
    path: `${M}/dlc/{kind}`,
    summary: 'Fetch the latest message of that kind',
    ok: { status: 200, schema: S.dlcMessageView },
    errors: [401, 403, 404],
  },
  {
    route: 'kormirPubkey',
    path: '/pubkey',
    summary: 'kormir / ddk: the oracle x-only public key as `{ "pubkey": hex }`',
    ok: { status: 200, schema: kormirPubkey },
    errors: [],
  },
  {
    route: 'kormirListEvents',
    path: '/list-events',
    summary:
      'kormir / ddk: events as ddk\'s OracleEventData, at most 1000 a reply; a Link rel="next" header names the next page (cursor, limit)',
    ok: { status: 200, schema: kormirEventList },
    errors: [400],
  },
  {
    route: 'kormirAnnouncement',
    path: '/announcement/{eventId}',
    summary: 'kormir: announcement in rust-dlc serde JSON',
    ok: { status: 200, schema: S.rustDlcAnnouncement },
    errors: [404],
  },
  {
    route: 'kormirAttestation',
    path: '/attestation/{eventId}',
    summary: 'kormir: attestation in rust-dlc serde JSON',
    ok: { status: 200, schema: S.rustDlcAttestation },
    errors: [404],
  },
];

// Replies are documented as the service writes them (io: output); requests as a caller may send
// them (io: input): a field with a default is optional in a request (a milestone's `outcome` and
// `dispute`, for instance), even though every stored contract has it.
const outputs = z.registry<{ id: string }>();
const inputs = z.registry<{ id: string }>();
const namedOutputs: Record<string, Schema> = {
  Error: S.errorBody,
  Health: S.healthView,
  OracleInfo: S.oracleInfo,
  EventList: S.eventList,
  Event: S.eventView,
  EventSummary: S.eventSummary,
  AnnouncementJson: S.announcementJson,
  AttestationJson: S.attestationJson,
  Attestation: S.attestationView,
  CreatedContract: S.createdContract,
  Contract: S.contractView,
  ContractWithAgreement: S.contractWithAgreementView,
  Agreement: S.agreementView,
  ContractPreview: S.contractPreview,
  Milestone: S.milestoneView,
  Terms: S.termsView,
  AuditLog: S.auditLogView,
  AuditChain: S.auditChainView,
  MilestoneAction: S.milestoneActionView,
  DlcMessage: S.dlcMessageView,
  KormirEventData: S.kormirEventData,
  KormirEventList: kormirEventList,
  KormirPubkey: kormirPubkey,
  RustDlcAnnouncement: S.rustDlcAnnouncement,
  RustDlcAttestation: S.rustDlcAttestation,
};
const namedInputs: Record<string, Schema> = {
  CreateContractRequest: createContractInput,
  DeliverRequest: deliverInput,
  OutcomeRequest: outcomeInput,
  DisputeRequest: disputeInput,
  DlcMessageRequest: dlcMessageInput,
  AgreementRequest: agreementInput,
};
for (const [id, s] of Object.entries(namedOutputs)) outputs.add(s, { id });
for (const [id, s] of Object.entries(namedInputs)) inputs.add(s, { id });

let cachedComponents: Record<string, unknown> | undefined;
function components(): Record<string, unknown> {
  const of = (registry: typeof outputs, io: 'input' | 'output') =>
    z.toJSONSchema(registry, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
      uri: (id) => `#/components/schemas/${id}`,
    }).schemas;
  cachedComponents ??= { ...of(outputs, 'output'), ...of(inputs, 'input') };
  return cachedComponents;
}

function refOrInline(s: Schema, io: 'input' | 'output'): unknown {
  const id = (io === 'input' ? inputs : outputs).get(s)?.id;
  if (id !== undefined) return { $ref: `#/components/schemas/${id}` };
  return z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' });
}

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid request',
  401: 'Missing or invalid token',
  403: 'Not allowed for this caller',
  404: 'Not found',
  409: 'Conflicts with the current state',
  413: 'Body too large',
  429: 'Too many requests, bytes or created milestones from this address (rate_limited, Retry-After)',
  507: 'insufficient_storage: the oracle is below its free-space floor (Retry-After)',
};

export function buildOpenApi(ctx: AppContext): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const rule = ROUTES[op.route];
    const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (op.route === 'events' || op.route === 'kormirListEvents') {
      if (op.route === 'events')
        params.push({ name: 'status', in: 'query', required: false, schema: { type: 'string' } });
      params.push(
        { name: 'cursor', in: 'query', required: false, schema: { type: 'string' } },
        { name: 'limit', in: 'query', required: false, schema: { type: 'string' } },
      );
    }
    const responses: Record<string, unknown> = {
      [String(op.ok.status)]: {
        description: 'OK',
        content: {
          [op.ok.contentType ?? 'application/json']:
            op.ok.schema === undefined ? {} : { schema: refOrInline(op.ok.schema, 'output') },
        },
      },
    };
    const errs = new Set(op.errors);
    if (rule.allow !== 'public') {
      errs.add(401);
      errs.add(403);
    }
    for (const code of [...errs].sort()) {
      responses[String(code)] = {
        description: ERROR_TEXT[code] ?? 'Error',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    const operation: Record<string, unknown> = {
      operationId: op.path === '/v1/events/{eventId}/attestation' ? 'eventAttestation' : op.route,
      summary: op.summary,
      'x-allow': rule.allow,
      parameters: params,
      responses,
    };
    if (rule.allow !== 'public') operation['security'] = [{ bearer: [] }];
    // Issue 19 §11: public, but a party or operator token sees the milestone state.
    else if (op.route === 'event' || op.route === 'events')
      operation['security'] = [{}, { bearer: [] }];
    if (op.body !== undefined) {
      operation['requestBody'] = {
        required: true,
        content: { 'application/json': { schema: refOrInline(op.body, 'input') } },
      };
    }
    (paths[op.path] ??= {})[rule.method.toLowerCase()] = operation;
  }
  // Issue 7: the CI routes document themselves (oracle/ci/openapi.ts).
  for (const [path, item] of Object.entries(ciOpenApiPaths())) {
    paths[path] = { ...paths[path], ...item };
  }
  // Issue 6: the arbitration routes document themselves (oracle/arbitration/openapi.ts).
  for (const [path, item] of Object.entries(arbitrationOpenApiPaths())) {
    paths[path] = { ...paths[path], ...item };
  }
  // Issue 13: an example for every write that takes a body (the reference at /docs shows them).
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(item)) {
      const body = (op as { requestBody?: { content: Record<string, Record<string, unknown>> } })
        .requestBody;
      const media = body?.content['application/json'];
      const example = REQUEST_EXAMPLES[`${method.toUpperCase()} ${path}`];
      if (media !== undefined && example !== undefined) media['example'] = example;
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: `Verdict oracle (${ctx.config.oracleName})`,
      version: '1',
      description: 'A DLC oracle and arbitration service for paid work on Bitcoin.',
    },
    servers: [{ url: ctx.config.publicUrl ?? '/' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: components(),
    },
    paths,
  };
}
