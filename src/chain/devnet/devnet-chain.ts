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
import { dustThresholdSat, minRelayFeeSat } from './policy.ts';
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

  private constructor(options: DevnetChainOptions, faucetKey: Uint8Array) {
    this.nowSec = options.nowSec ?? (() => Math.floor(Date.now() / 1000));
    this.statePath = options.dataDir === undefined ? undefined : join(options.dataDir, STATE_FILE);
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
  acceptToMempool(tx: ParsedTx, dryRun = false): AcceptResult {
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

  /** Mines one block on the tip with the mempool's transactions (oldest first, within weight). */
  mineBlock(scriptPubKey: Uint8Array): Block {
    const height = this.height + 1;
    const selected: MempoolTx[] = [];
    let weight = 4000; // header, coinbase and counts, generously
    for (const entry of this.mempool.values()) {
      if (weight + entry.tx.weight > MAX_BLOCK_WEIGHT) break;
      weight += entry.tx.weight;
      selected.push(entry);
    }
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
        spent.add(key);
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
