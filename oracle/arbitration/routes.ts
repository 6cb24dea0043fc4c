/**
 * Arbitration's HTTP surface: the operator's arbiter admin API and the parties' dispute routes
 * (bearer tokens, the service's role × route table), and the arbiters' web app at `/arbiter/`
 * (cookie session + CSRF, strict CSP on every response).
 */
import express, {
  type Express,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { authorize, principalOf } from '../http/access.ts';
import { requireFreeSpace } from '../http/disk-guard.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import type { PartyActor } from '../domain/milestones.ts';
import {
  acceptInvite,
  acceptInviteInput,
  disableArbiter,
  endSessions,
  inviteArbiter,
  inviteCheckInput,
  inviteInput,
  inviteState,
  login,
  loginInput,
  type LoginThrottle,
  reinviteArbiter,
  summaryOf,
} from './accounts.ts';
import {
  addEvidence,
  appealInput,
  attachmentOf,
  castVote,
  disputeView,
  evidenceInput,
  fillShortPanels,
  MAX_ATTACHMENT_BYTES,
  queueOf,
  requestAppeal,
  servedContentType,
  shortPanels,
  voteInput,
  type Arbitration,
} from './disputes.ts';
import type * as S from './api-schemas.ts';
import { ARBITRATION_ROUTES } from './route-table.ts';
import { requireSameOrigin, sessionOf, type ArbiterSessions } from './session.ts';
import type { ArbitrationStore } from './store.ts';
import type { UiAssets } from './ui-assets.ts';

/** DESIGN/issue 6: the arbiters' app allows nothing but its own origin. */
export const UI_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

type Out<T extends z.ZodType> = z.output<T>;

const contractIdParam = z.string().regex(/^[0-9a-f]{16}$/);
const indexParam = z
  .string()
  .regex(/^(0|[1-9]\d{0,2})$/)
  .transform(Number);
const idParam = z
  .string()
  .regex(/^[1-9]\d{0,15}$/)
  .transform(Number);
const arbiterIdParam = z.object({ arbiterId: z.string().regex(/^[A-Za-z0-9._@:-]{1,64}$/) });
const reinviteBody = z.strictObject({
  ttlSec: z
    .number()
    .int()
    .min(60)
    .max(30 * 86_400)
    .optional(),
});

function milestoneIdOf(ctx: AppContext, params: unknown): number {
  const p = z.object({ id: z.string(), index: z.string() }).parse(params);
  const id = contractIdParam.safeParse(p.id);
  if (!id.success) throw new NotFoundError('contract_not_found', 'no such contract');
  const index = indexParam.safeParse(p.index);
  if (!index.success) throw new NotFoundError('milestone_not_found', 'no such milestone');
  const m = ctx.stores.milestoneByIndex(id.data, index.data);
  if (m === undefined) throw new NotFoundError('milestone_not_found', 'no such milestone');
  return m.id;
}

function idOf(raw: unknown, what: string): number {
  const r = idParam.safeParse(raw);
  if (!r.success) throw new NotFoundError('not_found', `no such ${what}`);
  return r.data;
}

function partyActor(res: Response): PartyActor {
  const p = principalOf(res);
  if (p?.kind !== 'party') throw new ForbiddenError('forbidden', 'a party token is required');
  return { role: p.role, partyId: p.partyId };
}

/** Sends an attachment so that no browser renders it: a download, never sniffed, sandboxed. */
function sendAttachment(
  res: Response,
  file: { fileName: string; contentType: string; bytes: Uint8Array },
): void {
  const ascii = file.fileName.replace(/[^A-Za-z0-9._ -]/g, '_');
  res.set({
    'Content-Type': servedContentType(file.contentType),
    'Content-Disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.fileName)}`,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'Cache-Control': 'private, no-store',
  });
  res.send(Buffer.from(file.bytes));
}

function inviteUrl(ctx: AppContext, req: Request, token: string): string {
  const base = ctx.config.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
  // The token rides in the fragment: it never reaches a server log or a Referer header.
  return `${base.replace(/\/$/, '')}/arbiter/#invite=${token}`;
}

export interface InstalledArbitration extends Arbitration {
  readonly sessions: ArbiterSessions;
  readonly throttle: LoginThrottle;
  /** Resolves when the UI bundle is built (tests await it; requests wait for it anyway). */
  readonly uiReady: Promise<UiAssets>;
}

/** The operator's and the parties' routes, through the service's `authorize`. */
export function registerArbitrationApiRoutes(app: Express, a: Arbitration): void {
  const { ctx } = a;
  const acc = { store: a.store, now: ctx.now };
  const smallJson = express.json({ limit: '64kb' });
  const evidenceJson = express.json({ limit: Math.ceil(MAX_ATTACHMENT_BYTES * 1.4) + 64 * 1024 });
  const route = (name: keyof typeof ARBITRATION_ROUTES, ...handlers: RequestHandler[]) => {
    const rule = ARBITRATION_ROUTES[name];
    const chain = [authorize(ctx, rule), ...handlers];
    if (rule.method === 'GET') app.get(rule.path, ...chain);
    else app.post(rule.path, ...chain);
  };

  route('arbitersList', (_req, res) => {
    const body: Out<typeof S.arbiterListView> = {
      arbiters: a.store.arbiters().map(summaryOf),
      shortPanels: shortPanels(a),
    };
    res.json(body);
  });
  route('arbiterInvite', smallJson, (req, res) => {
    const issued = inviteArbiter(acc, inviteInput.parse(req.body ?? {}));
    ctx.logger.info(
      { arbiterId: issued.arbiter.id, expiresAt: issued.expiresAt },
      'arbiter invited',
    );
    const reply: Out<typeof S.issuedInviteView> = {
      ...issued,
      inviteUrl: inviteUrl(ctx, req, issued.token),
    };
    res.status(201).json(reply);
  });
  route('arbiterReinvite', smallJson, (req, res) => {
    const { arbiterId } = arbiterIdParam.parse(req.params);
    const body = reinviteBody.parse(req.body ?? {});
    const issued = reinviteArbiter(acc, arbiterId, body.ttlSec);
    ctx.logger.info({ arbiterId, expiresAt: issued.expiresAt }, 'arbiter re-invited');
    const reply: Out<typeof S.issuedInviteView> = {
      ...issued,
      inviteUrl: inviteUrl(ctx, req, issued.token),
    };
    res.status(201).json(reply);
  });
  route('arbiterDisable', (req, res) => {
    const { arbiterId } = arbiterIdParam.parse(req.params);
    const reply: Out<typeof S.arbiterView> = { arbiter: disableArbiter(acc, arbiterId) };
    ctx.logger.info({ arbiterId }, 'arbiter disabled');
    res.json(reply);
  });

  route('disputeView', (req, res) => {
    const p = principalOf(res);
    const viewer =
      p?.kind === 'party'
        ? ({ kind: 'party', role: p.role } as const)
        : ({ kind: 'admin' } as const);
    res
      .set('Cache-Control', 'private, no-store')
      .json(disputeView(a, milestoneIdOf(ctx, req.params), viewer));
  });
  route('disputeEvidence', requireFreeSpace(ctx), evidenceJson, (req, res) => {
    const row = addEvidence(
      a,
      milestoneIdOf(ctx, req.params),
      partyActor(res),
      evidenceInput.parse(req.body ?? {}),
    );
    const reply: Out<typeof S.evidenceCreatedView> = {
      evidence: { id: row.id, kind: row.kind, sha256: row.sha256, sizeBytes: row.size_bytes },
    };
    res.status(201).json(reply);
  });
  route('disputeAttachment', (req, res) => {
    const { row, bytes } = attachmentOf(
      a,
      milestoneIdOf(ctx, req.params),
      idOf(req.params['evidenceId'], 'attachment'),
    );
    sendAttachment(res, {
      fileName: row.file_name ?? 'attachment',
      contentType: row.content_type ?? '',
      bytes,
    });
  });
  route('disputeAppeal', smallJson, (req, res) => {
    const { reason } = appealInput.parse(req.body ?? {});
    const d = requestAppeal(a, milestoneIdOf(ctx, req.params), partyActor(res), reason);
    const reply: Out<typeof S.appealCreatedView> = {
      disputeId: d.id,
      round: d.round,
      evidenceEndsAt: d.evidence_ends_at,
      votingEndsAt: d.voting_ends_at,
    };
    res.status(201).json(reply);
  });
}

/** Security headers on every `/arbiter` response, API and assets alike. */
function uiHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.set({
    'Content-Security-Policy': UI_CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
  });
  next();
}

/** The arbiters' web app and its cookie-session API under `/arbiter`. */
export function registerArbiterUiRoutes(app: Express, a: InstalledArbitration): void {
  const { ctx, sessions, throttle } = a;
  const acc = { store: a.store, now: ctx.now };
  const ui = express.Router({ caseSensitive: true, strict: false });
  const json = express.json({ limit: '64kb' });
  const guard = sessions.require();
  // Only the fragment routes the app; the assets are fixed.
  const asset =
    (type: string, pick: (u: UiAssets) => string) =>
    (_req: Request, res: Response, next: NextFunction) => {
      a.uiReady.then(
        (u) => {
          res.type(type).set('Cache-Control', 'no-cache').send(pick(u));
        },
        (e: unknown) => next(e),
      );
    };

  ui.use(uiHeaders);
  ui.get(
    '/',
    asset('html', (u) => u.html),
  );
  ui.get(
    '/app.js',
    asset('application/javascript', (u) => u.js),
  );
  ui.get(
    '/app.css',
    asset('css', (u) => u.css),
  );
  ui.get(
    '/favicon.svg',
    asset('image/svg+xml', (u) => u.favicon),
  );

  ui.use('/api', (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  ui.post('/api/invite/check', json, (req, res) => {
    requireSameOrigin(req, sessions.publicOrigin);
    res.json(inviteState(acc, inviteCheckInput.parse(req.body ?? {}).token));
  });
  ui.post('/api/invite/accept', json, async (req, res) => {
    requireSameOrigin(req, sessions.publicOrigin);
    const arbiter = await acceptInvite(acc, acceptInviteInput.parse(req.body ?? {}));
    ctx.logger.info({ arbiterId: arbiter.id }, 'arbiter accepted invite');
    // Issue 13 §9: a newly active arbiter may take an empty seat of a dispute already open.
    fillShortPanels(a);
    res.json({ arbiter });
  });
  ui.post('/api/login', json, async (req, res) => {
    requireSameOrigin(req, sessions.publicOrigin);
    const input = loginInput.parse(req.body ?? {});
    const knownDevice = sessions.knownDevice(req, input.id);
    const arbiter = await login(acc, throttle, input, {
      address: req.ip ?? 'unknown',
      knownDevice,
    });
    const csrfToken = sessions.start(req, res, arbiter);
    sessions.rememberDevice(req, res, arbiter.id, knownDevice);
    ctx.logger.info({ arbiterId: arbiter.id }, 'arbiter logged in');
    res.json({ arbiter: summaryOf(arbiter), csrfToken });
  });
  ui.post('/api/logout', guard, (req, res) => {
    const s = sessionOf(res);
    endSessions(acc, s.arbiter.id);
    sessions.clear(req, res);
    res.status(204).end();
  });
  ui.get('/api/me', guard, (_req, res) => {
    const s = sessionOf(res);
    res.json({ arbiter: summaryOf(s.arbiter), csrfToken: s.csrfToken });
  });
  ui.get('/api/disputes', guard, (_req, res) => {
    res.json({ disputes: queueOf(a, sessionOf(res).arbiter.id), now: ctx.now() });
  });
  const roundOf = (raw: unknown) => {
    const d = a.store.dispute(idOf(raw, 'dispute'));
    if (d === undefined) throw new NotFoundError('not_found', 'no such dispute');
    return d;
  };
  ui.get('/api/disputes/:disputeId', guard, (req, res) => {
    const d = roundOf(req.params['disputeId']);
    res.json({
      disputeId: d.id,
      ...disputeView(a, d.milestone_id, { kind: 'arbiter', arbiterId: sessionOf(res).arbiter.id }),
    });
  });
  ui.post('/api/disputes/:disputeId/vote', guard, json, (req, res) => {
    const d = roundOf(req.params['disputeId']);
    castVote(a, sessionOf(res).arbiter.id, d.id, voteInput.parse(req.body ?? {}));
    res.status(204).end();
  });
  ui.get('/api/disputes/:disputeId/evidence/:evidenceId/file', guard, (req, res) => {
    const d = roundOf(req.params['disputeId']);
    // Seeing the dispute is the permission to download its evidence.
    disputeView(a, d.milestone_id, { kind: 'arbiter', arbiterId: sessionOf(res).arbiter.id });
    const { row, bytes } = attachmentOf(
      a,
      d.milestone_id,
      idOf(req.params['evidenceId'], 'attachment'),
    );
    sendAttachment(res, {
      fileName: row.file_name ?? 'attachment',
      contentType: row.content_type ?? '',
      bytes,
    });
  });
  ui.use('/api', (_req, _res, next) => next(new NotFoundError('not_found', 'no such route')));

  // Relative asset URLs need the trailing slash (non-strict routing matches both spellings here).
  app.get('/arbiter', uiHeaders, (req, res, next) => {
    if (req.originalUrl.split('?')[0] === '/arbiter') res.redirect(301, '/arbiter/');
    else next();
  });
  app.use('/arbiter', ui);
}

export type { ArbitrationStore };
