/** devnet: an in-process regtest chain behind Bitcoin Core's JSON-RPC. */
import { z } from 'zod';
import type { BitcoinRpcClient } from '../bitcoin-rpc-client.ts';

export { startDevnet } from './rpc-server.ts';
export type { Devnet, DevnetOptions } from './rpc-server.ts';
export { DevnetStateError } from './devnet-chain.ts';
export { REGTEST_NETWORK } from './regtest.ts';

const faucetResult = z.object({
  txid: z.string().regex(/^[0-9a-f]{64}$/),
  vout: z.number().int(),
  blockhash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
});

/**
 * devnet's non-Core `devnet_faucet`: pays `amountSat` to `address` from devnet's own key and,
 * unless `confirm` is false, mines it into a block. Output `vout` of `txid` is the payment.
 */
export async function devnetFaucet(
  rpc: BitcoinRpcClient,
  address: string,
  amountSat: bigint,
  confirm = true,
): Promise<{ txid: string; vout: number; blockHash: string | null }> {
  if (amountSat <= 0n) throw new RangeError('amountSat: expected > 0');
  const r = faucetResult.parse(
    await rpc.call('devnet_faucet', [address, amountSat.toString(), confirm]),
  );
  return { txid: r.txid, vout: r.vout, blockHash: r.blockhash };
}
