/**
 * Bitcoin Core JSON-RPC client (Core 25 or later; regtest, signet, mainnet) using only
 * non-wallet calls. Also the only way Verdict talks to devnet.
 *
 * Responses are parsed losslessly: Core prints amounts as JSON numbers in BTC
 * (`0.00001000`), which `JSON.parse` would turn into floats; here every non-integer number keeps
 * its text and is converted to satoshis exactly.
 */
import { readFile } from 'node:fs/promises';
import { hex } from '@scure/base';
import { Transaction } from '@scure/btc-signer';
import { LosslessNumber, parse as parseLossless } from 'lossless-json';
import { z } from 'zod';
import { jsonBtcToSats } from './amount.ts';
import type {
  PackageSubmitResult,
  BlockchainInfo,
  BlockInfo,
  ChainBackend,
  MempoolAcceptResult,
  MempoolEntry,
  ScannedUtxo,
  TransactionInfo,
  TxOutInfo,
} from './chain-backend.ts';
import {
  RPC_IN_WARMUP,
  RPC_INVALID_ADDRESS_OR_KEY,
  RPC_VERIFY_ALREADY_IN_CHAIN,
  RPC_VERIFY_ERROR,
  RPC_VERIFY_REJECTED,
  RpcAuthError,
  RpcError,
  FeeEstimateError,
  RpcProtocolError,
  RpcRejectedError,
  RpcTransportError,
} from './errors.ts';

export interface BitcoinRpcClientOptions {
  /** e.g. `http://127.0.0.1:18443` or `http://user:pass@127.0.0.1:18443`. */
  url: string;
  username?: string;
  password?: string;
  /** Path to Core's `.cookie` file (`__cookie__:<password>`); re-read when the node says 401. */
  cookieFile?: string;
  /** Per-attempt timeout. Default 30 000 ms. */
  timeoutMs?: number;
  /** Extra attempts after a transient failure. Default 3. */
  retries?: number;
  /** First back-off delay, doubled per attempt. Default 200 ms. */
  retryDelayMs?: number;
}

/**
 * Methods that change state on the node: after a failure that may have reached the node
 * (timeout, reset connection, 5xx) they are not repeated, only when the connection was refused
 * outright. `sendrawtransaction` is safe to repeat (same txid), so it is not listed.
 */
const NOT_IDEMPOTENT = new Set(['generatetoaddress', 'devnet_faucet']);

/** Socket errors raised before the request could reach the node. */
const NOT_DELIVERED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

type Json = unknown;

/**
 * The highest fee rate accepted from `estimatesmartfee`: 10 000 sat/vB, i.e. Bitcoin Core's
 * default `-maxfeerate` (0.10 BTC/kvB), above which Core itself refuses to broadcast.
 */
export const MAX_FEE_RATE_SAT_PER_VB = 10_000n;

const jsonNumber = z.union([z.number(), z.instanceof(LosslessNumber)]);
const int = z.number().int();
/** A BTC amount, exact whatever JSON number form the node wrote (`0.00000050`, `5e-7`, …). */
const sats = jsonNumber.transform((n, ctx) => {
  try {
    return jsonBtcToSats(n.toString());
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : String(e) });
    return z.NEVER;
  }
});
const hex32 = z.string().regex(/^[0-9a-f]{64}$/);
const hexBytes = z
  .string()
  .regex(/^([0-9a-fA-F]{2})*$/)
  .transform((s) => hex.decode(s.toLowerCase()));

const rpcEnvelope = z.object({
  result: z.unknown().optional(),
  error: z.object({ code: int, message: z.string() }).nullable().optional(),
});

const blockchainInfoSchema = z.object({
  chain: z.string(),
  blocks: int,
  headers: int,
  bestblockhash: hex32,
  mediantime: int,
  initialblockdownload: z.boolean(),
});

const blockInfoSchema = z.object({
  hash: hex32,
  height: int,
  confirmations: int,
  time: int,
  mediantime: int,
  previousblockhash: hex32.optional(),
  tx: z.array(hex32),
});

const txOutSchema = z
  .object({
    confirmations: int,
    value: sats,
    scriptPubKey: z.object({ hex: hexBytes }),
    coinbase: z.boolean(),
  })
  .nullable();

const verboseTxSchema = z.object({
  txid: hex32,
  hash: hex32,
  hex: hexBytes,
  confirmations: int.optional(),
  blockhash: hex32.optional(),
  blocktime: int.optional(),
});

const mempoolEntrySchema = z.object({
  vsize: int,
  weight: int,
  time: int,
  height: int,
  fees: z.object({ base: sats }),
  depends: z.array(hex32),
});

const testAcceptSchema = z
  .array(
    z.object({
      txid: hex32,
      allowed: z.boolean().optional(),
      vsize: int.optional(),
      fees: z.object({ base: sats }).optional(),
      'reject-reason': z.string().optional(),
    }),
  )
  .length(1);

const scanSchema = z.object({
  success: z.boolean(),
  unspents: z.array(
    z.object({
      txid: hex32,
      vout: int,
      scriptPubKey: hexBytes,
      amount: sats,
      coinbase: z.boolean().optional(),
      height: int,
    }),
  ),
});

const feeEstimateSchema = z.object({ feerate: jsonNumber.optional() });
const submitPackageSchema = z.object({
  package_msg: z.string(),
  'tx-results': z.record(
    z.string(),
    z.object({
      txid: hex32,
      error: z.string().optional(),
      fees: z.object({ base: sats, 'effective-feerate': sats.optional() }).optional(),
    }),
  ),
});

export class BitcoinRpcClient implements ChainBackend {
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly cookieFile: string | undefined;
  private authHeader: string | undefined;
  private nextId = 1;

  constructor(options: BitcoinRpcClientOptions) {
    const url = new URL(options.url);
    const username = options.username ?? decodeURIComponent(url.username);
    const password = options.password ?? decodeURIComponent(url.password);
    url.username = '';
    url.password = '';
    this.url = url.toString();
    this.cookieFile = options.cookieFile;
    if (username !== '' || password !== '') this.authHeader = basicAuth(username, password);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 200;
    for (const [name, v] of [
      ['timeoutMs', this.timeoutMs],
      ['retries', this.retries],
      ['retryDelayMs', this.retryDelayMs],
    ] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name}: expected an integer ≥ 0`);
    }
  }

  /**
   * One JSON-RPC call with positional params. Transient failures are retried with back-off;
   * node errors throw RpcRejectedError (-25/-26/-27) or RpcError, and are never retried.
   */
  async call(method: string, params: readonly Json[] = []): Promise<unknown> {
    let lastError: Error | undefined;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) await sleep(this.retryDelayMs * 2 ** (attempt - 1));
      const outcome = await this.attempt(method, params, attempt === 0);
      if (outcome.kind === 'ok') return outcome.result;
      lastError = outcome.error;
      if (outcome.kind === 'fatal') throw outcome.error;
      // A refused cookie is re-read once; if no attempt is left, the refusal itself is the answer.
      if (outcome.error instanceof RpcAuthError && attempt === this.retries) throw outcome.error;
      if (!outcome.notDelivered && NOT_IDEMPOTENT.has(method)) break;
    }
    throw new RpcTransportError(
      `${method}: node unreachable or failing at ${this.url}: ${lastError?.message ?? 'unknown'}`,
      { cause: lastError },
    );
  }

  private async attempt(
    method: string,
    params: readonly Json[],
    firstAttempt: boolean,
  ): Promise<
    | { kind: 'ok'; result: unknown }
    | { kind: 'fatal'; error: Error }
    | { kind: 'transient'; error: Error; notDelivered: boolean }
  > {
    const id = this.nextId++;
    const body = JSON.stringify({ jsonrpc: '1.0', id, method, params });
    let auth: string | undefined;
    try {
      auth = await this.authorization(!firstAttempt);
    } catch (error) {
      return { kind: 'fatal', error: asError(error) };
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    let status: number;
    let text: string;
    try {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (auth !== undefined) headers.authorization = auth;
      const res = await fetch(this.url, {
        method: 'POST',
        headers,
        body,
        signal: controller.signal,
      });
      status = res.status;
      text = await res.text();
    } catch (error) {
      const err = asError(error);
      if (controller.signal.aborted) {
        return {
          kind: 'transient',
          error: new Error(`timed out after ${this.timeoutMs} ms`, { cause: err }),
          notDelivered: false,
        };
      }
      const code = socketErrorCode(err);
      return {
        kind: 'transient',
        error: new Error(code ?? err.message, { cause: err }),
        notDelivered: code !== undefined && NOT_DELIVERED.has(code),
      };
    } finally {
      clearTimeout(timer);
    }

    if (status === 401 || status === 403) {
      if (this.cookieFile !== undefined && firstAttempt) {
        // Core writes a new cookie at every start: read it again and retry once.
        return {
          kind: 'transient',
          error: new RpcAuthError(`${method}: HTTP ${status}`),
          notDelivered: true,
        };
      }
      return {
        kind: 'fatal',
        error: new RpcAuthError(
          `${method}: the node at ${this.url} rejected the RPC credentials (HTTP ${status})`,
        ),
      };
    }

    let envelope: z.infer<typeof rpcEnvelope> | undefined;
    try {
      envelope = rpcEnvelope.parse(parseLossless(text, null, parseRpcNumber));
    } catch {
      envelope = undefined;
    }
    if (envelope === undefined) {
      // Core answers "Work queue depth exceeded" with a plain-text 503; proxies send HTML 502s.
      const error = new Error(`HTTP ${status}: ${text.slice(0, 200)}`);
      if (status >= 500) return { kind: 'transient', error, notDelivered: status === 503 };
      return {
        kind: 'fatal',
        error: new RpcProtocolError(`${method}: not a JSON-RPC reply (HTTP ${status})`, {
          cause: error,
        }),
      };
    }
    if (envelope.error !== null && envelope.error !== undefined) {
      const { code, message } = envelope.error;
      if (code === RPC_IN_WARMUP) {
        return {
          kind: 'transient',
          error: new RpcError(method, code, message),
          notDelivered: true,
        };
      }
      const rejected =
        code === RPC_VERIFY_ERROR ||
        code === RPC_VERIFY_REJECTED ||
        code === RPC_VERIFY_ALREADY_IN_CHAIN;
      return {
        kind: 'fatal',
        error: rejected
          ? new RpcRejectedError(method, code, message)
          : new RpcError(method, code, message),
      };
    }
    if (status !== 200) {
      return {
        kind: 'fatal',
        error: new RpcProtocolError(`${method}: HTTP ${status} without a JSON-RPC error`),
      };
    }
    return { kind: 'ok', result: envelope.result ?? null };
  }

  private async authorization(reloadCookie: boolean): Promise<string | undefined> {
    if (this.cookieFile !== undefined && (this.authHeader === undefined || reloadCookie)) {
      let cookie: string;
      try {
        cookie = (await readFile(this.cookieFile, 'utf8')).trim();
      } catch (error) {
        throw new RpcAuthError(`cannot read the RPC cookie file ${this.cookieFile}`, {
          cause: error,
        });
      }
      const colon = cookie.indexOf(':');
      if (colon < 1) throw new RpcAuthError(`malformed RPC cookie file ${this.cookieFile}`);
      this.authHeader = basicAuth(cookie.slice(0, colon), cookie.slice(colon + 1));
    }
    return this.authHeader;
  }

  private async typed<S extends z.ZodType>(
    schema: S,
    method: string,
    params: readonly Json[] = [],
  ): Promise<z.infer<S>> {
    const result = await this.call(method, params);
    const parsed = schema.safeParse(result);
    if (!parsed.success) {
      throw new RpcProtocolError(`${method}: unexpected result shape: ${parsed.error.message}`);
    }
    return parsed.data;
  }

  async getBlockchainInfo(): Promise<BlockchainInfo> {
    const r = await this.typed(blockchainInfoSchema, 'getblockchaininfo');
    return {
      chain: r.chain,
      blocks: r.blocks,
      headers: r.headers,
      bestBlockHash: r.bestblockhash,
      medianTimeSec: r.mediantime,
      initialBlockDownload: r.initialblockdownload,
    };
  }

  getBlockCount(): Promise<number> {
    return this.typed(int, 'getblockcount');
  }

  getBlockHash(height: number): Promise<string> {
    assertIndex(height, 'height');
    return this.typed(hex32, 'getblockhash', [height]);
  }

  getBlock(hash: string): Promise<Uint8Array> {
    return this.typed(hexBytes, 'getblock', [checkHash(hash, 'hash'), 0]);
  }

  async getBlockInfo(hash: string): Promise<BlockInfo> {
    const r = await this.typed(blockInfoSchema, 'getblock', [checkHash(hash, 'hash'), 1]);
    return {
      hash: r.hash,
      height: r.height,
      confirmations: r.confirmations,
      timeSec: r.time,
      medianTimeSec: r.mediantime,
      previousBlockHash: r.previousblockhash ?? null,
      txids: r.tx,
    };
  }

  getRawTransaction(txid: string, blockHash?: string): Promise<Uint8Array> {
    const params: Json[] = [checkHash(txid, 'txid'), false];
    if (blockHash !== undefined) params.push(checkHash(blockHash, 'blockHash'));
    return this.typed(hexBytes, 'getrawtransaction', params);
  }

  /**
   * getrawtransaction verbose. On Bitcoin Core, a confirmed transaction is only found with
   * `-txindex=1` or when `blockHash` is given; a mempool transaction always is. Devnet behaves
   * as with `-txindex=1`.
   */
  async getTransaction(txid: string, blockHash?: string): Promise<TransactionInfo | null> {
    const params: Json[] = [checkHash(txid, 'txid'), true];
    if (blockHash !== undefined) params.push(checkHash(blockHash, 'blockHash'));
    let r: z.infer<typeof verboseTxSchema>;
    try {
      r = await this.typed(verboseTxSchema, 'getrawtransaction', params);
    } catch (error) {
      if (error instanceof RpcError && error.rpcCode === RPC_INVALID_ADDRESS_OR_KEY) return null;
      throw error;
    }
    return {
      txid: r.txid,
      wtxid: r.hash,
      raw: r.hex,
      confirmations: r.confirmations ?? 0,
      blockHash: r.blockhash ?? null,
      blockTimeSec: r.blocktime ?? null,
    };
  }

  /** See getTransaction for Core's `-txindex` requirement. */
  async getTransactionConfirmations(txid: string): Promise<number | null> {
    const tx = await this.getTransaction(txid);
    return tx === null ? null : tx.confirmations;
  }

  async getTxOut(txid: string, vout: number, includeMempool = true): Promise<TxOutInfo | null> {
    assertIndex(vout, 'vout');
    const r = await this.typed(txOutSchema, 'gettxout', [
      checkHash(txid, 'txid'),
      vout,
      includeMempool,
    ]);
    if (r === null) return null;
    return {
      valueSat: r.value,
      scriptPubKey: r.scriptPubKey.hex,
      confirmations: r.confirmations,
      coinbase: r.coinbase,
    };
  }

  async scanUtxos(scriptPubKeys: readonly Uint8Array[]): Promise<ScannedUtxo[]> {
    if (scriptPubKeys.length === 0) return [];
    const descriptors = scriptPubKeys.map((s) => `raw(${hex.encode(s)})`);
    const r = await this.typed(scanSchema, 'scantxoutset', ['start', descriptors]);
    if (!r.success) throw new RpcProtocolError('scantxoutset: scan did not complete');
    return r.unspents.map((u) => ({
      txid: u.txid,
      vout: u.vout,
      valueSat: u.amount,
      scriptPubKey: u.scriptPubKey,
      height: u.height,
      // Core 25 and later report `coinbase`; older nodes do not.
      coinbase: u.coinbase ?? false,
    }));
  }

  sendRawTransaction(tx: Uint8Array | string): Promise<string> {
    return this.typed(hex32, 'sendrawtransaction', [txHex(tx)]);
  }

  async testMempoolAccept(tx: Uint8Array | string): Promise<MempoolAcceptResult> {
    const [r] = await this.typed(testAcceptSchema, 'testmempoolaccept', [[txHex(tx)]]);
    if (r === undefined) throw new RpcProtocolError('testmempoolaccept: empty result');
    return {
      txid: r.txid,
      allowed: r.allowed === true,
      rejectReason: r['reject-reason'] ?? null,
      vsize: r.vsize ?? null,
      feeSat: r.fees?.base ?? null,
    };
  }

  /**
   * estimatesmartfee's BTC/kvB converted exactly to sat/vB, rounded up. A rate that is zero,
   * negative, not a number or above {@link MAX_FEE_RATE_SAT_PER_VB} is refused with
   * {@link FeeEstimateError}: a node (or something posing as one) cannot make a party pay an
   * absurd fee or build a transaction that never relays.
   */
  async estimateFeeRateSatPerVb(confTargetBlocks: number): Promise<bigint | null> {
    if (!Number.isInteger(confTargetBlocks) || confTargetBlocks < 1 || confTargetBlocks > 1008) {
      throw new RangeError('confTargetBlocks: expected an integer in 1..1008');
    }
    const r = await this.typed(feeEstimateSchema, 'estimatesmartfee', [confTargetBlocks]);
    if (r.feerate === undefined) return null;
    const text = r.feerate.toString();
    let satPerKvB: bigint;
    try {
      satPerKvB = jsonBtcToSats(text);
    } catch {
      throw new FeeEstimateError(text, 'not an amount in BTC/kvB');
    }
    if (satPerKvB <= 0n) throw new FeeEstimateError(text, 'not above zero');
    const satPerVb = (satPerKvB + 999n) / 1000n;
    if (satPerVb > MAX_FEE_RATE_SAT_PER_VB) {
      throw new FeeEstimateError(
        text,
        `above ${MAX_FEE_RATE_SAT_PER_VB} sat/vB, Core's own default -maxfeerate`,
      );
    }
    return satPerVb;
  }

  async getMempoolEntry(txid: string): Promise<MempoolEntry | null> {
    let r: z.infer<typeof mempoolEntrySchema>;
    try {
      r = await this.typed(mempoolEntrySchema, 'getmempoolentry', [checkHash(txid, 'txid')]);
    } catch (error) {
      if (error instanceof RpcError && error.rpcCode === RPC_INVALID_ADDRESS_OR_KEY) return null;
      throw error;
    }
    return {
      vsize: r.vsize,
      weight: r.weight,
      feeSat: r.fees.base,
      timeSec: r.time,
      height: r.height,
      depends: r.depends,
    };
  }

  /** Core 28+ `submitpackage`; results in the order of `txs` (matched by txid). */
  async submitPackage(txs: readonly (Uint8Array | string)[]): Promise<PackageSubmitResult> {
    const hexes = txs.map(txHex);
    const r = await this.typed(submitPackageSchema, 'submitpackage', [hexes]);
    const byTxid = new Map(
      Object.entries(r['tx-results']).map(([wtxid, t]) => [t.txid, { wtxid, ...t }]),
    );
    return {
      packageMsg: r.package_msg,
      transactions: hexes.map((h) => {
        const txid = txidOfHex(h);
        const t = byTxid.get(txid);
        return {
          txid,
          wtxid: t?.wtxid ?? '',
          error: t === undefined ? 'not in the answer' : (t.error ?? null),
          feeSat: t?.fees?.base ?? null,
          effectiveFeeRateSatPerKvb: t?.fees?.['effective-feerate'] ?? null,
        };
      }),
    };
  }

  generateToAddress(blocks: number, address: string): Promise<string[]> {
    if (!Number.isInteger(blocks) || blocks < 1) throw new RangeError('blocks: expected ≥ 1');
    return this.typed(z.array(hex32), 'generatetoaddress', [blocks, address]);
  }
}

/** Integers that fit a double stay numbers; anything else keeps its exact text. */
function parseRpcNumber(text: string): number | LosslessNumber {
  if (/^-?\d+$/.test(text)) {
    const n = Number(text);
    if (Number.isSafeInteger(n)) return n;
  }
  return new LosslessNumber(text);
}

function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** Txid (display order) of a raw transaction in hex. */
function txidOfHex(raw: string): string {
  return Transaction.fromRaw(hex.decode(raw), {
    allowUnknownOutputs: true,
    allowUnknownInputs: true,
    disableScriptCheck: true,
  }).id;
}

function txHex(tx: Uint8Array | string): string {
  if (typeof tx === 'string') {
    if (!/^([0-9a-fA-F]{2})+$/.test(tx)) throw new TypeError('tx: expected hex');
    return tx.toLowerCase();
  }
  return hex.encode(tx);
}

function checkHash(value: string, name: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(value)) throw new TypeError(`${name}: expected 32-byte hex`);
  return value.toLowerCase();
}

function assertIndex(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0)
    throw new RangeError(`${name}: expected an integer ≥ 0`);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** undici reports socket failures as `TypeError('fetch failed', { cause: { code } })`. */
function socketErrorCode(error: Error): string | undefined {
  let cause: unknown = error.cause;
  for (let depth = 0; depth < 4 && cause !== undefined && cause !== null; depth++) {
    if (typeof cause === 'object' && 'code' in cause && typeof cause.code === 'string') {
      return cause.code;
    }
    cause = typeof cause === 'object' && 'cause' in cause ? cause.cause : undefined;
  }
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
