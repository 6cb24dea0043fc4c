/**
 * Verdict's DLC library (`verdict`): the pure parts, `verdict/crypto` and `verdict/dlc`, in one
 * import. The parts with I/O have their own entries: `verdict/chain` (Bitcoin Core JSON-RPC,
 * devnet), `verdict/party` (a party's wallet, store and protocol driver), `verdict/native`.
 * The calls are described in docs/library.md.
 */
export * from './crypto/index.ts';
export * from './dlc/index.ts';
