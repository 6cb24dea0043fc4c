/**
 * `verdict tower`: a watchtower of one's own (issue 16), for parties who prefer not to rely on the
 * oracle's. Thin: parses flags and the environment, starts `oracle/tower/standalone.ts`, runs a
 * pass every --interval seconds until SIGINT/SIGTERM.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { BitcoinRpcClient } from '../../src/chain/bitcoin-rpc-client.ts';
import { OracleClient } from '../../src/party/oracle-client.ts';
import { createLogger } from '../../oracle/logger.ts';
import { startStandaloneTower } from '../../oracle/tower/standalone.ts';
import { defaultIo, parseFlags, UsageError, type CliIo } from './common.ts';

export const usage = `usage: verdict tower [options]

Runs a watchtower: parties upload their CET signatures to it (verdict dlc tower enable REF
--tower URL); it broadcasts the attested CET, or the refund after its locktime, while they are
offline. It can complete only the CET of the outcome the oracle attests, and holds no key.

options:
  --data-dir DIR      where its SQLite file lives (default ./tower; env VERDICT_TOWER_DIR)
  --oracle URL        the Verdict oracle whose attestations it follows (env VERDICT_ORACLE_URL)
  --rpc URL           the Bitcoin node (env VERDICT_BITCOIN_RPC, http://user:pass@host:port)
  --rpc-cookie FILE   its cookie file (env VERDICT_BITCOIN_RPC_COOKIE)
  --host HOST         listen address (default 127.0.0.1)
  --port N            listen port (default 8090; 0: any)
  --interval SEC      seconds between passes (default 5)
  --once              one pass, then exit (no HTTP)
  -h, --help          this text
environment: VERDICT_TOWER_TOKEN (the bearer token parties must send; required unless the tower
  listens on loopback), VERDICT_TOWER_BUMP_AFTER_BLOCKS (default 6), VERDICT_LOG_LEVEL

exit status: 0 stopped cleanly, 2 usage or configuration error`;

const flags = {
  'data-dir': { type: 'string' },
  oracle: { type: 'string' },
  rpc: { type: 'string' },
  'rpc-cookie': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  interval: { type: 'string' },
  once: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const envSchema = z.object({
  VERDICT_TOWER_DIR: z.string().min(1).optional(),
  VERDICT_ORACLE_URL: z.url().optional(),
  VERDICT_BITCOIN_RPC: z.url().optional(),
  VERDICT_BITCOIN_RPC_COOKIE: z.string().min(1).optional(),
  VERDICT_TOWER_TOKEN: z.string().min(16).optional(),
  VERDICT_TOWER_BUMP_AFTER_BLOCKS: z.coerce.number().int().min(1).max(1000).default(6),
  VERDICT_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info'),
});

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export async function run(
  argv: readonly string[],
  io: CliIo = defaultIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  try {
    const { values } = parseFlags(argv, flags);
    if (values.help === true) {
      io.out(usage);
      return 0;
    }
    const parsed = envSchema.safeParse(env);
    if (!parsed.success) {
      throw new UsageError(
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
    }
    const e = parsed.data;
    const oracleUrl = values.oracle ?? e.VERDICT_ORACLE_URL;
    if (oracleUrl === undefined) throw new UsageError('--oracle or VERDICT_ORACLE_URL is required');
    const rpcUrl = values.rpc ?? e.VERDICT_BITCOIN_RPC;
    if (rpcUrl === undefined) throw new UsageError('--rpc or VERDICT_BITCOIN_RPC is required');
    const host = values.host ?? '127.0.0.1';
    if (e.VERDICT_TOWER_TOKEN === undefined && !LOOPBACK.has(host)) {
      throw new UsageError(
        'VERDICT_TOWER_TOKEN is required when the tower listens beyond loopback',
      );
    }
    const port = Number(values.port ?? '8090');
    const intervalSec = Number(values.interval ?? '5');
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port N');
    if (!(intervalSec > 0)) throw new UsageError('--interval must be > 0');
    const dataDir = resolve(values['data-dir'] ?? e.VERDICT_TOWER_DIR ?? './tower');
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const cookieFile = values['rpc-cookie'] ?? e.VERDICT_BITCOIN_RPC_COOKIE;
    const chain = new BitcoinRpcClient({
      url: rpcUrl,
      ...(cookieFile === undefined ? {} : { cookieFile }),
    });
    const oracle = new OracleClient(oracleUrl);
    const info = z
      .object({ publicKey: z.string().regex(/^[0-9a-f]{64}$/) })
      .parse(await (await fetch(`${oracle.baseUrl}/v1/oracle`)).json());
    const logger = createLogger({ logLevel: e.VERDICT_LOG_LEVEL });
    const tower = await startStandaloneTower({
      dbPath: join(dataDir, 'tower.db'),
      chain,
      oracle,
      oraclePublicKeyHex: info.publicKey,
      host,
      port: values.once === true ? 0 : port,
      token: e.VERDICT_TOWER_TOKEN,
      logger,
      bumpAfterBlocks: e.VERDICT_TOWER_BUMP_AFTER_BLOCKS,
    });
    try {
      if (values.once === true) {
        for (const a of await tower.tower.tick()) io.out(JSON.stringify(a));
        return 0;
      }
      io.out(
        `verdict tower listening on ${tower.url} (oracle ${oracle.baseUrl}, key ${info.publicKey})`,
      );
      let stop = false;
      const onSignal = (): void => {
        stop = true;
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        while (!stop) {
          try {
            await tower.tower.tick();
          } catch (err) {
            logger.error({ err }, 'tower pass failed');
          }
          await new Promise((r) => setTimeout(r, intervalSec * 1000));
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      return 0;
    } finally {
      await tower.close();
    }
  } catch (error) {
    io.err(`verdict tower: ${error instanceof Error ? error.message : String(error)}`);
    if (error instanceof UsageError) io.err('run "verdict tower --help" for usage');
    return 2;
  }
}
