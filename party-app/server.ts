/**
 * The parties' app: a local web app served by the party's OWN process on loopback (never by the
 * oracle: a page the operator serves could take the keys). It holds the party's wallet and DLC
 * state — the same data dir and the same `src/party` code as `verdict dlc` — and talks to the
 * party's node and to the oracle.
 *
 * Protected as a local web app must be:
 * - it listens on 127.0.0.1 unless told otherwise;
 * - the URL it prints carries a one-time secret in its fragment (never sent to any server, never
 *   in a log); the page exchanges it once for an httpOnly, SameSite=Strict session cookie;
 * - every request's `Host` must name this listener (DNS rebinding), every write's `Origin` must be
 *   this origin (cross-site requests), every API call needs the cookie;
 * - a strict CSP: scripts, styles and connections to self only, no inline code, no frames.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { generateMnemonic } from '@scure/bip39';
import { z } from 'zod';
import type { ChainBackend } from '../src/chain/chain-backend.ts';
import { WrongPassphraseError } from '../src/crypto/errors.ts';
import { KEYSTORE_FILE, Party, type BumpPolicy } from '../src/party/party.ts';
import {
  DustAmountError,
  FeeTooHighError,
  InsufficientWalletFundsError,
  WrongNetworkAddressError,
} from '../src/party/wallet.ts';
import { hexToBytes } from '@noble/hashes/utils.js';
import { decodeAcceptDlc, decodeOfferDlc } from '../src/dlc/messages.ts';
import { OracleClient } from '../src/party/oracle-client.ts';
import { fundingModule } from './funding.ts';
import { watcherModule } from './watcher.ts';
import { buildPartyAppAssets, type PartyAppAssets } from './assets.ts';
import contractsModule from './contracts.ts';
import {
  AppBus,
  AppRaw,
  HttpError,
  parse,
  type AppContext,
  type AppModule,
  type AppRequest,
  type AppRoute,
} from './context.ts';

/** The route modules behind the session check (issue 15), in dispatch order. */
const MODULES: readonly AppModule[] = [fundingModule, contractsModule, watcherModule];

export interface PartyAppOptions {
  readonly dataDir: string;
  readonly chain: ChainBackend;
  /** The node's URL as shown to the user (no credentials). */
  readonly nodeLabel: string;
  readonly oracleUrl: string | undefined;
  readonly host?: string;
  readonly port?: number;
  /** scrypt cost for a new keystore (tests use a small one). */
  readonly scryptN?: number;
  /** The watcher's pass interval while unlocked (default 2000 ms). */
  readonly watchIntervalMs?: number;
  /** How often funding jobs poll the relay and the chain (default 1000 ms). */
  readonly relayPollMs?: number;
  /** The watcher's bump policy, as `verdict dlc watch --bump-after/--bump-fee-rate/--bump-max-sat`. */
  readonly bumpPolicy?: BumpPolicy;
}

export interface RunningPartyApp {
  /** `http://127.0.0.1:<port>/#<one-time secret>`: open it once, in the party's own browser. */
  readonly url: string;
  readonly origin: string;
  close(): Promise<void>;
}

const COOKIE = 'verdict_app';
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? JSON.stringify(body) : String(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': `${type}; charset=utf-8`,
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const sendError = (res: ServerResponse, e: HttpError) =>
  send(res, e.status, { error: { code: e.code, message: e.message } });

async function readJson(req: IncomingMessage, maxBytes = 64 * 1024): Promise<unknown> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
    throw new HttpError(415, 'unsupported_media_type', 'send application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > maxBytes)
      throw new HttpError(413, 'payload_too_large', `at most ${Math.floor(maxBytes / 1024)} KiB`);
    chunks.push(c);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'invalid_json', 'the body is not JSON');
  }
}

const safeEqual = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

function cookieOf(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return undefined;
}

const passphraseSchema = z.string().min(8, 'a passphrase of at least 8 characters').max(1024);

/** Starts the app on loopback; resolves once it listens. */
export async function startPartyApp(o: PartyAppOptions): Promise<RunningPartyApp> {
  const assets: PartyAppAssets = await buildPartyAppAssets();
  const host = o.host ?? '127.0.0.1';
  let secret: string | undefined = randomBytes(32).toString('base64url');
  const sessions = new Set<string>();
  let allowedHosts: Set<string> = new Set();
  let origins: Set<string> = new Set();
  let party: Party | undefined;
  /** A mnemonic shown once and not yet confirmed: nothing is written until it is. */
  let pending: { mnemonic: string; passphrase: string; ask: number[] } | undefined;
  const keystorePath = join(o.dataDir, KEYSTORE_FILE);
  const bus = new AppBus();
  /** What runs while the wallet is unlocked (the watcher): started at unlock, stopped at lock. */
  const hooks: ((p: Party) => () => Promise<void> | void)[] = [];
  let stops: (() => Promise<void> | void)[] = [];
  const streams = new Set<() => void>();
  function unlocked(p: Party): void {
    party = p;
    stops = hooks.map((h) => h(p));
    bus.emit({ kind: 'wallet' });
  }
  async function locked(): Promise<void> {
    const running = stops;
    stops = [];
    for (const stop of running) await stop();
    party?.close();
    party = undefined;
    bus.emit({ kind: 'wallet' });
  }
  const oracleClient = o.oracleUrl === undefined ? null : new OracleClient(o.oracleUrl);
  const ctx: AppContext = {
    dataDir: o.dataDir,
    chain: o.chain,
    oracle: oracleClient,
    oracleUrl: o.oracleUrl,
    ...(o.watchIntervalMs === undefined ? {} : { watchIntervalMs: o.watchIntervalMs }),
    ...(o.relayPollMs === undefined ? {} : { relayPollMs: o.relayPollMs }),
    ...(o.bumpPolicy === undefined ? {} : { bumpPolicy: o.bumpPolicy }),
    bus,
    party: () => requireParty(),
    current: () => party,
    whileUnlocked(fn) {
      hooks.push(fn);
      if (party !== undefined) stops.push(fn(party));
    },
  };
  const routes: readonly AppRoute[] = MODULES.flatMap((m) => m(ctx));

  const walletState = () =>
    party !== undefined ? 'unlocked' : existsSync(keystorePath) ? 'locked' : 'none';

  async function status() {
    let node: { label: string; height?: number; network?: string; error?: string } = {
      label: o.nodeLabel,
    };
    try {
      const info = await o.chain.getBlockchainInfo();
      node = { label: o.nodeLabel, height: info.blocks, network: info.chain };
    } catch (e) {
      node = { label: o.nodeLabel, error: e instanceof Error ? e.message : String(e) };
    }
    let oracle: { url: string; publicKey?: string; error?: string } | null = null;
    if (o.oracleUrl !== undefined) {
      try {
        const r = await fetch(`${o.oracleUrl.replace(/\/$/, '')}/v1/oracle`, {
          signal: AbortSignal.timeout(5000),
        });
        const body = (await r.json()) as { publicKey?: unknown };
        oracle = {
          url: o.oracleUrl,
          ...(typeof body.publicKey === 'string' ? { publicKey: body.publicKey } : {}),
        };
      } catch (e) {
        oracle = { url: o.oracleUrl, error: e instanceof Error ? e.message : String(e) };
      }
    }
    return { wallet: walletState(), dataDir: o.dataDir, node, oracle };
  }

  const requireParty = (): Party => {
    if (party === undefined) throw new HttpError(409, 'wallet_locked', 'unlock the wallet first');
    return party;
  };

  async function api(req: IncomingMessage, path: string, query: URLSearchParams): Promise<unknown> {
    const m = req.method ?? 'GET';
    if (m === 'GET' && path === '/api/status') return status();
    if (m === 'POST' && path === '/api/wallet/create') {
      if (walletState() !== 'none') throw new HttpError(409, 'wallet_exists', 'a wallet exists');
      const { passphrase } = parse(
        z.strictObject({ passphrase: passphraseSchema }),
        await readJson(req),
      );
      const mnemonic = generateMnemonic(wordlist, 256);
      // Ask back three words, at random positions, before anything is written.
      const ask = [...new Set(Array.from({ length: 12 }, () => randomBytes(1)[0]! % 24))]
        .slice(0, 3)
        .sort((a, b) => a - b);
      pending = { mnemonic, passphrase, ask };
      return { words: mnemonic.split(' '), confirm: ask.map((i) => i + 1) };
    }
    if (m === 'POST' && path === '/api/wallet/confirm') {
      if (pending === undefined)
        throw new HttpError(409, 'nothing_to_confirm', 'create a wallet first');
      const { words } = parse(
        z.strictObject({ words: z.array(z.string().max(20)).length(pending.ask.length) }),
        await readJson(req),
      );
      const all = pending.mnemonic.split(' ');
      const ok = pending.ask.every((i, j) => all[i] === words[j]?.trim().toLowerCase());
      if (!ok)
        throw new HttpError(
          400,
          'words_do_not_match',
          'those are not the words at those positions: check what you wrote down',
        );
      Party.init(o.dataDir, pending.passphrase, {
        mnemonic: pending.mnemonic,
        ...(o.scryptN === undefined ? {} : { scryptN: o.scryptN }),
      });
      const { passphrase } = pending;
      pending = undefined;
      unlocked(await Party.open({ dataDir: o.dataDir, passphrase, chain: o.chain }));
      return { wallet: 'unlocked' };
    }
    if (m === 'POST' && path === '/api/wallet/restore') {
      if (walletState() !== 'none') throw new HttpError(409, 'wallet_exists', 'a wallet exists');
      const body = parse(
        z.strictObject({ mnemonic: z.string().max(400), passphrase: passphraseSchema }),
        await readJson(req),
      );
      const mnemonic = body.mnemonic.trim().toLowerCase().split(/\s+/).join(' ');
      if (!validateMnemonic(mnemonic, wordlist))
        throw new HttpError(400, 'invalid_mnemonic', 'not a valid BIP39 English mnemonic');
      Party.init(o.dataDir, body.passphrase, {
        mnemonic,
        ...(o.scryptN === undefined ? {} : { scryptN: o.scryptN }),
      });
      unlocked(
        await Party.open({ dataDir: o.dataDir, passphrase: body.passphrase, chain: o.chain }),
      );
      return { wallet: 'unlocked' };
    }
    if (m === 'POST' && path === '/api/wallet/unlock') {
      if (walletState() === 'none') throw new HttpError(409, 'no_wallet', 'create one first');
      const { passphrase } = parse(
        z.strictObject({ passphrase: z.string().max(1024) }),
        await readJson(req),
      );
      try {
        if (party === undefined)
          unlocked(await Party.open({ dataDir: o.dataDir, passphrase, chain: o.chain }));
      } catch (e) {
        if (e instanceof WrongPassphraseError)
          throw new HttpError(401, 'wrong_passphrase', 'that passphrase does not open the wallet');
        throw e;
      }
      return { wallet: 'unlocked' };
    }
    if (m === 'POST' && path === '/api/wallet/lock') {
      await locked();
      return { wallet: walletState() };
    }
    if (m === 'GET' && path === '/api/wallet') {
      const p = requireParty();
      const contracts = p.store.listContracts();
      const open = contracts.filter((c) => !['settled', 'refunded', 'cancelled'].includes(c.state));
      // This party's collateral in contracts not closed yet: in a funding output, or its coins
      // reserved for a funding transaction being agreed (they are not spendable meanwhile).
      let lockedSat = 0n;
      for (const c of open) {
        if (c.role === 'offer')
          lockedSat += decodeOfferDlc(hexToBytes(c.offer_hex)).offerCollateral;
        else if (c.accept_hex !== null)
          lockedSat += decodeAcceptDlc(hexToBytes(c.accept_hex)).acceptCollateral;
      }
      return {
        network: p.wallet.network,
        balanceSat: (await p.wallet.balanceSat()).toString(),
        lockedSat: lockedSat.toString(),
        contractsOpen: open.length,
      };
    }
    if (m === 'POST' && path === '/api/wallet/address') {
      const p = requireParty();
      return { address: p.wallet.nextAddress('receive').address };
    }
    if (m === 'POST' && path === '/api/wallet/send') {
      const p = requireParty();
      const body = parse(
        z.strictObject({
          address: z.string().min(1).max(120),
          amount: z.union([z.literal('all'), z.string().regex(/^\d{1,16}$/, 'whole satoshis')]),
          feeRateSatPerVb: z.string().regex(/^\d{1,5}$/, 'whole sat/vB'),
          dryRun: z.boolean(),
          force: z.boolean().optional(),
        }),
        await readJson(req),
      );
      try {
        const pay = await p.wallet.send({
          address: body.address.trim(),
          amount: body.amount === 'all' ? 'all' : BigInt(body.amount),
          feeRateSatPerVb: BigInt(body.feeRateSatPerVb),
          dryRun: body.dryRun,
          force: body.force ?? false,
        });
        return {
          txid: pay.txid,
          broadcast: pay.broadcast,
          amountSat: pay.amountSat.toString(),
          feeSat: pay.feeSat.toString(),
          changeSat: pay.changeSat.toString(),
          vsize: pay.vsize,
        };
      } catch (e) {
        // The wallet's refusals are the user's to read: another network, dust, too much, a fee cap.
        if (
          e instanceof InsufficientWalletFundsError ||
          e instanceof WrongNetworkAddressError ||
          e instanceof DustAmountError ||
          e instanceof FeeTooHighError ||
          e instanceof RangeError
        )
          throw new HttpError(400, 'payment_refused', e.message);
        throw e;
      }
    }
    if (m === 'GET' && path === '/api/wallet/history') {
      const p = requireParty();
      return {
        entries: (await p.walletHistory()).map((h) => ({
          ...h,
          amountSat: h.amountSat.toString(),
          feeSat: h.feeSat === null ? null : h.feeSat.toString(),
        })),
      };
    }
    if (m === 'GET' && path === '/api/wallet/descriptor') {
      return requireParty().wallet.descriptors();
    }
    // The local DLC rows (`/api/contracts` is the contracts module's: the oracle contracts).
    if (m === 'GET' && path === '/api/dlcs') {
      const p = requireParty();
      return {
        contracts: p.store.listContracts().map((c) => ({
          id: c.id,
          role: c.role,
          state: c.state,
          contractId: c.contract_id,
          terms: JSON.parse(c.terms_json) as unknown,
        })),
      };
    }
    for (const r of routes) {
      if (r.method !== m) continue;
      const match = r.path.exec(path);
      if (match === null) continue;
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(match.groups ?? {})) {
        try {
          params[k] = decodeURIComponent(v);
        } catch {
          throw new HttpError(400, 'invalid_request', `a malformed ${k} in the path`);
        }
      }
      const request: AppRequest = {
        raw: req,
        params,
        query,
        body: (maxBytes?: number) => readJson(req, maxBytes),
      };
      return r.handle(request);
    }
    throw new HttpError(404, 'not_found', `no ${m} ${path}`);
  }

  /** `GET /api/events`: server-sent events, one `data:` JSON line per AppEvent, a ping every 15 s. */
  function eventStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
    });
    res.write('retry: 2000\n\n');
    const unsubscribe = bus.subscribe((e) => res.write(`data: ${JSON.stringify(e)}\n\n`));
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    ping.unref();
    const close = () => {
      clearInterval(ping);
      unsubscribe();
      streams.delete(close);
      res.end();
    };
    streams.add(close);
    req.on('close', close);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends Host: evil.example.
    if (!allowedHosts.has(req.headers.host ?? ''))
      throw new HttpError(421, 'wrong_host', 'this app answers only to its own loopback address');
    const url = new URL(req.url ?? '/', 'http://app.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      // Cross-site writes: a browser always sends Origin on a cross-origin POST.
      if (!origins.has(req.headers.origin ?? ''))
        throw new HttpError(403, 'cross_origin', 'writes are accepted from this app only');
    }
    if (method === 'GET' && path === '/') return send(res, 200, assets.html, 'text/html');
    if (method === 'GET' && path === '/app.js') return send(res, 200, assets.js, 'text/javascript');
    if (method === 'GET' && path === '/app.css') return send(res, 200, assets.css, 'text/css');
    if (method === 'GET' && path === '/favicon.svg')
      return send(res, 200, assets.favicon, 'image/svg+xml');
    if (method === 'POST' && path === '/api/session') {
      const { secret: given } = parse(
        z.strictObject({ secret: z.string().max(200) }),
        await readJson(req),
      );
      if (secret === undefined || !safeEqual(given, secret))
        throw new HttpError(
          401,
          'invalid_secret',
          'this link was already used or is not this app’s: start `verdict app` again for a new one',
        );
      secret = undefined; // one time
      const session = randomBytes(32).toString('base64url');
      sessions.add(session);
      res.setHeader(
        'set-cookie',
        `${COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/; Max-Age=86400`,
      );
      return send(res, 200, { ok: true });
    }
    if (path.startsWith('/api/')) {
      const c = cookieOf(req);
      if (c === undefined || ![...sessions].some((s) => safeEqual(s, c)))
        throw new HttpError(
          401,
          'no_session',
          'open the link `verdict app` printed (it carries a one-time secret)',
        );
      if (method === 'GET' && path === '/api/events') return eventStream(req, res);
      if (method === 'GET' && path === '/api/activity')
        return send(res, 200, { entries: bus.activity() });
      const answer = await api(req, path, url.searchParams);
      if (answer instanceof AppRaw) return send(res, 200, answer.body, answer.type);
      return send(res, 200, answer);
    }
    throw new HttpError(404, 'not_found', `no ${method} ${path}`);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (e instanceof HttpError) return sendError(res, e);
      sendError(
        res,
        new HttpError(500, 'internal_error', e instanceof Error ? e.message : String(e)),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const names = host === '127.0.0.1' || host === 'localhost' ? ['127.0.0.1', 'localhost'] : [host];
  allowedHosts = new Set(names.map((n) => `${n}:${port}`));
  origins = new Set(names.map((n) => `http://${n}:${port}`));
  const origin = `http://${names[0] ?? host}:${port}`;
  return {
    url: `${origin}/#${secret}`,
    origin,
    async close() {
      for (const close of streams) close();
      await locked();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
