/**
 * Devnet's JSON-RPC server: Bitcoin Core's non-wallet RPC subset over HTTP on loopback, with
 * Core's authentication (cookie file or user/password), error codes and HTTP statuses
 * (legacy JSON-RPC 1.0 style: errors with HTTP 500, unknown methods 404).
 *
 * Methods: getblockchaininfo, getblockcount, getblockhash, getblock (0/1), getrawtransaction
 * (0/1, acts as with -txindex=1), gettxout, sendrawtransaction, testmempoolaccept,
 * estimatesmartfee (always 1 sat/vB), getmempoolentry, getrawmempool, scantxoutset (`raw()` and
 * `addr()` descriptors), generatetoaddress, setmocktime (regtest: fixes the clock; 0 resets), and
 * the non-Core `devnet_faucet(address, amountSat, confirm = true)` →
 * `{ txid, vout, blockhash }`, which pays from devnet's own key (mining to it first if needed).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { hex } from '@scure/base';
import { LosslessNumber, stringify } from 'lossless-json';
import { z } from 'zod';
import { satsToBtc } from '../amount.ts';
import { BitcoinRpcClient } from '../bitcoin-rpc-client.ts';
import { RPC_INVALID_ADDRESS_OR_KEY, RPC_VERIFY_ERROR } from '../errors.ts';
import type { Block } from './block.ts';
import { DecodeError } from './bytes.ts';
import { DevnetChain, PackageRejectedError } from './devnet-chain.ts';
import { classifyOutput } from './policy.ts';
import { addressToScript, InvalidAddressError, scriptToAddress } from './regtest.ts';
import type { ParsedTx } from './tx-codec.ts';
import { decodeTx, isCoinbase } from './tx-codec.ts';
import { TxRejectedError } from './validation.ts';

const RPC_MISC_ERROR = -1;
const RPC_TYPE_ERROR = -3;
const RPC_INVALID_PARAMETER = -8;
const RPC_DESERIALIZATION_ERROR = -22;
const RPC_METHOD_NOT_FOUND = -32601;
const RPC_INVALID_REQUEST = -32600;
const RPC_PARSE_ERROR = -32700;
/** Core's default `maxfeerate` for sendrawtransaction: 0.10 BTC/kvB. */
const DEFAULT_MAX_FEE_RATE_SAT_PER_KVB = 10_000_000n;

class RpcFailure extends Error {
  constructor(
    readonly rpcCode: number,
    message: string,
  ) {
    super(message);
  }
}

const amount = (sats: bigint): LosslessNumber => new LosslessNumber(satsToBtc(sats));

export interface DevnetOptions {
  /** Chain file and `.cookie` live here; omitted: memory only. */
  dataDir?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Mine a block to the faucet every N seconds. */
  autoMineSec?: number;
  /** Accept these credentials besides the cookie. */
  rpcUser?: string;
  rpcPassword?: string;
  /** Clock, epoch seconds (block times, mempool entry times). */
  nowSec?: () => number;
  /** Core `-blockmaxweight` (default 4 000 000). */
  blockMaxWeight?: number;
}

export interface Devnet {
  /** `http://127.0.0.1:<port>/`, without credentials. */
  url: string;
  /** A client authenticated with the cookie. */
  rpc: BitcoinRpcClient;
  /** `<dataDir>/.cookie`, when there is a data dir. */
  cookieFile: string | undefined;
  /** `__cookie__:<hex>` credentials of this run. */
  cookie: { username: string; password: string };
  chain: DevnetChain;
  /** Set when auto-mining failed (e.g. the chain file could not be written) and stopped. */
  autoMineError: Error | null;
  stop(): Promise<void>;
}

/** Starts devnet on 127.0.0.1. Proof of work is regtest's (trivial target), ground honestly. */
export async function startDevnet(options: DevnetOptions = {}): Promise<Devnet> {
  if (options.autoMineSec !== undefined && !(options.autoMineSec > 0)) {
    throw new RangeError('autoMineSec: expected > 0');
  }
  // One clock for block times and the RPCs, which `setmocktime` can fix as on Core's regtest.
  const nowSec = devnetClock(options.nowSec ?? (() => Math.floor(Date.now() / 1000)));
  const chainOptions: { dataDir?: string; nowSec: () => number; blockMaxWeight?: number } = {
    nowSec,
  };
  if (options.blockMaxWeight !== undefined) chainOptions.blockMaxWeight = options.blockMaxWeight;
  if (options.dataDir !== undefined) chainOptions.dataDir = options.dataDir;
  const chain = DevnetChain.open(chainOptions);
  const cookie = { username: '__cookie__', password: randomBytes(32).toString('hex') };
  let cookieFile: string | undefined;
  if (options.dataDir !== undefined) {
    cookieFile = join(options.dataDir, '.cookie');
    writeFileSync(cookieFile, `${cookie.username}:${cookie.password}`, { mode: 0o600 });
  }
  const accepted: string[] = [basic(cookie.username, cookie.password)];
  if (options.rpcUser !== undefined && options.rpcPassword !== undefined) {
    accepted.push(basic(options.rpcUser, options.rpcPassword));
  }
  const server = createServer((req, res) => {
    handleHttp(req, res, chain, accepted, nowSec);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/`;

  let timer: NodeJS.Timeout | undefined;
  if (options.autoMineSec !== undefined) {
    timer = setInterval(() => {
      try {
        chain.mineBlock(chain.faucetScript);
        chain.persist();
      } catch (error) {
        // Stop mining rather than crash the process; the failure stays visible on the handle.
        clearInterval(timer);
        devnet.autoMineError = error instanceof Error ? error : new Error(String(error));
      }
    }, options.autoMineSec * 1000);
    timer.unref();
  }

  const devnet: Devnet = {
    url,
    rpc: new BitcoinRpcClient({ url, username: cookie.username, password: cookie.password }),
    cookieFile,
    cookie,
    chain,
    autoMineError: null,
    stop: () => stopServer(server, timer),
  };
  return devnet;
}

function stopServer(server: Server, timer: NodeJS.Timeout | undefined): Promise<void> {
  if (timer !== undefined) clearInterval(timer);
  return new Promise((resolve, reject) => {
    server.close((error) => (error === undefined ? resolve() : reject(error)));
    server.closeAllConnections();
  });
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

function authorized(header: string | undefined, accepted: readonly string[]): boolean {
  if (header === undefined) return false;
  const given = Buffer.from(header);
  return accepted.some((a) => {
    const expected = Buffer.from(a);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

function handleHttp(
  req: IncomingMessage,
  res: ServerResponse,
  chain: DevnetChain,
  accepted: readonly string[],
  nowSec: DevnetClock,
): void {
  if (!authorized(req.headers.authorization, accepted)) {
    // Core: 401 with an empty body and a WWW-Authenticate challenge.
    res.writeHead(401, { 'www-authenticate': 'Basic realm="jsonrpc"' }).end();
    req.resume();
    return;
  }
  if (req.method !== 'POST') {
    res.writeHead(405).end('JSONRPC server handles only POST requests');
    req.resume();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch {
      send(res, 500, reply(null, null, new RpcFailure(RPC_PARSE_ERROR, 'Parse error')));
      return;
    }
    if (Array.isArray(request)) {
      send(
        res,
        200,
        request.map((r) => execute(r, chain, nowSec).body),
      );
      return;
    }
    const { status, body } = execute(request, chain, nowSec);
    send(res, status, body);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { 'content-type': 'application/json' })
    .end(`${stringify(body) ?? 'null'}\n`);
}

function reply(id: unknown, result: unknown, error: RpcFailure | null): unknown {
  return {
    result: error === null ? result : null,
    error: error === null ? null : { code: error.rpcCode, message: error.message },
    id: id ?? null,
  };
}

const requestSchema = z.object({
  id: z.unknown().optional(),
  method: z.string(),
  params: z.array(z.unknown()).optional(),
});

function execute(
  raw: unknown,
  chain: DevnetChain,
  nowSec: DevnetClock,
): { status: number; body: unknown } {
  const parsed = requestSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      status: 400,
      body: reply(null, null, new RpcFailure(RPC_INVALID_REQUEST, 'Invalid Request object')),
    };
  }
  const { id, method, params = [] } = parsed.data;
  const handler = HANDLERS[method];
  if (handler === undefined) {
    return {
      status: 404,
      body: reply(id, null, new RpcFailure(RPC_METHOD_NOT_FOUND, 'Method not found')),
    };
  }
  try {
    return { status: 200, body: reply(id, handler(params, chain, nowSec), null) };
  } catch (error) {
    return { status: 500, body: reply(id, null, toRpcFailure(error)) };
  }
}

function toRpcFailure(error: unknown): RpcFailure {
  if (error instanceof RpcFailure) return error;
  if (error instanceof TxRejectedError) return new RpcFailure(error.rpcCode, error.message);
  if (error instanceof PackageRejectedError)
    return new RpcFailure(RPC_INVALID_PARAMETER, error.message);
  if (error instanceof InvalidAddressError)
    return new RpcFailure(RPC_INVALID_ADDRESS_OR_KEY, 'Error: Invalid address');
  if (error instanceof z.ZodError) {
    return new RpcFailure(
      RPC_TYPE_ERROR,
      `Invalid parameters: ${error.issues.map((i) => i.message).join('; ')}`,
    );
  }
  return new RpcFailure(RPC_MISC_ERROR, error instanceof Error ? error.message : String(error));
}

type Handler = (params: unknown[], chain: DevnetChain, nowSec: DevnetClock) => unknown;

/** Devnet's clock (epoch seconds), unless `setmocktime` fixed it, as on Core's regtest. */
interface DevnetClock {
  (): number;
  /** Core `setmocktime`: 0 goes back to the underlying clock. */
  setMock(t: number): void;
}

function devnetClock(base: () => number): DevnetClock {
  let mock = 0;
  const clock = (() => (mock > 0 ? mock : base())) as DevnetClock;
  clock.setMock = (t) => {
    mock = t;
  };
  return clock;
}

const hash32 = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex characters')
  .transform((s) => s.toLowerCase());
const rawHex = z.string().regex(/^([0-9a-fA-F]{2})*$/, 'expected hex');
const verbosity = z
  .union([z.boolean(), z.number().int()])
  .optional()
  .transform((v) => (v === true ? 1 : v === false || v === undefined ? 0 : v));

function args<T extends z.ZodTuple>(schema: T, params: unknown[]): z.infer<T> {
  return schema.parse(params);
}

function parseTx(hexText: string): ParsedTx {
  try {
    return decodeTx(hex.decode(hexText.toLowerCase()));
  } catch (error) {
    if (error instanceof DecodeError || error instanceof Error) {
      throw new RpcFailure(
        RPC_DESERIALIZATION_ERROR,
        'TX decode failed. Make sure the tx has at least one input.',
      );
    }
    throw error;
  }
}

function blockByHash(chain: DevnetChain, hash: string): { block: Block; height: number } {
  const height = chain.heightOf(hash);
  const block = height === undefined ? undefined : chain.blockAt(height);
  if (height === undefined || block === undefined)
    throw new RpcFailure(RPC_INVALID_ADDRESS_OR_KEY, 'Block not found');
  return { block, height };
}

function scriptJson(script: Uint8Array): Record<string, unknown> {
  const address = scriptToAddress(script);
  return {
    hex: hex.encode(script),
    ...(address === undefined ? {} : { address }),
    type: classifyOutput(script),
  };
}

function txJson(tx: ParsedTx): Record<string, unknown> {
  const coinbase = isCoinbase(tx);
  return {
    txid: tx.txid,
    hash: tx.wtxid,
    version: tx.version,
    size: tx.raw.length,
    vsize: tx.vsize,
    weight: tx.weight,
    locktime: tx.lockTime,
    vin: tx.inputs.map((i) => {
      const witness =
        i.witness.length > 0 ? { txinwitness: i.witness.map((w) => hex.encode(w)) } : {};
      return coinbase
        ? { coinbase: hex.encode(i.scriptSig), ...witness, sequence: i.sequence }
        : {
            txid: hex.encode(Uint8Array.from(i.prevTxid).reverse()),
            vout: i.prevVout,
            scriptSig: { hex: hex.encode(i.scriptSig) },
            ...witness,
            sequence: i.sequence,
          };
    }),
    vout: tx.outputs.map((o, n) => ({
      value: amount(o.valueSat),
      n,
      scriptPubKey: scriptJson(o.scriptPubKey),
    })),
    hex: hex.encode(tx.raw),
  };
}

function blockJson(chain: DevnetChain, block: Block, height: number): Record<string, unknown> {
  const next = chain.blockAt(height + 1);
  return {
    hash: block.hash,
    confirmations: chain.height - height + 1,
    height,
    version: block.header.version,
    merkleroot: block.header.merkleRoot,
    time: block.header.timeSec,
    mediantime: chain.medianTimePast(height),
    nonce: block.header.nonce,
    bits: block.header.bits.toString(16).padStart(8, '0'),
    nTx: block.txs.length,
    ...(height > 0 ? { previousblockhash: block.header.prevHash } : {}),
    ...(next === undefined ? {} : { nextblockhash: next.hash }),
    size: block.raw.length,
    weight: block.txs.reduce((w, t) => w + t.weight, 80 * 4 + 4),
    tx: block.txs.map((t) => t.txid),
  };
}

/** Core's `maxfeerate` argument (BTC/kvB) in sat/kvB; 0 disables the check. */
function maxFeeRate(value: unknown): bigint {
  if (value === undefined || value === null) return DEFAULT_MAX_FEE_RATE_SAT_PER_KVB;
  if (typeof value !== 'number' && typeof value !== 'string')
    throw new RpcFailure(RPC_TYPE_ERROR, 'maxfeerate: expected a number');
  const text = typeof value === 'number' ? value.toFixed(8) : value;
  const [whole = '0', frac = ''] = text.split('.');
  return BigInt(whole) * 100_000_000n + BigInt(frac.padEnd(8, '0').slice(0, 8));
}

const HANDLERS: Record<string, Handler> = {
  getblockchaininfo: (_p, chain) => ({
    chain: 'regtest',
    blocks: chain.height,
    headers: chain.height,
    bestblockhash: chain.tip.hash,
    difficulty: 4.656542373906925e-10,
    time: chain.tip.header.timeSec,
    mediantime: chain.medianTimePast(),
    verificationprogress: 1,
    initialblockdownload: false,
    chainwork: (chain.height + 1).toString(16).padStart(64, '0'),
    pruned: false,
    warnings: '',
  }),

  getblockcount: (_p, chain) => chain.height,

  getblockhash: (params, chain) => {
    const [height] = args(z.tuple([z.number().int()]), params);
    const block = chain.blockAt(height);
    if (height < 0 || block === undefined)
      throw new RpcFailure(RPC_INVALID_PARAMETER, 'Block height out of range');
    return block.hash;
  },

  getblock: (params, chain) => {
    const [hash, level] = args(z.tuple([hash32, verbosity]), params);
    const { block, height } = blockByHash(chain, hash);
    if (level === 0) return hex.encode(block.raw);
    if (level === 1) return blockJson(chain, block, height);
    return { ...blockJson(chain, block, height), tx: block.txs.map(txJson) };
  },

  getrawtransaction: (params, chain) => {
    const [txid, level, blockHash] = args(z.tuple([hash32, verbosity, hash32.optional()]), params);
    const found = chain.findTransaction(txid);
    if (found === undefined || (blockHash !== undefined && found.block?.hash !== blockHash)) {
      throw new RpcFailure(
        RPC_INVALID_ADDRESS_OR_KEY,
        blockHash === undefined
          ? 'No such mempool or blockchain transaction'
          : 'No such transaction found in the provided block',
      );
    }
    if (level === 0) return hex.encode(found.tx.raw);
    const json = txJson(found.tx);
    if (found.block !== null && found.height !== null) {
      Object.assign(json, {
        blockhash: found.block.hash,
        confirmations: chain.height - found.height + 1,
        time: found.block.header.timeSec,
        blocktime: found.block.header.timeSec,
      });
    }
    return json;
  },

  gettxout: (params, chain) => {
    const [txid, n, includeMempool] = args(
      z.tuple([hash32, z.number().int().min(0), z.boolean().optional()]),
      params,
    );
    const coin = chain.getTxOut(txid, n, includeMempool ?? true);
    if (coin === undefined) return null;
    const inMempool = coin.height > chain.height;
    return {
      bestblock: chain.tip.hash,
      confirmations: inMempool ? 0 : chain.height - coin.height + 1,
      value: amount(coin.output.valueSat),
      scriptPubKey: scriptJson(coin.output.scriptPubKey),
      coinbase: coin.coinbase,
    };
  },

  sendrawtransaction: (params, chain) => {
    const [txHex, maxFee] = args(z.tuple([rawHex, z.unknown().optional()]), params);
    const tx = parseTx(txHex);
    const limit = maxFeeRate(maxFee);
    // Core BroadcastTransaction: confirmed → -27; already in the mempool → its txid.
    if (chain.hasUnspentOutputs(tx)) throw DevnetChain.alreadyInChain();
    if (chain.mempoolEntry(tx.txid) !== undefined) return tx.txid;
    const check = chain.acceptToMempool(tx, true);
    if (limit !== 0n && check.feeSat * 1000n > limit * BigInt(check.vsize)) {
      throw new TxRejectedError(
        RPC_VERIFY_ERROR,
        'Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)',
      );
    }
    chain.acceptToMempool(tx);
    chain.persist();
    return tx.txid;
  },

  testmempoolaccept: (params, chain) => {
    const [rawtxs] = args(z.tuple([z.array(rawHex).length(1), z.unknown().optional()]), params);
    const tx = parseTx(rawtxs[0]!);
    try {
      const r = chain.acceptToMempool(tx, true);
      return [
        {
          txid: tx.txid,
          wtxid: tx.wtxid,
          allowed: true,
          vsize: r.vsize,
          fees: { base: amount(r.feeSat) },
        },
      ];
    } catch (error) {
      if (!(error instanceof TxRejectedError)) throw error;
      // Core reports missing inputs as "missing-inputs" here.
      const reason =
        error.reason === 'bad-txns-inputs-missingorspent' ? 'missing-inputs' : error.reason;
      return [{ txid: tx.txid, wtxid: tx.wtxid, allowed: false, 'reject-reason': reason }];
    }
  },

  // Core 28+ `submitpackage`: the answer's shape as Core prints it.
  submitpackage: (params, chain) => {
    const [rawtxs] = args(
      z.tuple([z.array(rawHex).min(1), z.unknown().optional(), z.unknown().optional()]),
      params,
    );
    const txs = rawtxs.map(parseTx);
    const { results, message } = chain.acceptPackage(txs);
    if (message === 'success') chain.persist();
    const txResults: Record<string, unknown> = {};
    for (const r of results) {
      txResults[r.wtxid] =
        r.error === null
          ? {
              txid: r.txid,
              vsize: r.vsize,
              fees: {
                base: amount(r.feeSat),
                'effective-feerate': amount(r.effectiveFeeRateSatPerKvb),
                'effective-includes': r.effectiveIncludes,
              },
            }
          : { txid: r.txid, error: r.error };
    }
    return { package_msg: message, 'tx-results': txResults, 'replaced-transactions': [] };
  },

  getmempoolinfo: (_p, chain) => ({
    loaded: true,
    size: chain.mempoolTxids().length,
    mempoolminfee: amount(chain.mempoolMinFeeSatPerKvb),
    minrelaytxfee: amount(1000n),
    incrementalrelayfee: amount(1000n),
    fullrbf: true,
  }),

  /** Devnet only: sets the mempool's minimum fee rate (sat/kvB), standing for a full mempool. */
  devnet_setmempoolminfee: (params, chain) => {
    const [satPerKvb] = args(z.tuple([z.number().int().min(1000)]), params);
    chain.mempoolMinFeeSatPerKvb = BigInt(satPerKvb);
    return null;
  },

  estimatesmartfee: (params) => {
    const [blocks] = args(
      z.tuple([z.number().int().min(1).max(1008), z.string().optional()]),
      params,
    );
    return { feerate: amount(1000n), blocks: Math.max(blocks, 2) };
  },

  getmempoolentry: (params, chain) => {
    const [txid] = args(z.tuple([hash32]), params);
    const e = chain.mempoolEntry(txid);
    if (e === undefined)
      throw new RpcFailure(RPC_INVALID_ADDRESS_OR_KEY, 'Transaction not in mempool');
    const pooled = new Set(chain.mempoolTxids());
    const depends = [
      ...new Set(e.tx.inputs.map((i) => hex.encode(Uint8Array.from(i.prevTxid).reverse()))),
    ].filter((t) => pooled.has(t));
    return {
      vsize: e.tx.vsize,
      weight: e.tx.weight,
      time: e.timeSec,
      height: e.height,
      wtxid: e.tx.wtxid,
      fees: { base: amount(e.feeSat), modified: amount(e.feeSat) },
      depends,
      // Core 28 reports BIP125 signalling (the mempool replaces non-signalling ones too).
      'bip125-replaceable': e.tx.inputs.some((i) => i.sequence < 0xfffffffe),
      unbroadcast: false,
    };
  },

  getrawmempool: (_p, chain) => chain.mempoolTxids(),

  scantxoutset: (params, chain) => {
    const descriptor = z.union([
      z.string(),
      z.object({ desc: z.string() }).transform((o) => o.desc),
    ]);
    const [action, descriptors] = args(
      z.tuple([z.string(), z.array(descriptor).optional()]),
      params,
    );
    if (action === 'abort' || action === 'status') return action === 'abort' ? false : null;
    if (action !== 'start' || descriptors === undefined) {
      throw new RpcFailure(RPC_INVALID_PARAMETER, 'Invalid action');
    }
    // devnet understands the `raw(<hex>)` and `addr(<address>)` descriptors, without checksums.
    const scripts = new Set(
      descriptors.map((d) => {
        const m = /^(raw|addr)\(([^)]*)\)(#[0-9a-z]{8})?$/.exec(d);
        if (m === null)
          throw new RpcFailure(RPC_INVALID_ADDRESS_OR_KEY, `devnet: unsupported descriptor ${d}`);
        if (m[1] === 'addr') return hex.encode(addressToScript(m[2]!));
        if (!/^([0-9a-fA-F]{2})+$/.test(m[2]!))
          throw new RpcFailure(RPC_INVALID_ADDRESS_OR_KEY, 'raw(): expected hex');
        return m[2]!.toLowerCase();
      }),
    );
    const unspents = chain.scanUtxos(scripts).map(({ txid, vout, coin }) => ({
      txid,
      vout,
      scriptPubKey: hex.encode(coin.output.scriptPubKey),
      desc: `raw(${hex.encode(coin.output.scriptPubKey)})`,
      amount: amount(coin.output.valueSat),
      coinbase: coin.coinbase,
      height: coin.height,
    }));
    return {
      success: true,
      txouts: unspents.length,
      height: chain.height,
      bestblock: chain.tip.hash,
      unspents,
      total_amount: amount(
        chain.scanUtxos(scripts).reduce((sum, u) => sum + u.coin.output.valueSat, 0n),
      ),
    };
  },

  setmocktime: (params, _chain, nowSec) => {
    const [t] = args(z.tuple([z.number().int().min(0).max(0xffff_ffff)]), params);
    nowSec.setMock(t);
    return null;
  },

  generatetoaddress: (params, chain) => {
    const [n, address] = args(
      z.tuple([z.number().int().min(0).max(10_000), z.string(), z.number().optional()]),
      params,
    );
    const script = addressToScript(address);
    const hashes: string[] = [];
    for (let i = 0; i < n; i++) hashes.push(chain.mineBlock(script).hash);
    chain.persist();
    return hashes;
  },

  devnet_faucet: (params, chain) => {
    const [address, amountSat, confirm] = args(
      z.tuple([
        z.string(),
        z.union([z.number().int().positive(), z.string().regex(/^[1-9]\d*$/)]),
        z.boolean().optional(),
      ]),
      params,
    );
    const r = chain.faucet(addressToScript(address), BigInt(amountSat), confirm ?? true);
    chain.persist();
    return { txid: r.txid, vout: r.vout, blockhash: r.blockHash };
  },
};
