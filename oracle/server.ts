import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Logger } from 'pino';
import { createApp } from './app.ts';
import { onClientError } from './http/client-error.ts';
import type { Config } from './config.ts';
import type { AppContext } from './context.ts';
import {
  acquireDataDirLock,
  enforceDataDirModes,
  ensureDataDir,
  loadOrCreateJwtSecret,
  openOrCreateKeystore,
  paths,
  resolvePassphrase,
} from './data-dir.ts';
import { openDatabase } from './db/open.ts';
import { Stores } from './db/stores.ts';
import { oracleKeysFromMnemonic } from '../src/crypto/oracle-keys.ts';
import { createAttestationEngine } from './domain/attestation-engine.ts';
import { openSigningState, type ContinuityReport } from './domain/continuity.ts';
import type { SigningJournal } from './domain/signing-journal.ts';
import { fallbackDisputeResolver } from './domain/milestones.ts';
import { guardConnections, type ConnectionStats } from './http/connection-guard.ts';
import { TokenIssuer } from './http/tokens.ts';
import { createLogger } from './logger.ts';
import { Metrics } from './metrics.ts';
import { startScheduler, type Scheduler } from './scheduler.ts';
import { BitcoinRpcClient } from '../src/chain/bitcoin-rpc-client.ts';
import type { ChainBackend } from '../src/chain/chain-backend.ts';
import { decodeAttestation } from '../src/dlc/oracle-codec.ts';
import { Tower } from './tower/tower.ts';

export interface StartOptions {
  readonly logger?: Logger;
  /** Epoch-seconds clock; defaults to the system clock. */
  readonly now?: () => number;
  /** Run the node-cron tick (default true). Tests drive `scheduler.tick()` themselves. */
  readonly cron?: boolean;
  /** The tower's chain (tests: an in-process devnet). Default: `VERDICT_BITCOIN_RPC`, if set. */
  readonly chain?: ChainBackend;
}

export interface RunningServer {
  readonly url: string;
  readonly ctx: AppContext;
  readonly scheduler: Scheduler;
  /** True when this start created the keystore (the caller tells the operator to back it up). */
  readonly keystoreCreated: boolean;
  /** Issue 19: what the start-up reconciliation found (quarantine, restored signatures). */
  readonly continuity: ContinuityReport;
  /** Gives the tower its chain (`npm start`: the embedded devnet, started after the service). */
  setTowerChain(chain: ChainBackend): void;
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

function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * Issue 19 §12e: the service speaks plain HTTP. Listening beyond loopback with no sign of a TLS
 * proxy in front (neither an https `VERDICT_PUBLIC_URL` nor a `VERDICT_TRUST_PROXY`) sends tokens,
 * passwords and session cookies in the clear: say so at every start.
 */
export function plainHttpExposureWarning(config: Config): string | undefined {
  if (isLoopbackHost(config.host)) return undefined;
  if (config.publicUrl?.toLowerCase().startsWith('https://') === true) return undefined;
  if (config.trustProxy !== undefined) return undefined;
  return `listening on ${config.host} over plain HTTP with no TLS proxy configured: party tokens, operator tokens, arbiter passwords and session cookies cross the network in the clear. Put a TLS-terminating proxy in front and set VERDICT_PUBLIC_URL=https://… and VERDICT_TRUST_PROXY, or listen on 127.0.0.1`;
}

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
  let journal: SigningJournal | undefined;
  try {
    enforceDataDirModes(config.dataDir);
    const passphrase = resolvePassphrase(config);
    const { mnemonic, created } = openOrCreateKeystore(config, passphrase, logger);
    const tokens = new TokenIssuer(loadOrCreateJwtSecret(config.dataDir), config.tokenTtlSec);
    db = openDatabase(paths(config.dataDir).db);
    // Again: opening created the WAL and shared-memory files (SQLite gives them the db's mode).
    enforceDataDirModes(config.dataDir);
    const stores = new Stores(db);
    const pubkey = bytesToHex(oracleKeysFromMnemonic(mnemonic).publicKey);
    const known = stores.getMeta('oracle_public_key');
    if (known === undefined) db.transaction(() => stores.setMeta('oracle_public_key', pubkey))();
    else if (known !== pubkey) throw new KeyMismatchError(known, pubkey);
    // Issue 19: reconcile what the key signed (database, signing journal, witness) and quarantine
    // a restored or copied data dir, before the scheduler or any request can decide anything.
    const clock = opts.now ?? systemClock;
    const signing = openSigningState({
      journalPath: paths(config.dataDir).journal,
      witnessDir: config.witnessDir === 'none' ? undefined : config.witnessDir,
      stores,
      oracle: pubkey,
      nowSec: clock(),
      logger,
    });
    journal = signing.journal;
    if (config.witnessDir === undefined)
      logger.warn(
        'no witness (VERDICT_WITNESS_DIR): a rollback of the whole data dir (VM or file-system snapshot) cannot be detected; see SECURITY.md "Restores, copies and snapshots"',
      );
    const engine = createAttestationEngine(mnemonic, signing.journal);

    let towerChain: ChainBackend | null =
      opts.chain ??
      (config.bitcoinRpc === undefined
        ? null
        : new BitcoinRpcClient({
            url: config.bitcoinRpc,
            ...(config.bitcoinRpcCookie === undefined
              ? {}
              : { cookieFile: config.bitcoinRpcCookie }),
          }));
    const failpointAt = config.towerFailpoint;
    const tower = config.tower
      ? new Tower({
          db,
          chain: () => towerChain,
          attestation: (eventId) => {
            const row = stores.getAttestation(eventId);
            return Promise.resolve(row === undefined ? null : decodeAttestation(row.tlv));
          },
          oraclePublicKey: engine.publicKey,
          now: clock,
          logger,
          bumpAfterBlocks: config.towerBumpAfterBlocks,
          ...(failpointAt === undefined
            ? {}
            : {
                failpoint: (at) => {
                  if (at === failpointAt) process.kill(process.pid, 'SIGKILL');
                },
              }),
        })
      : undefined;
    const ctx: AppContext = {
      config,
      db,
      stores,
      logger,
      engine,
      tokens,
      metrics: new Metrics(),
      now: clock,
      disputeResolver: fallbackDisputeResolver,
      ...(tower === undefined ? {} : { tower }),
    };
    const scheduler = startScheduler(ctx, { cron: opts.cron ?? true });
    const app = createApp(ctx);
    let connections: ConnectionStats | undefined;
    const server = await new Promise<Server>((resolve, reject) => {
      const s = createServer(HTTP_LIMITS, app);
      s.on('clientError', onClientError);
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
    const exposure = plainHttpExposureWarning(config);
    if (exposure !== undefined) logger.warn({ host: config.host }, exposure);
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
      continuity: signing.report,
      setTowerChain(chain) {
        towerChain = chain;
      },
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
        signing.journal.close();
        release();
      },
    };
  } catch (e) {
    db?.close();
    journal?.close();
    release();
    throw e;
  }
}
