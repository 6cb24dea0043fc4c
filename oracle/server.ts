import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Logger } from 'pino';
import { createApp } from './app.ts';
import type { Config } from './config.ts';
import type { AppContext } from './context.ts';
import {
  acquireDataDirLock,
  ensureDataDir,
  loadOrCreateJwtSecret,
  openOrCreateKeystore,
  paths,
  resolvePassphrase,
} from './data-dir.ts';
import { openDatabase } from './db/open.ts';
import { Stores } from './db/stores.ts';
import { createAttestationEngine } from './domain/attestation-engine.ts';
import { fallbackDisputeResolver } from './domain/milestones.ts';
import { guardConnections, type ConnectionStats } from './http/connection-guard.ts';
import { TokenIssuer } from './http/tokens.ts';
import { createLogger } from './logger.ts';
import { Metrics } from './metrics.ts';
import { startScheduler, type Scheduler } from './scheduler.ts';

export interface StartOptions {
  readonly logger?: Logger;
  /** Epoch-seconds clock; defaults to the system clock. */
  readonly now?: () => number;
  /** Run the node-cron tick (default true). Tests drive `scheduler.tick()` themselves. */
  readonly cron?: boolean;
}

export interface RunningServer {
  readonly url: string;
  readonly ctx: AppContext;
  readonly scheduler: Scheduler;
  /** True when this start created the keystore (the caller tells the operator to back it up). */
  readonly keystoreCreated: boolean;
  /** Issue 19 §5: live counters of the connection limits. */
  readonly connections?: ConnectionStats;
  close(): Promise<void>;
}

export class KeyMismatchError extends Error {
  constructor(expected: string, actual: string) {
    super(
      `the keystore's oracle key ${actual} is not the key ${expected} this database was created with; restore the right mnemonic`,
    );
    this.name = 'KeyMismatchError';
  }
}

const systemClock = () => Math.floor(Date.now() / 1000);

/**
 * Slow clients cannot hold connections (issue 9 §2): the headers must arrive within 10 s and the
 * whole request (a DLC message is at most 16 MiB) within 60 s; both are checked every second.
 */
export const HTTP_LIMITS = {
  headersTimeout: 10_000,
  requestTimeout: 60_000,
  connectionsCheckingInterval: 1_000,
} as const;

/**
 * Starts the service on `config.host:config.port`: takes the data dir's lock, opens (or creates)
 * the keystore, opens the database, catches up on deadlines, then listens.
 */
export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger(config);
  ensureDataDir(config.dataDir);
  const release = acquireDataDirLock(config.dataDir);
  let db: ReturnType<typeof openDatabase> | undefined;
  try {
    const passphrase = resolvePassphrase(config);
    const { mnemonic, created } = openOrCreateKeystore(config, passphrase, logger);
    const engine = createAttestationEngine(mnemonic);
    const tokens = new TokenIssuer(loadOrCreateJwtSecret(config.dataDir), config.tokenTtlSec);
    db = openDatabase(paths(config.dataDir).db);
    const stores = new Stores(db);
    const pubkey = bytesToHex(engine.publicKey);
    const known = stores.getMeta('oracle_public_key');
    if (known === undefined) db.transaction(() => stores.setMeta('oracle_public_key', pubkey))();
    else if (known !== pubkey) throw new KeyMismatchError(known, pubkey);

    const ctx: AppContext = {
      config,
      db,
      stores,
      logger,
      engine,
      tokens,
      metrics: new Metrics(),
      now: opts.now ?? systemClock,
      disputeResolver: fallbackDisputeResolver,
    };
    const scheduler = startScheduler(ctx, { cron: opts.cron ?? true });
    const app = createApp(ctx);
    let connections: ConnectionStats | undefined;
    const server = await new Promise<Server>((resolve, reject) => {
      const s = createServer(HTTP_LIMITS, app);
      connections = guardConnections(s, config);
      s.once('error', reject);
      s.listen(config.port, config.host, () => {
        s.off('error', reject);
        resolve(s);
      });
    });
    server.keepAliveTimeout = 5000;
    const addr = server.address() as AddressInfo;
    const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
    logger.info(
      { url, oraclePublicKey: pubkey, dataDir: config.dataDir },
      'verdict oracle listening',
    );
    const openDb = db;
    let closed = false;
    return {
      url,
      ctx,
      scheduler,
      keystoreCreated: created,
      ...(connections === undefined ? {} : { connections }),
      async close() {
        if (closed) return;
        closed = true;
        await scheduler.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        openDb.close();
        release();
      },
    };
  } catch (e) {
    db?.close();
    release();
    throw e;
  }
}
