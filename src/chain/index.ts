export * from './amount.ts';
export * from './chain-backend.ts';
export * from './errors.ts';
export { BitcoinRpcClient, MAX_FEE_RATE_SAT_PER_VB } from './bitcoin-rpc-client.ts';
export type { BitcoinRpcClientOptions } from './bitcoin-rpc-client.ts';
export * from './regtest-funder.ts';
