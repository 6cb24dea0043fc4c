/**
 * Devnet's chain state: blocks, UTXO set, mempool, mining, faucet and persistence. All methods
 * are synchronous, so one JSON-RPC call never interleaves with another.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hex } from '@scure/base';
import { z } from 'zod';
import { RPC_VERIFY_ALREADY_IN_CHAIN, RPC_VERIFY_ERROR } from '../errors.ts';
import { bytesEqual, concatBytes, fromDisplayHex, hash160 } from './bytes.ts';
import type { Block } from './block.ts';
import {
  assembleBlock,
  coinbaseTx,
  decodeBlock,
  grindNonce,
  merkleRoot,
  meetsTarget,
  regtestGenesis,
  witnessCommitmentScript,
} from './block.ts';
import { dustThresholdSat, MIN_RELAY_FEE_SAT_PER_KVB, minRelayFeeSat } from './policy.ts';
import { blockSubsidySat, COINBASE_MATURITY, REGTEST_BITS } from './regtest.ts';
import { MANDATORY_FLAGS, STANDARD_FLAGS } from './script-interpreter.ts';
import { SIGHASH_ALL, sighashWitnessV0 } from './sighash.ts';
import type { ParsedTx, Tx } from './tx-codec.ts';
import { decodeTx, describeTx, isCoinbase } from './tx-codec.ts';
import type { Coin } from './validation.ts';
import {
  checkInputScripts,
  checkInputsStandard,
  checkStandard,
  checkTransaction,
  checkTxInputs,
  isFinalTx,
  missingInputs,
  reject,
  sequenceLocksSatisfied,
  TxRejectedError,
} from './validation.ts';

const MAX_BLOCK_WEIGHT = 4_000_000;
/** Core `MAX_PACKAGE_COUNT` and `MAX_PACKAGE_WEIGHT`. */
const MAX_PACKAGE_COUNT = 25;
const MAX_PACKAGE_WEIGHT = 404_000;
/** Core `MAX_REPLACEMENT_CANDIDATES` (BIP125 rule 5). */
const MAX_REPLACEMENT_CANDIDATES = 100;
const STATE_FILE = 'devnet-chain.json';
const STATE_FORMAT = 'verdict-devnet-1';

export interface MempoolTx {
  tx: ParsedTx;
  feeSat: bigint;
  timeSec: number;
  height: number;
}

export interface TxLocation {
  tx: ParsedTx;
  /** null for a mempool transaction. */
  block: Block | null;
  height: number | null;
}

export interface AcceptResult {
  txid: string;
  wtxid: string;
  feeSat: bigint;
  vsize: number;
}

/** `submitpackage` refused the package as a whole (Core answers RPC_INVALID_PARAMETER, -8). */
export class PackageRejectedError extends Error {
  readonly code = 'devnet_package_rejected';
  constructor(message: string) {
    super(message);
    this.name = 'PackageRejectedError';
  }
}

/** The chain file could not be loaded, or a block in it failed validation. */
export class DevnetStateError extends Error {
  readonly code = 'devnet_state';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DevnetStateError';
  }
}

const stateSchema = z.object({
  format: z.literal(STATE_FORMAT),
  faucetKey: z.string().regex(/^[0-9a-f]{64}$/),
  blocks: z.array(z.string().regex(/^[0-9a-f]+$/)),
  mempool: z.array(z.string().regex(/^[0-9a-f]+$/)),
});

const outpoint = (txid: string, vout: number): string => `${txid}:${vout}`;

export interface DevnetChainOptions {
  /** Directory for the chain file; omitted: memory only. */
  dataDir?: string;
  /** Clock, epoch seconds. */
  nowSec?: () => number;
  /** Core `-blockmaxweight`: the most weight the miner puts in a block (default 4 000 000). */
  blockMaxWeight?: number;
}

/** One transaction's answer inside `submitpackage`. */
export interface PackageTxResult {
  txid: string;
  wtxid: string;
  vsize: number;
  feeSat: bigint;
  /** Reject reason (with Core's debug part) when this transaction was refused. */
  error: string | null;
  /** Whether it entered the mempool at the package fee rate (with `effectiveIncludes`). */
  effectiveFeeRateSatPerKvb: bigint;
  effectiveIncludes: string[];
}

export class DevnetChain {
  private readonly blocks: Block[] = [];
  private readonly blockHeights = new Map<string, number>();
  private readonly txIndex = new Map<string, { height: number; index: number }>();
  private readonly utxos = new Map<string, Coin>();
  private readonly mempool = new Map<string, MempoolTx>();
  /** outpoint → txid of the mempool transaction spending it. */
  private readonly mempoolSpends = new Map<string, string>();
  private readonly nowSec: () => number;
  private readonly statePath: string | undefined;
  private faucetKey: Uint8Array;
  readonly faucetScript: Uint8Array;
  private readonly blockMaxWeight: number;
  /**
   * Core's `mempoolminfee` (sat/kvB): the minimum relay fee until the mempool is full, then the
   * rate of what was evicted. Devnet has no size limit, so a test raises it by hand
   * (`devnet_setmempoolminfee`) to stand for a full mempool.
   */
  mempoolMinFeeSatPerKvb = MIN_RELAY_FEE_SAT_PER_KVB;

  private constructor(options: DevnetChainOptions, faucetKey: Uint8Array) {
    this.nowSec = options.nowSec ?? (() => Math.floor(Date.now() / 1000));
    this.statePath = options.dataDir === undefined ? undefined : join(options.dataDir, STATE_FILE);
    this.blockMaxWeight = options.blockMaxWeight ?? MAX_BLOCK_WEIGHT;
    this.faucetKey = faucetKey;
    this.faucetScript = concatBytes(
      Uint8Array.of(0x00, 0x14),
      hash160(secp256k1.getPublicKey(faucetKey, true)),
    );
  }

  /**
   * Opens the chain in `dataDir` (re-validating every stored block and re-submitting the stored
   * mempool), or starts a fresh chain from the regtest genesis block.
   */
  static open(options: DevnetChainOptions = {}): DevnetChain {
    let stored: z.infer<typeof stateSchema> | undefined;
    if (options.dataDir !== undefined) {
      mkdirSync(options.dataDir, { recursive: true });
      let text: string | undefined;
      try {
        text = readFileSync(join(options.dataDir, STATE_FILE), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw new DevnetStateError('cannot read the devnet chain file', { cause: error });
        }
      }
      if (text !== undefined) {
        const parsed = stateSchema.safeParse(JSON.parse(text));
        if (!parsed.success)
          throw new DevnetStateError(`bad devnet chain file: ${parsed.error.message}`);
        stored = parsed.data;
      }
    }
    const key =
      stored === undefined ? secp256k1.utils.randomSecretKey() : hex.decode(stored.faucetKey);
    const chain = new DevnetChain(options, key);
    const genesis = regtestGenesis();
    chain.appendBlock(genesis, []);
    if (stored !== undefined) {
      const [genesisHex, ...rest] = stored.blocks;
      if (genesisHex !== hex.encode(genesis.raw))
        throw new DevnetStateError('stored chain has another genesis');
      rest.forEach((blockHex, i) => {
        try {
          chain.connectBlock(decodeBlock(hex.decode(blockHex)));
        } catch (error) {
          throw new DevnetStateError(
            `stored block ${i + 1} is invalid: ${(error as Error).message}`,
            { cause: error },
          );
        }
      });
      for (const txHex of stored.mempool) {
        try {
          chain.acceptToMempool(decodeTx(hex.decode(txHex)));
        } catch {
          // A stored mempool transaction that no longer fits is dropped, as Core does on restart.
        }
      }
    }
    chain.persist();
    return chain;
  }

  get height(): number {
    return this.blocks.length - 1;
  }

  get tip(): Block {
    return this.blocks[this.blocks.length - 1]!;
  }

  blockAt(height: number): Block | undefined {
    return this.blocks[height];
  }

  heightOf(hash: string): number | undefined {
    return this.blockHeights.get(hash);
  }

  /** BIP113 median of the last 11 block times ending at `height`. */
  medianTimePast(height: number = this.height): number {
    const times: number[] = [];
    for (let h = Math.max(0, height - 10); h <= height; h++)
      times.push(this.blocks[h]!.header.timeSec);
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)]!;
  }

  findTransaction(txid: string): TxLocation | undefined {
    const pooled = this.mempool.get(txid);
    if (pooled !== undefined) return { tx: pooled.tx, block: null, height: null };
    const at = this.txIndex.get(txid);
    if (at === undefined) return undefined;
    const block = this.blocks[at.height]!;
    return { tx: block.txs[at.index]!, block, height: at.height };
  }

  mempoolEntry(txid: string): MempoolTx | undefined {
    return this.mempool.get(txid);
  }

  mempoolTxids(): string[] {
    return [...this.mempool.keys()];
  }

  /** An unspent output (chain, or mempool when includeMempool), as gettxout sees it. */
  getTxOut(txid: string, vout: number, includeMempool: boolean): Coin | undefined {
    const key = outpoint(txid, vout);
    if (includeMempool) {
      if (this.mempoolSpends.has(key)) return undefined;
      const pooled = this.mempool.get(txid);
      const output = pooled?.tx.outputs[vout];
      if (output !== undefined && output.scriptPubKey[0] !== 0x6a) {
        return { output, height: this.height + 1, coinbase: false };
      }
    }
    return this.utxos.get(key);
  }

  /** Core `scantxoutset`: confirmed unspent outputs paying one of `scripts` (hex). */
  scanUtxos(scripts: ReadonlySet<string>): { txid: string; vout: number; coin: Coin }[] {
    const found: { txid: string; vout: number; coin: Coin }[] = [];
    for (const [key, coin] of this.utxos) {
      if (!scripts.has(hex.encode(coin.output.scriptPubKey))) continue;
      const [txid, vout] = key.split(':') as [string, string];
      found.push({ txid, vout: Number(vout), coin });
    }
    return found;
  }

  /** Whether any output of `txid` is in the UTXO set (Core: "already in utxo set"). */
  hasUnspentOutputs(tx: ParsedTx): boolean {
    return tx.outputs.some((_, vout) => this.utxos.has(outpoint(tx.txid, vout)));
  }

  /**
   * Core `MemPoolAccept` for one transaction, in Core's order of checks. Throws TxRejectedError.
   * With `dryRun` nothing changes (testmempoolaccept).
   */
  acceptToMempool(
    tx: ParsedTx,
    dryRun = false,
    inPackage: { skipMempoolMinFee: boolean } | null = null,
  ): AcceptResult {
    checkTransaction(tx);
    if (isCoinbase(tx)) reject('coinbase');
    checkStandard(tx);
    const nextHeight = this.height + 1;
    const tipMtp = this.medianTimePast();
    if (!isFinalTx(tx, nextHeight, tipMtp)) reject('non-final');
    const pooled = this.mempool.get(tx.txid);
    if (pooled !== undefined) {
      reject(
        pooled.tx.wtxid === tx.wtxid
          ? 'txn-already-in-mempool'
          : 'txn-same-nonwitness-data-in-mempool',
      );
    }
    // Replacement (Core 28: full RBF, `-mempoolfullrbf=1`): the mempool transactions this one
    // conflicts with are checked against BIP125's rules below and evicted only if it passes.
    const conflicts = new Set<string>();
    for (const input of tx.inputs) {
      const spender = this.mempoolSpends.get(outpoint(hexTxid(input.prevTxid), input.prevVout));
      if (spender !== undefined) conflicts.add(spender);
    }
    const evicted = this.withDescendants(conflicts);
    const coins: Coin[] = [];
    for (const input of tx.inputs) {
      const prevTxid = hexTxid(input.prevTxid);
      // Spending an output of a transaction it would evict: Core "bad-txns-spends-conflicting-tx".
      if (evicted.has(prevTxid)) reject('bad-txns-spends-conflicting-tx');
      const key = outpoint(prevTxid, input.prevVout);
      const coin = conflicts.has(this.mempoolSpends.get(key) ?? '')
        ? this.coinIgnoringSpend(prevTxid, input.prevVout)
        : this.getTxOut(prevTxid, input.prevVout, true);
      if (coin === undefined) {
        if (this.hasUnspentOutputs(tx)) reject('txn-already-known');
        missingInputs();
      }
      coins.push(coin);
    }
    if (!sequenceLocksSatisfied(tx, coins, nextHeight, tipMtp, (h) => this.medianTimePast(h))) {
      reject('non-BIP68-final');
    }
    const feeSat = checkTxInputs(tx, coins, nextHeight);
    checkInputsStandard(tx, coins);
    const minFee = minRelayFeeSat(tx.vsize);
    if (feeSat < minFee) reject('min relay fee not met', `${feeSat} < ${minFee}`);
    // Core `CheckFeeRate`: the dynamic mempool minimum; a package member is held to it as a
    // package instead (submitpackage checks the package fee rate).
    const mempoolMin = (BigInt(tx.vsize) * this.mempoolMinFeeSatPerKvb) / 1000n;
    if (inPackage?.skipMempoolMinFee !== true && feeSat < mempoolMin) {
      reject('mempool min fee not met', `${feeSat} < ${mempoolMin}`);
    }
    if (conflicts.size > 0 && inPackage !== null) {
      // Package RBF (Core 28: only 1-parent-1-child with extra rules) is not offered here.
      reject('bad-txns-spends-conflicting-tx', 'replacement inside a package is not supported');
    }
    if (conflicts.size > 0) this.checkReplacement(tx, feeSat, coins, conflicts, evicted);
    checkInputScripts(tx, coins, STANDARD_FLAGS);
    if (!dryRun) {
      for (const txid of conflicts) this.removeFromMempool(txid, true);
      this.mempool.set(tx.txid, { tx, feeSat, timeSec: this.nowSec(), height: this.height });
      for (const input of tx.inputs) {
        this.mempoolSpends.set(outpoint(hexTxid(input.prevTxid), input.prevVout), tx.txid);
      }
    }
    return { txid: tx.txid, wtxid: tx.wtxid, feeSat, vsize: tx.vsize };
  }

  /** The transactions and every mempool descendant of them. */
  private withDescendants(txids: ReadonlySet<string>): Set<string> {
    const out = new Set<string>();
    const visit = (txid: string): void => {
      if (out.has(txid)) return;
      const entry = this.mempool.get(txid);
      if (entry === undefined) return;
      out.add(txid);
      entry.tx.outputs.forEach((_, vout) => {
        const child = this.mempoolSpends.get(outpoint(txid, vout));
        if (child !== undefined) visit(child);
      });
    };
    for (const t of txids) visit(t);
    return out;
  }

  /** An output as if its mempool spender were gone (the coin a replacement spends). */
  private coinIgnoringSpend(txid: string, vout: number): Coin | undefined {
    const pooled = this.mempool.get(txid);
    const output = pooled?.tx.outputs[vout];
    if (output !== undefined) return { output, height: this.height + 1, coinbase: false };
    return this.utxos.get(outpoint(txid, vout));
  }

  /**
   * Core's `ReplacementChecks` (BIP125 as Core 28 applies it, full RBF): at most 100 evicted
   * transactions (rule 5); no new unconfirmed inputs (rule 2); a higher fee rate than every
   * directly conflicting transaction (rule 6); at least the evicted fees (rule 3) plus the
   * incremental relay fee for its own size (rule 4).
   */
  private checkReplacement(
    tx: ParsedTx,
    feeSat: bigint,
    coins: readonly Coin[],
    conflicts: ReadonlySet<string>,
    evicted: ReadonlySet<string>,
  ): void {
    if (evicted.size > MAX_REPLACEMENT_CANDIDATES) {
      reject('too many potential replacements', `${evicted.size} > ${MAX_REPLACEMENT_CANDIDATES}`);
    }
    const conflictInputs = new Set<string>();
    for (const txid of conflicts) {
      for (const input of this.mempool.get(txid)!.tx.inputs) {
        conflictInputs.add(hexTxid(input.prevTxid));
      }
    }
    tx.inputs.forEach((input, i) => {
      const prevTxid = hexTxid(input.prevTxid);
      if (coins[i]!.height > this.height && !conflictInputs.has(prevTxid)) {
        reject('replacement-adds-unconfirmed', `replacement ${tx.txid} adds unconfirmed input`);
      }
    });
    for (const txid of conflicts) {
      const old = this.mempool.get(txid)!;
      // Rule 6, compared as fee·vsize cross products to stay in integers.
      if (feeSat * BigInt(old.tx.vsize) <= old.feeSat * BigInt(tx.vsize)) {
        reject('insufficient fee', `rejecting replacement ${tx.txid}; new feerate <= old feerate`);
      }
    }
    let evictedFees = 0n;
    for (const txid of evicted) evictedFees += this.mempool.get(txid)!.feeSat;
    if (feeSat < evictedFees) {
      reject(
        'insufficient fee',
        `rejecting replacement ${tx.txid}, less fees than conflicting txs`,
      );
    }
    const relay = minRelayFeeSat(tx.vsize); // incremental relay fee = min relay fee = 1 sat/vB
    if (feeSat - evictedFees < relay) {
      reject(
        'insufficient fee',
        `rejecting replacement ${tx.txid}, not enough additional fees to relay; ${feeSat - evictedFees} < ${relay}`,
      );
    }
  }

  /**
   * Core `submitpackage` (28+): a child and its unconfirmed parents, last the child. Each parent
   * is first tried alone; those refused only for the mempool minimum fee are then accepted with
   * the child if the package as a whole pays the minimum (child pays for parent). Every other
   * check applies to every transaction. All-or-nothing for the deferred part.
   */
  acceptPackage(txs: readonly ParsedTx[]): { results: PackageTxResult[]; message: string } {
    if (txs.length < 1 || txs.length > MAX_PACKAGE_COUNT) {
      throw new PackageRejectedError('package-too-many-transactions');
    }
    if (txs.reduce((w, t) => w + t.weight, 0) > MAX_PACKAGE_WEIGHT) {
      throw new PackageRejectedError('package-too-large');
    }
    const child = txs[txs.length - 1]!;
    const parents = txs.slice(0, -1);
    const childSpends = new Set(child.inputs.map((i) => hexTxid(i.prevTxid)));
    const parentIds = new Set(parents.map((p) => p.txid));
    // Core `IsChildWithParents` and "parents depend on each other".
    if (
      parentIds.size !== parents.length ||
      parents.some((p) => !childSpends.has(p.txid)) ||
      parents.some((p) => p.inputs.some((i) => parentIds.has(hexTxid(i.prevTxid))))
    ) {
      throw new PackageRejectedError(
        'package topology disallowed. not child-with-parents or parents depend on each other.',
      );
    }
    const results = new Map<string, PackageTxResult>();
    const resultOf = (tx: ParsedTx, r: AcceptResult | null, error: string | null) => ({
      txid: tx.txid,
      wtxid: tx.wtxid,
      vsize: r?.vsize ?? tx.vsize,
      feeSat: r?.feeSat ?? 0n,
      error,
      effectiveFeeRateSatPerKvb: r === null ? 0n : (r.feeSat * 1000n) / BigInt(r.vsize),
      effectiveIncludes: r === null ? [] : [tx.wtxid],
    });
    const deferred: ParsedTx[] = [];
    for (const parent of parents) {
      const pooled = this.mempool.get(parent.txid);
      if (pooled !== undefined) {
        results.set(parent.wtxid, resultOf(parent, this.resultOfPooled(pooled), null));
        continue;
      }
      try {
        results.set(parent.wtxid, resultOf(parent, this.acceptToMempool(parent), null));
      } catch (error) {
        if (!(error instanceof TxRejectedError)) throw error;
        if (error.reason !== 'mempool min fee not met') {
          results.set(parent.wtxid, resultOf(parent, null, error.message));
          return { results: [...results.values()], message: 'transaction failed' };
        }
        deferred.push(parent);
      }
    }
    const pooledChild = this.mempool.get(child.txid);
    if (pooledChild !== undefined && deferred.length === 0) {
      results.set(child.wtxid, resultOf(child, this.resultOfPooled(pooledChild), null));
      return { results: [...results.values()], message: 'success' };
    }
    if (deferred.length === 0) {
      // Every parent is in: the child is judged alone (and may replace, as any transaction).
      try {
        results.set(child.wtxid, resultOf(child, this.acceptToMempool(child), null));
        return { results: [...results.values()], message: 'success' };
      } catch (error) {
        if (!(error instanceof TxRejectedError)) throw error;
        results.set(child.wtxid, resultOf(child, null, error.message));
        return { results: [...results.values()], message: 'transaction failed' };
      }
    }
    // The rest is one unit: accepted with the mempool minimum waived, then judged by its package
    // fee rate, and taken out again if that falls short or any member is refused.
    const unit = [...deferred, child];
    const added: { tx: ParsedTx; r: AcceptResult }[] = [];
    const rollback = (): void => {
      for (const a of added.reverse()) this.removeFromMempool(a.tx.txid);
    };
    for (const tx of unit) {
      try {
        added.push({ tx, r: this.acceptToMempool(tx, false, { skipMempoolMinFee: true }) });
      } catch (error) {
        if (!(error instanceof TxRejectedError)) throw error;
        rollback();
        results.set(tx.wtxid, resultOf(tx, null, error.message));
        return { results: [...results.values()], message: 'transaction failed' };
      }
    }
    const fee = added.reduce((s, a) => s + a.r.feeSat, 0n);
    const vsize = added.reduce((s, a) => s + a.r.vsize, 0);
    const needed = (BigInt(vsize) * this.mempoolMinFeeSatPerKvb) / 1000n;
    if (fee < needed) {
      rollback();
      for (const tx of unit) {
        results.set(tx.wtxid, resultOf(tx, null, `mempool min fee not met, ${fee} < ${needed}`));
      }
      return { results: [...results.values()], message: 'transaction failed' };
    }
    const packageRate = (fee * 1000n) / BigInt(vsize);
    const includes = added.map((a) => a.tx.wtxid);
    for (const a of added) {
      results.set(a.tx.wtxid, {
        ...resultOf(a.tx, a.r, null),
        effectiveFeeRateSatPerKvb:
          added.length > 1 ? packageRate : resultOf(a.tx, a.r, null).effectiveFeeRateSatPerKvb,
        effectiveIncludes: added.length > 1 ? includes : [a.tx.wtxid],
      });
    }
    return { results: txs.map((t) => results.get(t.wtxid)!), message: 'success' };
  }

  private resultOfPooled(entry: MempoolTx): AcceptResult {
    return {
      txid: entry.tx.txid,
      wtxid: entry.tx.wtxid,
      feeSat: entry.feeSat,
      vsize: entry.tx.vsize,
    };
  }

  /**
   * The mempool's transactions in the order Core's `BlockAssembler` takes them: repeatedly the
   * transaction whose ancestor package (itself and its not yet selected unconfirmed ancestors) has
   * the highest fee rate, with those ancestors first, while the block has room.
   */
  private selectByAncestorFeeRate(maxWeight: number): MempoolTx[] {
    const selected: MempoolTx[] = [];
    const done = new Set<string>();
    const failed = new Set<string>();
    let weight = 0;
    const ancestors = (txid: string, into: Map<string, MempoolTx>): void => {
      if (done.has(txid) || into.has(txid)) return;
      const entry = this.mempool.get(txid);
      if (entry === undefined) return;
      for (const input of entry.tx.inputs) ancestors(hexTxid(input.prevTxid), into);
      into.set(txid, entry); // parents before children
    };
    for (;;) {
      let best: { pkg: MempoolTx[]; fee: bigint; vsize: bigint; weight: number } | null = null;
      for (const txid of this.mempool.keys()) {
        if (done.has(txid) || failed.has(txid)) continue;
        const into = new Map<string, MempoolTx>();
        ancestors(txid, into);
        const pkg = [...into.values()];
        const fee = pkg.reduce((s, e) => s + e.feeSat, 0n);
        const vsize = BigInt(pkg.reduce((s, e) => s + e.tx.vsize, 0));
        const w = pkg.reduce((s, e) => s + e.tx.weight, 0);
        // Higher fee/vsize first (cross-multiplied); ties: the older entry, as inserted.
        if (best === null || fee * best.vsize > best.fee * vsize)
          best = { pkg, fee, vsize, weight: w };
      }
      if (best === null) return selected;
      if (weight + best.weight > maxWeight) {
        // Does not fit: skip this package's last member (its ancestors may still fit alone).
        failed.add(best.pkg[best.pkg.length - 1]!.tx.txid);
        continue;
      }
      weight += best.weight;
      for (const e of best.pkg) {
        done.add(e.tx.txid);
        selected.push(e);
      }
    }
  }

  /** Mines one block on the tip with the mempool's transactions, by ancestor fee rate. */
  mineBlock(scriptPubKey: Uint8Array): Block {
    const height = this.height + 1;
    // 4000 weight for the header, coinbase and counts, generously (Core reserves 4000 too).
    const selected = this.selectByAncestorFeeRate(this.blockMaxWeight - 4000);
    const fees = selected.reduce((sum, e) => sum + e.feeSat, 0n);
    const coinbase = coinbaseTx(
      height,
      blockSubsidySat(height) + fees,
      scriptPubKey,
      selected.map((e) => e.tx.wtxid),
    );
    const txs = [coinbase, ...selected.map((e) => e.tx)];
    // Core's miner: max(median time past + 1, now).
    const timeSec = Math.max(this.medianTimePast() + 1, this.nowSec());
    const header = grindNonce({
      version: 0x20000000,
      prevHash: this.tip.hash,
      merkleRoot: merkleRoot(txs.map((t) => t.txid)),
      timeSec,
      bits: REGTEST_BITS,
    });
    const block = assembleBlock(header, txs);
    this.connectBlock(block);
    return block;
  }

  /** Core `ConnectBlock` for a block on the tip, with consensus (mandatory) script flags. */
  private connectBlock(block: Block): void {
    const height = this.height + 1;
    const h = block.header;
    if (h.prevHash !== this.tip.hash) throw new Error('prev-blk-not-found');
    if (h.bits !== REGTEST_BITS || !meetsTarget(block.hash, h.bits)) throw new Error('high-hash');
    const prevMtp = this.medianTimePast();
    if (h.timeSec <= prevMtp) throw new Error('time-too-old');
    if (merkleRoot(block.txs.map((t) => t.txid)) !== h.merkleRoot)
      throw new Error('bad-txnmrklroot');
    const [coinbase, ...rest] = block.txs;
    if (coinbase === undefined || !isCoinbase(coinbase)) throw new Error('bad-cb-missing');
    checkTransaction(coinbase);
    const expectedPrefix = coinbaseTxScriptPrefix(height);
    if (!startsWith(coinbase.inputs[0]!.scriptSig, expectedPrefix))
      throw new Error('bad-cb-height');
    const commitment = witnessCommitmentScript(rest.map((t) => t.wtxid));
    if (!coinbase.outputs.some((o) => bytesEqual(o.scriptPubKey, commitment))) {
      throw new Error('bad-witness-merkle-match');
    }

    // Validate against a scratch view so a bad block leaves the chain untouched.
    const created = new Map<string, Coin>();
    const spent = new Set<string>();
    const lookup = (key: string): Coin | undefined =>
      spent.has(key) ? undefined : (created.get(key) ?? this.utxos.get(key));
    let fees = 0n;
    for (const tx of rest) {
      if (isCoinbase(tx)) throw new Error('bad-cb-multiple');
      checkTransaction(tx);
      if (!isFinalTx(tx, height, prevMtp)) throw new Error('bad-txns-nonfinal');
      const coins = tx.inputs.map((input) => {
        const key = outpoint(hexTxid(input.prevTxid), input.prevVout);
        const coin = lookup(key);
        if (coin === undefined) throw new Error('bad-txns-inputs-missingorspent');
        // An output created earlier in this block and spent here never reaches the UTXO set.
        if (!created.delete(key)) spent.add(key);
        return coin;
      });
      if (!sequenceLocksSatisfied(tx, coins, height, prevMtp, (x) => this.medianTimePast(x))) {
        throw new Error('bad-txns-nonfinal');
      }
      fees += checkTxInputs(tx, coins, height);
      checkInputScripts(tx, coins, MANDATORY_FLAGS);
      addOutputs(created, tx, height, false);
    }
    const coinbaseOut = coinbase.outputs.reduce((sum, o) => sum + o.valueSat, 0n);
    if (coinbaseOut > blockSubsidySat(height) + fees) throw new Error('bad-cb-amount');
    addOutputs(created, coinbase, height, true);

    for (const key of spent) this.utxos.delete(key);
    this.appendBlock(block, [...created]);
    // Drop what the block confirmed and whatever now conflicts with it.
    for (const tx of rest) this.removeFromMempool(tx.txid);
    for (const key of spent) {
      const conflicting = this.mempoolSpends.get(key);
      if (conflicting !== undefined) this.removeFromMempool(conflicting, true);
    }
  }

  private appendBlock(block: Block, created: [string, Coin][]): void {
    const height = this.blocks.length;
    this.blocks.push(block);
    this.blockHeights.set(block.hash, height);
    block.txs.forEach((tx, index) => this.txIndex.set(tx.txid, { height, index }));
    for (const [key, coin] of created) this.utxos.set(key, coin);
  }

  private removeFromMempool(txid: string, withDescendants = false): void {
    const entry = this.mempool.get(txid);
    if (entry === undefined) return;
    this.mempool.delete(txid);
    for (const input of entry.tx.inputs) {
      const key = outpoint(hexTxid(input.prevTxid), input.prevVout);
      if (this.mempoolSpends.get(key) === txid) this.mempoolSpends.delete(key);
    }
    if (withDescendants) {
      entry.tx.outputs.forEach((_, vout) => {
        const child = this.mempoolSpends.get(outpoint(txid, vout));
        if (child !== undefined) this.removeFromMempool(child, true);
      });
    }
  }

  /**
   * Sends `amountSat` to `scriptPubKey` from devnet's own faucet key, mining blocks to the faucet
   * first when its mature coins do not cover it. The payment enters the mempool through the
   * ordinary checks; it is confirmed when `confirm` (one block mined to the faucet).
   */
  faucet(
    scriptPubKey: Uint8Array,
    amountSat: bigint,
    confirm: boolean,
  ): { txid: string; vout: number; blockHash: string | null } {
    if (amountSat < dustThresholdSat({ valueSat: amountSat, scriptPubKey })) reject('dust');
    const feeRateSatPerVb = 2n;
    for (let mined = 0; ; mined++) {
      const coins = this.faucetCoins();
      const total = coins.reduce((s, c) => s + c.coin.output.valueSat, 0n);
      const selected: typeof coins = [];
      let sum = 0n;
      for (const c of coins) {
        selected.push(c);
        sum += c.coin.output.valueSat;
        if (sum >= amountSat + faucetFee(selected.length, feeRateSatPerVb)) break;
      }
      const fee = faucetFee(selected.length, feeRateSatPerVb);
      if (selected.length > 0 && sum >= amountSat + fee) {
        const change = sum - amountSat - fee;
        const outputs = [{ valueSat: amountSat, scriptPubKey }];
        if (change >= 1000n) outputs.push({ valueSat: change, scriptPubKey: this.faucetScript });
        const tx = this.signFaucetTx(
          {
            version: 2,
            inputs: selected.map((c) => ({
              prevTxid: fromDisplayHex(c.txid),
              prevVout: c.vout,
              scriptSig: new Uint8Array(0),
              sequence: 0xfffffffd,
              witness: [],
            })),
            outputs,
            lockTime: 0,
          },
          selected.map((c) => c.coin.output.valueSat),
        );
        this.acceptToMempool(tx);
        const block = confirm ? this.mineBlock(this.faucetScript) : null;
        return { txid: tx.txid, vout: 0, blockHash: block?.hash ?? null };
      }
      if (mined > 5000 || (blockSubsidySat(this.height + 1) === 0n && total < amountSat)) {
        throw new TxRejectedError(RPC_VERIFY_ERROR, 'devnet faucet cannot cover the amount');
      }
      this.mineBlock(this.faucetScript);
    }
  }

  private faucetCoins(): { txid: string; vout: number; coin: Coin }[] {
    const out: { txid: string; vout: number; coin: Coin }[] = [];
    for (const [key, coin] of this.utxos) {
      if (!bytesEqual(coin.output.scriptPubKey, this.faucetScript)) continue;
      if (this.mempoolSpends.has(key)) continue;
      if (coin.coinbase && this.height + 1 - coin.height < COINBASE_MATURITY) continue;
      const [txid, vout] = key.split(':') as [string, string];
      out.push({ txid, vout: Number(vout), coin });
    }
    return out.sort((a, b) => (a.coin.output.valueSat > b.coin.output.valueSat ? -1 : 1));
  }

  private signFaucetTx(tx: Tx, amounts: bigint[]): ParsedTx {
    const pubkey = secp256k1.getPublicKey(this.faucetKey, true);
    const scriptCode = concatBytes(
      Uint8Array.of(0x76, 0xa9, 0x14),
      hash160(pubkey),
      Uint8Array.of(0x88, 0xac),
    );
    tx.inputs.forEach((input, i) => {
      const hash = sighashWitnessV0(tx, i, scriptCode, amounts[i]!, SIGHASH_ALL);
      const der = secp256k1.sign(hash, this.faucetKey, {
        prehash: false,
        lowS: true,
        format: 'der',
      });
      input.witness = [concatBytes(der, Uint8Array.of(SIGHASH_ALL)), pubkey];
    });
    return describeTx(tx);
  }

  /** Writes the chain file atomically: temp file, fsync, rename, fsync of the directory. */
  persist(): void {
    if (this.statePath === undefined) return;
    const state: z.infer<typeof stateSchema> = {
      format: STATE_FORMAT,
      faucetKey: hex.encode(this.faucetKey),
      blocks: this.blocks.map((b) => hex.encode(b.raw)),
      mempool: [...this.mempool.values()].map((e) => hex.encode(e.tx.raw)),
    };
    const tmp = `${this.statePath}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(state));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.statePath);
    const dirFd = openSync(join(this.statePath, '..'), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }

  /** sendrawtransaction's "already confirmed" answer. */
  static alreadyInChain(): TxRejectedError {
    return new TxRejectedError(
      RPC_VERIFY_ALREADY_IN_CHAIN,
      'Transaction outputs already in utxo set',
    );
  }
}

function hexTxid(internal: Uint8Array): string {
  return hex.encode(Uint8Array.from(internal).reverse());
}

function addOutputs(
  into: Map<string, Coin>,
  tx: ParsedTx,
  height: number,
  coinbase: boolean,
): void {
  tx.outputs.forEach((output, vout) => {
    // OP_RETURN outputs are provably unspendable and never enter the UTXO set.
    if (output.scriptPubKey[0] === 0x6a) return;
    into.set(outpoint(tx.txid, vout), { output, height, coinbase });
  });
}

function coinbaseTxScriptPrefix(height: number): Uint8Array {
  const full = coinbaseTx(height, 0n, new Uint8Array(0), []).inputs[0]!.scriptSig;
  return full.subarray(0, full.length - 1);
}

function startsWith(data: Uint8Array, prefix: Uint8Array): boolean {
  return data.length >= prefix.length && bytesEqual(data.subarray(0, prefix.length), prefix);
}

/** Generous vsize of a P2WPKH→(P2WSH + P2WPKH change) payment, times the fee rate. */
function faucetFee(inputs: number, feeRateSatPerVb: bigint): bigint {
  return BigInt(11 + 69 * inputs + 2 * 43) * feeRateSatPerVb;
}
