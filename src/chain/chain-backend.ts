/**
 * What Verdict needs from a Bitcoin chain. One implementation, `BitcoinRpcClient`, speaks
 * Bitcoin Core's JSON-RPC; devnet serves the same RPC subset, so there is one code path.
 * Amounts are bigint satoshis, bytes are Uint8Array, txids and block hashes are hex in
 * display (RPC) byte order.
 */

export interface BlockchainInfo {
  /** 'main' | 'test' | 'testnet4' | 'signet' | 'regtest' */
  chain: string;
  blocks: number;
  headers: number;
  bestBlockHash: string;
  /** BIP113 median time past of the tip, epoch seconds. */
  medianTimeSec: number;
  initialBlockDownload: boolean;
}

export interface BlockInfo {
  hash: string;
  height: number;
  /** 1 for the tip, -1 if the block is not on the active chain. */
  confirmations: number;
  timeSec: number;
  medianTimeSec: number;
  previousBlockHash: string | null;
  txids: string[];
}

export interface TxOutInfo {
  valueSat: bigint;
  scriptPubKey: Uint8Array;
  /** 0 for an output of a mempool transaction. */
  confirmations: number;
  coinbase: boolean;
}

export interface TransactionInfo {
  txid: string;
  wtxid: string;
  raw: Uint8Array;
  /** 0 while in the mempool. */
  confirmations: number;
  blockHash: string | null;
  blockTimeSec: number | null;
}

export interface MempoolEntry {
  vsize: number;
  weight: number;
  feeSat: bigint;
  /** Time the transaction entered the mempool, epoch seconds. */
  timeSec: number;
  /** Chain height when it entered the mempool. */
  height: number;
  /** Unconfirmed parents' txids. */
  depends: string[];
}

export interface MempoolAcceptResult {
  txid: string;
  allowed: boolean;
  /** Core's `reject-reason` when not allowed (no debug detail). */
  rejectReason: string | null;
  vsize: number | null;
  feeSat: bigint | null;
}

/** Core 28+ `submitpackage`'s answer, per transaction in the order given. */
export interface PackageSubmitResult {
  /** "success", or Core's reason the package (or one of its transactions) failed. */
  packageMsg: string;
  transactions: {
    txid: string;
    wtxid: string;
    /** Reject reason when this transaction was refused. */
    error: string | null;
    feeSat: bigint | null;
    /** The package fee rate it was accepted at (sat/kvB), when Core reports one. */
    effectiveFeeRateSatPerKvb: bigint | null;
  }[];
}

/** An unspent output found by scanning the UTXO set (confirmed outputs only). */
export interface ScannedUtxo {
  txid: string;
  vout: number;
  valueSat: bigint;
  scriptPubKey: Uint8Array;
  /** Height of the block that created it. */
  height: number;
  coinbase: boolean;
}

export interface ChainBackend {
  getBlockchainInfo(): Promise<BlockchainInfo>;
  getBlockCount(): Promise<number>;
  getBlockHash(height: number): Promise<string>;
  getBlock(hash: string): Promise<Uint8Array>;
  getBlockInfo(hash: string): Promise<BlockInfo>;
  /** Throws RpcError (-5) if the node does not know the transaction. */
  getRawTransaction(txid: string, blockHash?: string): Promise<Uint8Array>;
  /** null if the node does not know the transaction. */
  getTransaction(txid: string, blockHash?: string): Promise<TransactionInfo | null>;
  /** 0 in the mempool, null if unknown. Needs `-txindex` on Core for confirmed transactions. */
  getTransactionConfirmations(txid: string): Promise<number | null>;
  /** null if the output does not exist or is spent (by the mempool too, when includeMempool). */
  getTxOut(txid: string, vout: number, includeMempool?: boolean): Promise<TxOutInfo | null>;
  /**
   * Confirmed unspent outputs paying any of these scriptPubKeys (Core `scantxoutset start` with
   * `raw(<hex>)` descriptors: no wallet needed, but a scan of the whole UTXO set, so seconds on
   * mainnet). Mempool spends are not subtracted: check candidates with getTxOut.
   */
  scanUtxos(scriptPubKeys: readonly Uint8Array[]): Promise<ScannedUtxo[]>;
  /** Returns the txid; a refusal throws RpcRejectedError with Core's code and reason. */
  sendRawTransaction(tx: Uint8Array | string): Promise<string>;
  testMempoolAccept(tx: Uint8Array | string): Promise<MempoolAcceptResult>;
  /** null when the node has no estimate yet. Rounded up to whole sat/vB. */
  estimateFeeRateSatPerVb(confTargetBlocks: number): Promise<bigint | null>;
  /** null if the transaction is not in the mempool. */
  getMempoolEntry(txid: string): Promise<MempoolEntry | null>;
  /**
   * Core 28+ `submitpackage` (a child and its unconfirmed parents, child last). A node without it
   * answers RPC_METHOD_NOT_FOUND (-32601), thrown as RpcError.
   */
  submitPackage(txs: readonly (Uint8Array | string)[]): Promise<PackageSubmitResult>;
  /** regtest only. Returns the new block hashes. */
  generateToAddress(blocks: number, address: string): Promise<string[]>;
}
