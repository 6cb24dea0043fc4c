/**
 * What the app's route modules share (issue 15): the error type and body parsing of the app's
 * JSON API, the party once unlocked, the trusted oracle, and the event bus behind
 * `GET /api/events` (server-sent events: the page refetches what changed instead of polling).
 *
 * A module is a function `(ctx) => AppRoute[]`; `server.ts` dispatches to it after the session
 * check, so every route here is already behind the cookie, the Host check and the Origin check.
 */
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { ChainBackend } from '../src/chain/chain-backend.ts';
import type { OracleClient } from '../src/party/oracle-client.ts';
import type { BumpPolicy, Party } from '../src/party/party.ts';

/** An answer with a status and a stable code; anything else thrown is a 500. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A route's answer that is not JSON (an SVG QR code, for instance): sent as is, with its type. */
export class AppRaw {
  constructor(
    readonly type: string,
    readonly body: string,
  ) {}
}

/** Validates a body or query with zod; a failure is `400 invalid_request` in the schema's words. */
export function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new HttpError(400, 'invalid_request', z.prettifyError(r.error));
  return r.data;
}

/** What changed, for the page: it refetches the part named by `kind`. */
export interface AppEvent {
  readonly kind: 'wallet' | 'contracts' | 'contract' | 'funding' | 'activity';
  /** The oracle contract id, where the event is about one. */
  readonly contractId?: string;
  readonly milestone?: number;
  /** Words for the activity feed (what the watcher or a funding job did). */
  readonly text?: string;
  /** Extra data for the page (a funding job's progress, for instance). */
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface ActivityEntry {
  readonly at: number;
  readonly text: string;
  readonly contractId?: string;
  readonly milestone?: number;
}

/** Fan-out of app events to the open event streams, and the recent activity (kept in memory). */
export class AppBus {
  private readonly listeners = new Set<(e: AppEvent) => void>();
  private readonly recent: ActivityEntry[] = [];

  emit(e: AppEvent): void {
    if (e.kind === 'activity' && e.text !== undefined) {
      this.recent.push({
        at: Math.floor(Date.now() / 1000),
        text: e.text,
        ...(e.contractId === undefined ? {} : { contractId: e.contractId }),
        ...(e.milestone === undefined ? {} : { milestone: e.milestone }),
      });
      if (this.recent.length > 200) this.recent.shift();
    }
    for (const l of this.listeners) l(e);
  }

  subscribe(listener: (e: AppEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  activity(): readonly ActivityEntry[] {
    return this.recent;
  }
}

export interface AppRequest {
  readonly raw: IncomingMessage;
  /** The named groups of the route's pattern, URI-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The JSON body (415 unless application/json, 413 over the module's limit). */
  body(maxBytes?: number): Promise<unknown>;
}

export interface AppRoute {
  readonly method: 'GET' | 'POST';
  /** Matched against the whole path; named groups become `params`. */
  readonly path: RegExp;
  handle(req: AppRequest): Promise<unknown>;
}

export interface AppContext {
  readonly dataDir: string;
  readonly chain: ChainBackend;
  /** The oracle this app trusts (`--oracle`), or null when none is configured. */
  readonly oracle: OracleClient | null;
  readonly oracleUrl: string | undefined;
  readonly bus: AppBus;
  /** The unlocked party; `409 wallet_locked` otherwise. */
  party(): Party;
  /** The unlocked party, or undefined. */
  current(): Party | undefined;
  /** The watcher's pass interval (`startPartyApp`'s `watchIntervalMs`; default 2000). */
  readonly watchIntervalMs?: number;
  /** How often a funding job polls the relay and the chain (default 1000). */
  readonly relayPollMs?: number;
  /** The watcher's CPFP bump policy (`verdict app --bump-after …`); none: bumps are not offered. */
  readonly bumpPolicy?: BumpPolicy;
  /** Runs `fn` at every unlock (and at once if unlocked); the returned stop runs at lock or close. */
  whileUnlocked(fn: (party: Party) => () => Promise<void> | void): void;
}

export type AppModule = (ctx: AppContext) => readonly AppRoute[];

/** The trusted oracle, or `409 no_oracle` when the app was started without one. */
export function needOracle(ctx: AppContext): OracleClient {
  if (ctx.oracle === null)
    throw new HttpError(
      409,
      'no_oracle',
      'this app has no oracle: start it with --oracle URL (or VERDICT_ORACLE_URL)',
    );
  return ctx.oracle;
}
