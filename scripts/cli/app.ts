/**
 * `verdict app`: the parties' app, served by this process on loopback (party-app/). Runs until
 * interrupted. Exit codes: 0 stopped, 2 usage error.
 */
import { z } from 'zod';
import { BitcoinRpcClient } from '../../src/chain/bitcoin-rpc-client.ts';
import { resolvePartyDir } from '../../src/party/party-dir.ts';
import { startPartyApp } from '../../party-app/server.ts';
import { defaultIo, parseFlags, UsageError, type CliIo } from './common.ts';

export const APP_USAGE = `usage: verdict app [--party NAME | --data-dir DIR] [--port N] [--host ADDR] [--rpc URL]
                  [--rpc-cookie FILE] [--oracle URL]

Serves your contracts and wallet as a web app on this machine only (127.0.0.1) and prints its
address with a one-time secret: open it in your browser. Your keys stay in this process.

options: --party NAME (default VERDICT_PARTY, else "default": ~/.verdict/parties/NAME, the same data
  dir as "verdict dlc"), --data-dir DIR (or VERDICT_PARTY_DIR),
  --port N (default 0: any free port), --host ADDR (default 127.0.0.1; another address exposes
  the app to that network), --rpc URL / --rpc-cookie FILE (default VERDICT_BITCOIN_RPC /
  VERDICT_BITCOIN_RPC_COOKIE), --oracle URL (default VERDICT_ORACLE_URL)`;

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
    const { values } = parseFlags(argv, {
      help: { type: 'boolean', short: 'h' },
      'data-dir': { type: 'string' },
      party: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      rpc: { type: 'string' },
      'rpc-cookie': { type: 'string' },
      oracle: { type: 'string' },
    });
    if (values.help === true) {
      io.out(APP_USAGE);
      return 0;
    }
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
