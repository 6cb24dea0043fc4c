export * from './amount.ts';
export * from './chain-backend.ts';
export * from './errors.ts';
export { BitcoinRpcClient } from './bitcoin-rpc-client.ts';
export type { BitcoinRpcClientOptions } from './bitcoin-rpc-client.ts';
