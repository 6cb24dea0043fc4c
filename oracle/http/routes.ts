import { bytesToHex } from '@noble/hashes/utils.js';
import express, { type Express, type RequestHandler } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { verifyAuditChain, auditRowToEntry } from '../domain/audit-log.ts';
import { agreementInput, agreementOf, recordAgreement } from '../domain/agreement.ts';
import { createContractYielding, getContract, previewContract } from '../domain/contracts.ts';
import {
  DLC_MESSAGE_KINDS,
  dlcMessageInput,
  getDlcMessage,
  postDlcMessage,
} from '../domain/dlc-relay.ts';
import {
  acceptMilestone,
  acceptProposal,
  deliverInput,
  deliverMilestone,
  disputeInput,
  openDispute,
  proposeOutcome,
  type Decision,
  type MilestoneRef,
  type PartyActor,
} from '../domain/milestones.ts';
import { ENUM_OUTCOMES, SHARE_DESCRIPTOR } from '../domain/outcomes.ts';
import { createContractInput, termsToJson } from '../domain/terms.ts';
import { AppError, ForbiddenError, NotFoundError } from '../errors.ts';
import { authorize, principalOf, ROUTES, seesContract, type RouteName } from './access.ts';
import { eventPathOf, type EventAnswers } from './event-answers.ts';
import { sendCached, sendSerialized, serializeBody } from './http-cache.ts';
import { requestMetrics, requestRecorder } from './request-metrics.ts';
import { docsAssets, docsPage, DOCS_CSP } from './docs.ts';
import { AddressBuckets, clientKey } from './write-limit.ts';
import { pageQuery } from './pagination.ts';
import { requireFreeSpace } from './disk-guard.ts';
import { buildOpenApi } from './openapi.ts';
import {
  attestationViewOf,
  contractViewOf,
  eventSummaryOf,
  eventViewOf,
  kormirEventDataOf,
  milestoneViewOf,
  rustDlcAnnouncementOf,
  rustDlcAttestationOf,
} from './views.ts';

const contractIdParam = z.string().regex(/^[0-9a-f]{16}$/);
const indexParam = z
  .string()
  .regex(/^(0|[1-9]\d{0,2})$/)
  .transform(Number);
const outcomeBody = z.strictObject({ outcome: z.union([z.string(), z.number()]) });

const eventsQuery = z.strictObject({
  status: z.enum(['open', 'delivered', 'disputed', 'attested']).optional(),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/)
    .transform((c, zc) => {
      const m = /^m(\d{1,15})$/.exec(Buffer.from(c, 'base64url').toString('latin1'));
      if (m?.[1] === undefined) {
        zc.addIssue({ code: 'custom', message: 'not a cursor from this API' });
        return z.NEVER;
      }
      return Number(m[1]);
    })
    .optional(),
  limit: z
    .string()
    .regex(/^\d{1,4}$/)
    .transform(Number)
    .pipe(z.number().int().min(1).max(500))
    .optional(),
});

/** Same cursor as /v1/events (a milestone id); kormir replies are at most 1000 events. */
export const KORMIR_PAGE = 1000;
const kormirListQuery = pageQuery('m', { defaultLimit: KORMIR_PAGE, maxLimit: KORMIR_PAGE });

function encodeCursor(milestoneId: number): string {
  return Buffer.from(`m${milestoneId}`, 'latin1').toString('base64url');
}

/** Registers the role × route table's routes; `eventAnswers` is the cache `createApp` shares. */
export function registerRoutes(app: Express, ctx: AppContext, eventAnswers: EventAnswers): void {
  const smallJson = express.json({ limit: '64kb' });
  // A DLC message of N bytes is 2N hex digits plus the JSON wrapping.
  const dlcJson = express.json({ limit: ctx.config.dlcMessageMaxBytes * 2 + 1024 });

  const route = (name: RouteName, ...handlers: RequestHandler[]) => {
    const rule = ROUTES[name];
    const chain = [
      requestMetrics(requestRecorder(ctx, name, rule)),
      authorize(ctx, rule),
      ...handlers,
    ];
    if (rule.method === 'GET') app.get(rule.path, ...chain);
    else app.post(rule.path, ...chain);
  };

  const partyActor = (res: express.Response): PartyActor => {
    const p = principalOf(res);
    if (p?.kind !== 'party') throw new ForbiddenError('forbidden', 'a party token is required');
    return { role: p.role, partyId: p.partyId };
  };
  const milestoneRef = (params: unknown): MilestoneRef => {
    const p = z.object({ id: z.string(), index: z.string() }).parse(params);
    const id = contractIdParam.safeParse(p.id);
    if (!id.success) throw new NotFoundError('contract_not_found', 'no such contract');
    const index = indexParam.safeParse(p.index);
    if (!index.success) throw new NotFoundError('milestone_not_found', 'no such milestone');
    return { contractId: id.data, index: index.data };
  };
  const contractIdOf = (params: unknown): string => {
    const id = contractIdParam.safeParse((params as { id?: unknown }).id);
    if (!id.success) throw new NotFoundError('contract_not_found', 'no such contract');
    return id.data;
  };
  const decisionJson = (ref: MilestoneRef, d: Decision, role: PartyActor['role']) => {
    const { terms } = getContract(ctx, ref.contractId);
    const mt = terms.milestones[ref.index];
    if (mt === undefined) throw new Error('milestone terms missing');
    return {
      milestone: milestoneViewOf(d.milestone, mt, role, ctx.now(), ctx.disputePanelOf),
      attestation: attestationViewOf(mt.outcome, d.attestation),
      created: d.created,
    };
  };
  const milestoneJson = (ref: MilestoneRef, role: PartyActor['role']) => {
    const { terms } = getContract(ctx, ref.contractId);
    const mt = terms.milestones[ref.index];
    const m = ctx.stores.milestoneByIndex(ref.contractId, ref.index);
    if (mt === undefined || m === undefined)
      throw new NotFoundError('milestone_not_found', 'no such milestone');
    return milestoneViewOf(m, mt, role, ctx.now(), ctx.disputePanelOf);
  };

  // ---- service
  route('healthz', (_req, res) => {
    ctx.db.prepare('SELECT 1').get();
    res.json({ status: 'ok' });
  });
  route('metrics', (_req, res) => {
    const c = ctx.stores.counts();
    res.type('text/plain; version=0.0.4').send(
      ctx.metrics.render({
        verdict_contracts: c.contracts,
        verdict_announcements: c.announcements,
        verdict_attestations_stored: c.attestations,
      }),
    );
  });
  route('openapi', (_req, res) => {
    res.json(buildOpenApi(ctx));
  });
  route('docs', (_req, res) => {
    res.set('Content-Security-Policy', DOCS_CSP);
    res.type('html').send(docsPage(buildOpenApi(ctx)));
  });
  route('docsAsset', (req, res) => {
    const asset = docsAssets()?.get(String(req.params['asset']));
    if (asset === undefined) throw new NotFoundError('not_found', 'no such file');
    res.set('Cache-Control', 'public, max-age=3600');
    res.type(asset.type).send(asset.body);
  });

  // ---- oracle and events
  route('oracle', (_req, res) => {
    res.json({
      name: ctx.config.oracleName,
      publicKey: bytesToHex(ctx.engine.publicKey),
      hashConvention: 'tagged',
      attestationLayout: 'spec',
      eventIdFormat: 'verdict/<contract id>/<milestone index>/<first 16 hex of the terms hash>',
      outcomeShapes: {
        enum: [...ENUM_OUTCOMES],
        share: {
          base: SHARE_DESCRIPTOR.base,
          nbDigits: SHARE_DESCRIPTOR.nbDigits,
          isSigned: SHARE_DESCRIPTOR.isSigned,
          unit: SHARE_DESCRIPTOR.unit,
          precision: SHARE_DESCRIPTOR.precision,
        },
      },
      contractCreation: ctx.config.contractCreation,
      counts: ctx.stores.counts(),
    });
  });

  route('events', (req, res) => {
    const q = eventsQuery.parse(req.query);
    // Issue 19 §11: the milestone states (delivered, disputed) are the parties' and the
    // operator's; the public list says open (not attested yet) or attested, and filters by
    // attested only.
    const full = principalOf(res)?.kind === 'admin';
    if (!full && q.status !== undefined && q.status !== 'attested')
      throw new ForbiddenError(
        'forbidden',
        'only the operator lists events by milestone state; the public filter is status=attested',
      );
    const limit = q.limit ?? 50;
    const rows = ctx.stores.eventsPage(q.cursor ?? 0, limit + 1, q.status);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    res.json({
      events: page.map((r) => eventSummaryOf(r, full)),
      nextCursor:
        rows.length > limit && last !== undefined ? encodeCursor(last.milestone_id) : null,
    });
  });

  // Perf (issue 10 §3): answers cached with their milestone state (event-answers.ts); the plain
  // reads of cached answers are served by its fast path before they reach this route.
  route('event', (req, res) => {
    const path = eventPathOf(req.params);
    // The cache holds public answers: a caller with a token may be owed the full one.
    const hit = principalOf(res) === undefined ? eventAnswers.current(path) : undefined;
    if (hit !== undefined) {
      sendSerialized(req, res, hit.body, { immutable: hit.immutable });
      return;
    }
    // Perf (issue 10 §4, `npm run bench -- api`): these reads ran as 4 implicit SQLite
    // transactions (the announcement read twice); one read transaction is 1, over one snapshot.
    const { eventId, ann, m, mt, att, wantsAttestation } = ctx.db.transaction(() => {
      let eventId = path;
      let wantsAttestation = false;
      let ann = ctx.stores.getAnnouncement(eventId);
      if (ann === undefined && eventId.endsWith('/attestation')) {
        eventId = eventId.slice(0, -'/attestation'.length);
        wantsAttestation = true;
        ann = ctx.stores.getAnnouncement(eventId);
      }
      const m = ctx.stores.milestoneByEvent(eventId);
      if (ann === undefined || m === undefined)
        throw new NotFoundError('event_not_found', 'no such event');
      const mt = getContract(ctx, m.contract_id).terms.milestones[m.idx];
      if (mt === undefined) throw new Error('milestone terms missing');
      return { eventId, ann, m, mt, att: ctx.stores.getAttestation(eventId), wantsAttestation };
    })();
    if (wantsAttestation && att === undefined)
      throw new NotFoundError('not_attested', 'the event is not attested yet');
    // Issue 19 §11: the milestone's state for its parties and the operator, open/attested
    // for everyone else. Only the public answer is cached (the fast path serves tokenless GETs).
    const full = !wantsAttestation && seesContract(principalOf(res), m.contract_id);
    const body = serializeBody(
      wantsAttestation && att !== undefined
        ? attestationViewOf(mt.outcome, att)
        : eventViewOf(m, mt.outcome, ann, att, full),
    );
    if (full) {
      sendSerialized(req, res, body, { immutable: false, private: true });
      return;
    }
    eventAnswers.set(path, { eventId, state: m.state, body, immutable: wantsAttestation });
    sendSerialized(req, res, body, { immutable: wantsAttestation });
  });

  // ---- contracts
  // Issue 19 §6: creation is limited by its cost, one unit per milestone (each is an
  // announcement to sign), per client address; the operator is not limited.
  const createCost = new AddressBuckets(ctx.config.createMilestonesPerMin);
  route('createContract', requireFreeSpace(ctx), smallJson, async (req, res) => {
    const input = createContractInput.parse(req.body);
    const p = principalOf(res);
    if (ctx.config.createMilestonesPerMin > 0 && p?.kind !== 'admin') {
      const key = clientKey(req);
      const wait = createCost.waitSec(key, input.milestones.length);
      if (wait > 0) {
        res.set('Retry-After', String(wait));
        throw new AppError(
          'rate_limited',
          'too many milestones created from this address; slow down',
          { retryAfterSec: wait },
        );
      }
      createCost.charge(key, input.milestones.length);
    }
    const actor =
      p?.kind === 'admin'
        ? `admin:${p.subject}`
        : p?.kind === 'party'
          ? `${p.role}:${p.partyId}`
          : 'anonymous';
    const created = await createContractYielding(ctx, input, actor);
    const milestones = ctx.stores.milestonesOfContract(created.contract.id);
    res.status(201).json({
      contract: contractViewOf(
        created.terms,
        created.contract.terms_hash,
        created.contract.created_at,
        milestones,
        'client',
        ctx.now(),
      ),
      tokens: created.tokens,
      warning:
        'These capability tokens are shown once. Give the freelancer token to the freelancer; keep both secret.',
    });
  });

  route('previewContract', smallJson, (req, res) => {
    const { canonicalJson, terms } = previewContract(ctx, createContractInput.parse(req.body));
    res.json({ canonicalJson, terms: termsToJson(terms), termsHash: null });
  });

  const contractJson = (id: string, role: PartyActor['role'] | 'admin') => {
    const { row, terms } = getContract(ctx, id);
    return {
      ...contractViewOf(
        terms,
        row.terms_hash,
        row.created_at,
        ctx.stores.milestonesOfContract(id),
        role,
        ctx.now(),
        ctx.disputePanelOf,
      ),
      agreement: agreementOf(ctx, id),
    };
  };
  route('contract', (req, res) => {
    const p = principalOf(res);
    res.json(contractJson(contractIdOf(req.params), p?.kind === 'party' ? p.role : 'admin'));
  });

  route('agreement', smallJson, (req, res) => {
    const id = contractIdOf(req.params);
    const actor = partyActor(res);
    recordAgreement(ctx, id, actor, agreementInput.parse(req.body ?? {}));
    res.json(contractJson(id, actor.role));
  });

  route('invite', (_req, res) => {
    res.set('Content-Security-Policy', INVITE_CSP);
    res.set('Cache-Control', 'public, max-age=3600');
    res.type('html').send(INVITE_PAGE);
  });

  route('terms', (req, res) => {
    const { row, terms } = getContract(ctx, contractIdOf(req.params));
    sendCached(
      req,
      res,
      { termsHash: row.terms_hash, canonicalJson: row.terms_json, terms: termsToJson(terms) },
      { immutable: true, private: true },
    );
  });

  const verifiedLog = (id: string) => {
    getContract(ctx, id);
    const entries = ctx.stores.auditOfContract(id).map(auditRowToEntry);
    const verdict = verifyAuditChain(entries, id);
    if (!verdict.ok)
      throw new Error(
        `audit log of ${id} does not verify at seq ${verdict.seq}: ${verdict.reason}`,
      );
    return { entries, headHash: verdict.headHash };
  };
  route('log', (req, res) => {
    const id = contractIdOf(req.params);
    const { entries, headHash } = verifiedLog(id);
    res.set('Cache-Control', 'private, no-store');
    res.json({ contractId: id, headHash, entries });
  });
  // Issue 19 §11: the chain alone (no time, actor, action or details), for anyone to check that
  // the log still extends a head hash they kept; the parties verify the content with `log`.
  route('logChain', (req, res) => {
    const id = contractIdOf(req.params);
    const { entries, headHash } = verifiedLog(id);
    res.json({
      contractId: id,
      headHash,
      entries: entries.map((e) => ({ seq: e.seq, prevHash: e.prevHash, hash: e.hash })),
    });
  });

  // ---- milestone actions
  route('deliver', smallJson, (req, res) => {
    const ref = milestoneRef(req.params);
    const actor = partyActor(res);
    deliverMilestone(ctx, ref, actor, deliverInput.parse(req.body ?? {}));
    res.json({ milestone: milestoneJson(ref, actor.role) });
  });
  route('accept', smallJson, (req, res) => {
    const ref = milestoneRef(req.params);
    const actor = partyActor(res);
    res.json(decisionJson(ref, acceptMilestone(ctx, ref, actor), actor.role));
  });
  route('propose', smallJson, (req, res) => {
    const ref = milestoneRef(req.params);
    const actor = partyActor(res);
    proposeOutcome(ctx, ref, actor, outcomeBody.parse(req.body ?? {}).outcome);
    res.json({ milestone: milestoneJson(ref, actor.role) });
  });
  route('acceptProposal', smallJson, (req, res) => {
    const ref = milestoneRef(req.params);
    const actor = partyActor(res);
    const d = acceptProposal(ctx, ref, actor, outcomeBody.parse(req.body ?? {}).outcome);
    res.json(decisionJson(ref, d, actor.role));
  });
  route('dispute', smallJson, (req, res) => {
    const ref = milestoneRef(req.params);
    const actor = partyActor(res);
    openDispute(ctx, ref, actor, disputeInput.parse(req.body ?? {}).reason);
    res.json({ milestone: milestoneJson(ref, actor.role) });
  });

  // ---- DLC message relay
  const kindOf = (params: unknown) => {
    const k = z.enum(DLC_MESSAGE_KINDS).safeParse((params as { kind?: unknown }).kind);
    if (!k.success) throw new NotFoundError('not_found', 'DLC messages are offer, accept or sign');
    return k.data;
  };
  route('dlcPost', requireFreeSpace(ctx), dlcJson, (req, res) => {
    const ref = milestoneRef(req.params);
    const kind = kindOf(req.params);
    const row = postDlcMessage(
      ctx,
      ref,
      partyActor(res),
      kind,
      dlcMessageInput.parse(req.body ?? {}).hex,
    );
    res.status(201).json({
      kind: row.kind,
      senderRole: row.sender_role,
      hex: row.hex,
      postedAt: row.created_at,
    });
  });
  route('dlcGet', (req, res) => {
    const ref = milestoneRef(req.params);
    const row = getDlcMessage(ctx, ref, kindOf(req.params));
    res.json({
      kind: row.kind,
      senderRole: row.sender_role,
      hex: row.hex,
      postedAt: row.created_at,
    });
  });

  // ---- kormir-compatible reads (benthecarman/kormir kormir-server; ddk's KormirOracleClient)
  route('kormirPubkey', (_req, res) => {
    // ddk's `KormirOracleClient::new` reads `PubkeyResponse { pubkey }`.
    res.json({ pubkey: bytesToHex(ctx.engine.publicKey) });
  });
  // kormir lists every event in one array. Issue 19 §8: the array is bounded (at most
  // `KORMIR_PAGE` events a reply); when more follow, a `Link: <…?cursor=…>; rel="next"` header
  // names the next page, so kormir clients keep the plain array shape.
  route('kormirListEvents', (req, res) => {
    const q = kormirListQuery.parse(req.query);
    const rows = ctx.stores.eventsPage(q.cursor, q.limit + 1);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    if (rows.length > q.limit && last !== undefined) {
      res.set(
        'Link',
        `</list-events?cursor=${encodeCursor(last.milestone_id)}&limit=${q.limit}>; rel="next"`,
      );
    }
    res.json(page.map(kormirEventDataOf));
  });
  route('kormirAnnouncement', (req, res) => {
    const ann = ctx.stores.getAnnouncement(eventPathOf(req.params));
    if (ann === undefined)
      throw new NotFoundError('event_not_found', 'Could not find announcement from event_id.');
    sendCached(req, res, rustDlcAnnouncementOf(ann.tlv), { immutable: true });
  });
  route('kormirAttestation', (req, res) => {
    const eventId = eventPathOf(req.params);
    if (ctx.stores.getAnnouncement(eventId) === undefined) {
      throw new NotFoundError('event_not_found', 'Could not find attestation from event_id.');
    }
    const att = ctx.stores.getAttestation(eventId);
    if (att === undefined) throw new NotFoundError('not_attested', 'the event is not attested yet');
    sendCached(req, res, rustDlcAttestationOf(att.tlv), { immutable: true });
  });
}

/** The invitation page runs nothing: no script, no style, no request of its own. */
export const INVITE_CSP =
  "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
export const INVITE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Verdict: an invitation to a contract</title>
</head>
<body>
<h1>An invitation to a Verdict contract</h1>
<p>This is an invitation to a Verdict contract.</p>
<p>Open your Verdict app (<code>npx verdict app</code>) and paste this whole link into
<em>Open an invitation</em>. The app reads the terms, checks them against their hash and the
oracle's key, and lets you accept or decline.</p>
<p>The part after # never reached this server: it carries your access to the contract, so give
the link to nobody else.</p>
</body>
</html>
`;

/** The last route: anything unmatched is a 404 `not_found` (install it after every module's routes). */
export function notFoundHandler(): RequestHandler {
  return () => {
    throw new AppError('not_found', 'no such route');
  };
}
