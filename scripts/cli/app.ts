/**
 * `verdict app`: the parties' app, served by this process on loopback (party-app/). Runs until
 * interrupted. Exit codes: 0 stopped, 2 usage error.
 */
import { z } from 'zod';
import { BitcoinRpcClient } from '../../src/chain/bitcoin-rpc-client.ts';
import { resolvePartyDir } from '../../src/party/party-dir.ts';
import { startPartyApp } from '../../party-app/server.ts';
import type { BumpPolicy } from '../../src/party/party.ts';
import { defaultIo, parseFlags, UsageError, type CliIo } from './common.ts';

export const APP_USAGE = `usage: verdict app [--party NAME | --data-dir DIR] [--port N] [--host ADDR] [--rpc URL]
                  [--rpc-cookie FILE] [--oracle URL] [--watch-interval SEC]
                  [--bump-after BLOCKS --bump-fee-rate N [--bump-max-sat SAT]]

Serves your contracts and wallet as a web app on this machine only (127.0.0.1) and prints its
address with a one-time secret: open it in your browser. Your keys stay in this process.

options: --party NAME (default VERDICT_PARTY, else "default": ~/.verdict/parties/NAME, the same data
  dir as "verdict dlc"), --data-dir DIR (or VERDICT_PARTY_DIR),
  --port N (default 0: any free port), --host ADDR (default 127.0.0.1; another address exposes
  the app to that network), --rpc URL / --rpc-cookie FILE (default VERDICT_BITCOIN_RPC /
  VERDICT_BITCOIN_RPC_COOKIE), --oracle URL (default VERDICT_ORACLE_URL),
  --watch-interval SEC (the watcher's pass while the wallet is unlocked; default 2),
  --bump-after BLOCKS --bump-fee-rate N [--bump-max-sat SAT]: as "verdict dlc watch", the watcher
  offers a CPFP bump of a CET or refund unconfirmed for BLOCKS blocks, aiming at N sat/vB, and
  makes it by itself when the child's fee is at most SAT (default 0: only offered)`;

const APP_FLAGS = {
  help: { type: 'boolean', short: 'h' },
  'data-dir': { type: 'string' },
  party: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  rpc: { type: 'string' },
  'rpc-cookie': { type: 'string' },
  oracle: { type: 'string' },
  'watch-interval': { type: 'string' },
  'bump-after': { type: 'string' },
  'bump-fee-rate': { type: 'string' },
  'bump-max-sat': { type: 'string' },
} as const;

function wholeArg(text: string, name: string): bigint {
  if (!/^[1-9]\d{0,15}$/.test(text)) throw new UsageError(`${name}: expected a whole number > 0`);
  return BigInt(text);
}

/**
 * The watcher's options from the flags: `--watch-interval SEC` (ms out), and the bump policy of
 * `verdict dlc watch` (`--bump-after` needs `--bump-fee-rate`; `--bump-max-sat` defaults to 0,
 * offer only).
 * @throws UsageError
 */
export function watcherOptionsOf(values: {
  'watch-interval'?: string | undefined;
  'bump-after'?: string | undefined;
  'bump-fee-rate'?: string | undefined;
  'bump-max-sat'?: string | undefined;
}): { watchIntervalMs?: number; bumpPolicy?: BumpPolicy } {
  const out: { watchIntervalMs?: number; bumpPolicy?: BumpPolicy } = {};
  const interval = values['watch-interval'];
  if (interval !== undefined) {
    const sec = Number(interval);
    if (!/^\d+(\.\d+)?$/.test(interval) || !(sec >= 0.1) || sec > 86_400)
      throw new UsageError('--watch-interval must be a number of seconds, 0.1 to 86400');
    out.watchIntervalMs = Math.round(sec * 1000);
  }
  if (values['bump-after'] === undefined) {
    if (values['bump-fee-rate'] !== undefined || values['bump-max-sat'] !== undefined)
      throw new UsageError('--bump-fee-rate and --bump-max-sat need --bump-after BLOCKS');
    return out;
  }
  if (values['bump-fee-rate'] === undefined)
    throw new UsageError('--bump-after needs --bump-fee-rate N');
  out.bumpPolicy = {
    afterBlocks: Number(wholeArg(values['bump-after'], '--bump-after')),
    feeRateSatPerVb: wholeArg(values['bump-fee-rate'], '--bump-fee-rate'),
    maxAutoFeeSat:
      values['bump-max-sat'] === undefined
        ? 0n
        : wholeArg(values['bump-max-sat'], '--bump-max-sat'),
  };
  return out;
}

const envSchema = z.object({
  VERDICT_PARTY_DIR: z.string().min(1).optional(),
  VERDICT_PARTY: z.string().min(1).optional(),
  VERDICT_HOME: z.string().min(1).optional(),
  VERDICT_BITCOIN_RPC: z.url().optional(),
  VERDICT_BITCOIN_RPC_COOKIE: z.string().min(1).optional(),
  VERDICT_ORACLE_URL: z.url().optional(),
});

export async function run(
  argv: readonly string[],
  io: CliIo = defaultIo,
  env = process.env,
  until: Promise<unknown> = new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  }),
): Promise<number> {
  try {
    const { values } = parseFlags(argv, APP_FLAGS);
    if (values.help === true) {
      io.out(APP_USAGE);
      return 0;
    }
    const watcher = watcherOptionsOf(values);
    const e = envSchema.parse(env);
    const rpc = values.rpc ?? e.VERDICT_BITCOIN_RPC;
    if (rpc === undefined) throw new UsageError('--rpc or VERDICT_BITCOIN_RPC is required');
    const port = Number(values.port ?? '0');
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError('--port must be 0..65535');
    const cookieFile = values['rpc-cookie'] ?? e.VERDICT_BITCOIN_RPC_COOKIE;
    const chain = new BitcoinRpcClient({
      url: rpc,
      ...(cookieFile === undefined ? {} : { cookieFile }),
    });
    const label = new URL(chain.url);
    const app = await startPartyApp({
      dataDir: resolvePartyDir({ dir: values['data-dir'], party: values.party, env: e }).dir,
      chain,
      nodeLabel: `${label.host}`,
      oracleUrl: values.oracle ?? e.VERDICT_ORACLE_URL,
      port,
      ...watcher,
      ...(values.host === undefined ? {} : { host: values.host }),
    });
    if (values.host !== undefined && !['127.0.0.1', 'localhost'].includes(values.host))
      io.err(
        `warning: the app listens on ${values.host}: anyone who can reach it and gets the link can use your wallet`,
      );
    io.out(`Open this link in your browser (once; it carries a one-time secret):`);
    io.out(app.url);
    await until;
    await app.close();
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof z.ZodError) {
      io.err(`verdict app: ${err.message}\n\n${APP_USAGE}`);
      return 2;
    }
    throw err;
  }
}
