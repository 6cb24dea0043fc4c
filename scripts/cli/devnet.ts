/**
 * `verdict devnet faucet|mine|info`: conveniences for the embedded devnet chain that `npm start`
 * runs (DESIGN.md "Chain access"). They speak its JSON-RPC over loopback like any other client.
 */
import { join, resolve } from 'node:path';
import { BitcoinRpcClient, RpcError } from 'verdict/chain';
import { devnetFaucet } from '../../src/chain/devnet/index.ts';
import { defaultIo, parseFlags, UsageError, type CliIo } from './common.ts';

export const usage = `usage: verdict devnet <command> [options]

commands:
  faucet <address> <amount-sat>   send coins to a regtest address and mine them (devnet only)
  mine [N] [--address ADDR]       mine N blocks (default 1)
  info                            chain, height, best block

options:
  --rpc URL           the devnet's RPC (default http://127.0.0.1:\${VERDICT_DEVNET_PORT:-18443}/)
  --rpc-cookie FILE   its cookie (default <VERDICT_DATA_DIR or ./data>/devnet/.cookie)
  --json              print JSON
  -h, --help          this text

exit status: 0 success, 1 refused by the chain, 2 usage or transport error`;

const BURN_ADDRESS = 'bcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq3xueyj';

const flags = {
  rpc: { type: 'string' },
  'rpc-cookie': { type: 'string' },
  address: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function clientFrom(values: { rpc?: string | undefined; 'rpc-cookie'?: string | undefined }) {
  const port = process.env['VERDICT_DEVNET_PORT'] ?? '18443';
  const dataDir = resolve(process.env['VERDICT_DATA_DIR'] ?? './data');
  return new BitcoinRpcClient({
    url: values.rpc ?? `http://127.0.0.1:${port}/`,
    cookieFile: values['rpc-cookie'] ?? join(dataDir, 'devnet', '.cookie'),
    retries: 0,
  });
}

/** Runs `verdict devnet ...`; resolves to the exit code. */
export async function run(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  try {
    const { values, positionals } = parseFlags(argv, flags);
    const [command, ...args] = positionals;
    if (values.help === true || command === undefined) {
      io.out(usage);
      return command === undefined && values.help !== true ? 2 : 0;
    }
    const rpc = clientFrom(values);
    const print = (json: unknown, text: string) =>
      io.out(values.json === true ? JSON.stringify(json) : text);
    switch (command) {
      case 'faucet': {
        const [address, amount] = args;
        if (address === undefined || amount === undefined || !/^[1-9]\d{0,15}$/.test(amount)) {
          throw new UsageError('faucet takes <address> <amount-sat> (a positive integer)');
        }
        const r = await devnetFaucet(rpc, address, BigInt(amount), true);
        print(
          { txid: r.txid, vout: r.vout, blockHash: r.blockHash },
          `sent ${amount} sat to ${address}: ${r.txid}:${r.vout}`,
        );
        return 0;
      }
      case 'mine': {
        const n = args[0] === undefined ? 1 : Number(args[0]);
        if (!Number.isSafeInteger(n) || n < 1 || n > 1000) {
          throw new UsageError('mine takes a block count from 1 to 1000');
        }
        // Without --address the coinbase goes to the P2WSH of 32 zero bytes: valid, owned by nobody.
        const address = values.address ?? BURN_ADDRESS;
        const hashes = await rpc.generateToAddress(n, address);
        print({ blocks: hashes }, `mined ${hashes.length} block(s); tip ${hashes.at(-1) ?? ''}`);
        return 0;
      }
      case 'info': {
        const info = await rpc.getBlockchainInfo();
        print(info, `${info.chain}: height ${info.blocks}, best ${info.bestBlockHash}`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`verdict devnet: ${e.message}\n\n${usage}`);
      return 2;
    }
    io.err(`verdict devnet: ${e instanceof Error ? e.message : String(e)}`);
    // The chain said no (a bad address, a rejected transaction): 1. Unreachable or garbled: 2.
    return e instanceof RpcError ? 1 : 2;
  }
}
