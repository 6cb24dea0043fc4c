/**
 * `verdict/party`: one party's side of a milestone DLC with I/O: its data dir, BIP84 wallet,
 * the protocol state machine over an oracle and a relay, the oracle client, the watcher lock.
 * Node only (files, network).
 */
export * from './milestone-terms.ts';
export * from './oracle-client.ts';
export * from './party.ts';
export * from './store.ts';
export * from './wallet.ts';
export * from './watch-lock.ts';
