/**
 * The devnet that `npm start` runs beside the service (issue 8): an in-process regtest chain on
 * loopback, so that parties can try Verdict without a Bitcoin node. The oracle uses it only for its
 * watchtower (DESIGN.md "Chain access"); parties point `VERDICT_BITCOIN_RPC` at it, or at a real Core.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { startDevnet, type Devnet } from '../src/chain/devnet/index.ts';
import type { Config } from './config.ts';

export interface EmbeddedDevnet {
  /** `http://127.0.0.1:<port>/`, without credentials. */
  readonly url: string;
  /** The RPC cookie (`__cookie__:<hex>`), rewritten at every start. */
  readonly cookieFile: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** Why the devnet did not start; the service runs without it (the oracle needs no chain). */
export class DevnetUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DevnetUnavailableError';
  }
}

export const devnetDataDir = (dataDir: string): string => join(dataDir, 'devnet');

/**
 * Starts devnet on `127.0.0.1:<config.devnetPort>` with its chain in `<dataDir>/devnet`. A block
 * is mined every `config.devnetBlockSec` seconds when the mempool holds transactions (an idle
 * chain does not grow). A port in use throws {@link DevnetUnavailableError}.
 */
export async function startEmbeddedDevnet(config: Config, logger: Logger): Promise<EmbeddedDevnet> {
  const dataDir = devnetDataDir(config.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  let devnet: Devnet;
  try {
    devnet = await startDevnet({ dataDir, port: config.devnetPort });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new DevnetUnavailableError(
        `port ${config.devnetPort} is in use (a Bitcoin Core regtest node?); set VERDICT_DEVNET_PORT, or VERDICT_DEVNET=off`,
        { cause: e },
      );
    }
    throw e;
  }
  const log = logger.child({ subsystem: 'devnet' });
  const chain = devnet.chain;
  const timer = setInterval(() => {
    if (chain.mempoolTxids().length === 0) return;
    try {
      const block = chain.mineBlock(chain.faucetScript);
      chain.persist();
      log.info({ height: chain.height, txs: block.txs.length - 1 }, 'devnet block mined');
    } catch (err) {
      // Stop mining rather than crash the service; the RPC keeps answering.
      clearInterval(timer);
      log.error({ err }, 'devnet mining stopped');
    }
  }, config.devnetBlockSec * 1000);
  timer.unref();
  log.info({ url: devnet.url, height: chain.height, dataDir }, 'devnet listening');
  return {
    url: devnet.url,
    cookieFile: devnet.cookieFile ?? join(dataDir, '.cookie'),
    dataDir,
    async stop() {
      clearInterval(timer);
      await devnet.stop();
    },
  };
}
