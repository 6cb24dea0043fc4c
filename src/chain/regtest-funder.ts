/**
 * Coins for tests and the demo on any regtest node, through Bitcoin Core's own RPCs only: the
 * funder mines block rewards to its key with `generatetoaddress`, finds them with `scantxoutset`,
 * and pays exact amounts from the mature ones in a transaction it signs itself and sends with
 * `sendrawtransaction`. It needs no wallet on the node and nothing devnet-specific, so the same
 * code funds parties on devnet, on `bitcoind -regtest` or on any node that speaks Core's RPC.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { Address, OutScript, p2wpkh, Transaction } from '@scure/btc-signer';
import type { ChainBackend } from './chain-backend.ts';
import { REGTEST_NETWORK } from './devnet/regtest.ts';

/** A coinbase output can be spent in a block 100 blocks after its own (consensus). */
export const COINBASE_MATURITY = 100;

/** What a payment needs from the node: reads, mining and broadcast (all Core RPCs). */
export type FunderChain = Pick<
  ChainBackend,
  'getBlockchainInfo' | 'getBlockCount' | 'scanUtxos' | 'sendRawTransaction' | 'generateToAddress'
>;

export class RegtestFunderError extends Error {
  readonly code = 'regtest_funder';
  constructor(message: string) {
    super(message);
    this.name = 'RegtestFunderError';
  }
}

export interface RegtestFunderOptions {
  /** The funder's key (32 bytes); random by default, so two funders never share coins. */
  readonly secretKey?: Uint8Array;
  /** Fee rate of the funder's own payments. Default 2 sat/vB (Core's relay minimum is 1). */
  readonly feeRateSatPerVb?: bigint;
}

/** Pays exact amounts on a regtest chain from block rewards it mines to its own key. */
export class RegtestFunder {
  /** Its P2WPKH address: block rewards and change go there. */
  readonly address: string;
  private readonly secretKey: Uint8Array;
  private readonly script: Uint8Array;
  private readonly feeRate: bigint;
  /** Outputs spent by our own transactions that may not be mined yet. */
  private readonly spent = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private checkedRegtest = false;

  constructor(
    private readonly chain: FunderChain,
    opts: RegtestFunderOptions = {},
  ) {
    this.secretKey = opts.secretKey ?? secp256k1.utils.randomSecretKey();
    const payment = p2wpkh(secp256k1.getPublicKey(this.secretKey, true), REGTEST_NETWORK);
    this.address = payment.address!;
    this.script = payment.script;
    this.feeRate = opts.feeRateSatPerVb ?? 2n;
  }

  /**
   * Pays `amountSat` to `address` (output `vout` of `txid`) and, unless `confirm` is false, mines
   * it into a block (the block's reward goes to the funder). Payments run one at a time.
   * @throws RegtestFunderError on a chain that is not regtest, or when block rewards cannot
   *   cover the amount (late in the regtest halving schedule).
   */
  pay(
    address: string,
    amountSat: bigint,
    confirm = true,
  ): Promise<{ txid: string; vout: number; blockHash: string | null }> {
    const run = this.queue.then(() => this.payNow(address, amountSat, confirm));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async payNow(
    address: string,
    amountSat: bigint,
    confirm: boolean,
  ): Promise<{ txid: string; vout: number; blockHash: string | null }> {
    if (amountSat <= 0n) throw new RangeError('amountSat: expected > 0');
    let outScript: Uint8Array;
    try {
      outScript = OutScript.encode(Address(REGTEST_NETWORK).decode(address));
    } catch {
      throw new RangeError(`address: not a regtest address: ${address}`);
    }
    await this.assertRegtest();
    for (let round = 0; ; round++) {
      const coins = await this.matureCoins();
      const picked: typeof coins = [];
      let total = 0n;
      let fee = 0n;
      for (const c of coins) {
        picked.push(c);
        total += c.valueSat;
        fee = BigInt(11 + 68 * picked.length + 31 * 2) * this.feeRate;
        if (total >= amountSat + fee) break;
      }
      if (total >= amountSat + fee && picked.length > 0) {
        const tx = new Transaction();
        for (const c of picked) {
          tx.addInput({
            txid: c.txid,
            index: c.vout,
            witnessUtxo: { script: this.script, amount: c.valueSat },
          });
        }
        tx.addOutput({ script: outScript, amount: amountSat });
        const change = total - amountSat - fee;
        if (change >= 1_000n) tx.addOutput({ script: this.script, amount: change });
        tx.sign(this.secretKey);
        tx.finalize();
        const txid = await this.chain.sendRawTransaction(tx.hex);
        for (const c of picked) this.spent.add(`${c.txid}:${c.vout}`);
        const blockHash = confirm
          ? ((await this.chain.generateToAddress(1, this.address))[0] ?? null)
          : null;
        return { txid, vout: 0, blockHash };
      }
      if (round >= 20) {
        throw new RegtestFunderError(
          `block rewards on this regtest chain cannot cover ${amountSat} sat (height ${await this.chain.getBlockCount()})`,
        );
      }
      // One reward to us, matured by COINBASE_MATURITY more blocks (also ours, for later payments).
      await this.chain.generateToAddress(1 + COINBASE_MATURITY, this.address);
    }
  }

  /** Our unspent outputs that can be spent in the next block, largest first. */
  private async matureCoins() {
    const tip = await this.chain.getBlockCount();
    const utxos = await this.chain.scanUtxos([this.script]);
    return utxos
      .filter((u) => !this.spent.has(`${u.txid}:${u.vout}`))
      .filter((u) => !u.coinbase || tip + 1 - u.height >= COINBASE_MATURITY)
      .sort((a, b) => (a.valueSat === b.valueSat ? 0 : a.valueSat > b.valueSat ? -1 : 1));
  }

  private async assertRegtest(): Promise<void> {
    if (this.checkedRegtest) return;
    const { chain } = await this.chain.getBlockchainInfo();
    if (chain !== 'regtest') {
      throw new RegtestFunderError(
        `the node's chain is "${chain}": funding by mining is only for regtest`,
      );
    }
    this.checkedRegtest = true;
  }
}
