/**
 * Perf (issue 10 §3, `npm run bench -- api`): the serialized answers of recently read events, with
 * the milestone state each was built from. An event's answer changes only with that state (its
 * announcement and attestation are immutable, and the attestation is written in the transaction
 * that makes the state `attested`): an attested one is served as is, any other after one read of
 * the state.
 *
 * `fastPath` answers the common read (a plain GET of a cached, current event) ahead of every other
 * layer of the app, with its headers written at once. Anything else falls through to the `event`
 * route of `routes.ts`, which answers as before and fills the cache.
 */
import type { RequestHandler } from 'express';
import type { AppContext } from '../context.ts';
import type { MilestoneState } from '../db/stores.ts';
import { Lru } from '../domain/lru.ts';
import { ROUTES, type RouteRule } from './access.ts';
import { cacheControlOf, type SerializedBody } from './http-cache.ts';
import { requestRecorder } from './request-metrics.ts';
import { SECURITY_HEADERS } from './security-headers.ts';

export interface EventAnswer {
  readonly eventId: string;
  readonly state: MilestoneState;
  readonly body: SerializedBody;
  readonly immutable: boolean;
  /** The 200 answer's headers, as `securityHeaders` and `sendSerialized` set them. */
  readonly head: readonly string[];
}

function headOf(body: SerializedBody, immutable: boolean): string[] {
  return [
    ...Object.entries(SECURITY_HEADERS).flat(),
    'ETag',
    body.etag,
    'Cache-Control',
    cacheControlOf(immutable),
    // What `res.type('application/json')` sets.
    'Content-Type',
    'application/json; charset=utf-8',
    'Content-Length',
    String(body.bytes.length),
  ];
}

/** The joined event id of a `*eventPath` wildcard (segments arrive decoded, `%2F` included). */
export function eventPathOf(params: unknown): string {
  const p = (params as { eventPath?: unknown }).eventPath;
  const segments = Array.isArray(p) ? (p as unknown[]).map(String) : [String(p)];
  return segments.join('/');
}

const EVENTS_PREFIX = '/v1/events/';
/** Characters for which `parseurl` (Express's router) parses a URL the slow way. */
const UNUSUAL_URL = /[\t\n\f\r #\u00a0\ufeff]/;

/**
 * `eventPathOf` for a request URL, computed as the router computes `*eventPath` (the path split at
 * `/`, each segment percent-decoded, then joined), or undefined where that is not certain: another
 * spelling of the prefix, an empty id, a URL `parseurl` parses the slow way, a malformed escape.
 */
export function eventPathOfUrl(url: string): string | undefined {
  if (!url.startsWith(EVENTS_PREFIX) || UNUSUAL_URL.test(url)) return undefined;
  const q = url.indexOf('?');
  const rest = url.slice(EVENTS_PREFIX.length, q === -1 ? url.length : q);
  if (rest === '') return undefined;
  if (!rest.includes('%')) return rest;
  try {
    return rest
      .split('/')
      .map((segment) => decodeURIComponent(segment))
      .join('/');
  } catch {
    return undefined; // the router answers 400 for it, with every header set
  }
}

export class EventAnswers {
  private readonly lru = new Lru<string, EventAnswer>(1024);
  /** The state column alone (`stores.milestoneByEvent` reads and parses the whole row). */
  private readonly stateOf;

  constructor(private readonly ctx: AppContext) {
    this.stateOf = ctx.db.prepare('SELECT state FROM milestones WHERE event_id = ?').pluck();
  }

  /** The cached answer of `path` if it is still current, else undefined. */
  current(path: string): EventAnswer | undefined {
    const hit = this.lru.get(path);
    if (hit === undefined) return undefined;
    // A row read back is compared with a state parsed earlier: equal is valid.
    if (hit.state !== 'attested' && this.stateOf.get(hit.eventId) !== hit.state) return undefined;
    return hit;
  }

  set(
    path: string,
    a: { eventId: string; state: MilestoneState; body: SerializedBody; immutable: boolean },
  ): void {
    this.lru.set(path, { ...a, head: headOf(a.body, a.immutable) });
  }

  /**
   * The `event` route's fast path, a middleware installed before every other layer (ahead of the
   * router's path matching, whose parameter decoding may fail before `securityHeaders` ran). It
   * answers only what the full route would answer the same way without a conditional or
   * authorization step: a GET of `/v1/events/<id>` (lowercase)
   * without `Authorization` (the route is public; a token, valid or not, goes through
   * `authorize`), without `If-None-Match`/`If-Modified-Since` (304s stay with `sendSerialized`
   * and Express's freshness check), of a current cached answer. It records the request's metrics
   * as the full route does. Everything else goes on to the router.
   */
  fastPath(): RequestHandler {
    // The table decides: this path skips `authorize`, which lets any tokenless call of a public
    // route through. Should the route stop being public, this no longer compiles.
    const rule: RouteRule & { readonly allow: 'public' } = ROUTES.event;
    const record = requestRecorder(this.ctx, 'event', rule);
    return (req, res, next) => {
      const startMs = performance.now();
      const h = req.headers;
      if (
        req.method !== 'GET' ||
        h.authorization !== undefined ||
        h['if-none-match'] !== undefined ||
        h['if-modified-since'] !== undefined
      )
        return next();
      const path = eventPathOfUrl(req.url);
      if (path === undefined) return next();
      let hit: EventAnswer | undefined;
      try {
        hit = this.current(path);
      } catch {
        // The full route reads the same rows, and reports the failure with every header set.
        return next();
      }
      if (hit === undefined) return next();
      res.writeHead(200, hit.head as string[]);
      res.end(hit.body.bytes);
      record(200, startMs);
    };
  }
}
