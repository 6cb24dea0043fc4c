/**
 * A party's wallet: keys from the party's own BIP39 mnemonic, BIP84 P2WPKH addresses
 * (`m/84'/coin'/0'/change/index`), DLC funding keys on a separate hardened branch
 * (`m/8736'/coin'/index'`: one fresh key per contract, because an adaptor signature leaks
 * `x·Y` and a funding key must not serve anything else; DLC-NOTES.md §9), UTXOs, coin selection.
 *
 * UTXOs without a node wallet: Bitcoin Core and devnet are used through non-wallet RPCs only, so
 * the wallet finds its coins with `scantxoutset` over its own scripts (every receive and change
 * script up to the highest index handed out plus a gap of {@link ADDRESS_GAP}), then drops the
 * ones a mempool transaction already spends (`gettxout` with mempool) and the ones this party's
 * open DLCs have reserved. Only confirmed coins are spent, and immature coinbase outputs are
 * skipped. No chain history is kept locally, so there is nothing to resynchronize after a restart
 * or a reorg; the price is a UTXO-set scan per listing (seconds on mainnet).
 */
import { randomBytes } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import {
  Address,
  NETWORK,
  OutScript,
  p2wpkh,
  RawTx,
  TEST_NETWORK,
  Transaction,
} from '@scure/btc-signer';
import type { ChainBackend } from '../chain/chain-backend.ts';
import { dustThresholdSat } from '../chain/devnet/policy.ts';
import type { FundingInput } from '../dlc/funding-input.ts';
import { bytesEqual } from '../dlc/funding-input.ts';
import { CoinSelectionError, p2wpkhTxVsize, selectCoins } from './coin-selection.ts';
import { bip84Descriptors } from './descriptor.ts';
import type { PartyStore, WalletTxRow } from './store.ts';

/** Addresses scanned past the highest index handed out. */
export const ADDRESS_GAP = 20;
/** Serialized P2WPKH witness with a low-R signature: 1 + (1 + 71) + (1 + 33). */
export const P2WPKH_MAX_WITNESS_LEN = 107;
const COINBASE_MATURITY = 100;
/** BIP125: an nSequence below 0xfffffffe signals that the transaction may be replaced. */
export const RBF_SEQUENCE = 0xfffffffd;
/** Above this fee rate a payment needs `force` (sat/vB; Core's `-maxfeerate` is 0.10 BTC/kvB). */
export const MAX_FEE_RATE_SAT_PER_VB = 1000n;
/** A payment whose fee is above this share of the amount sent needs `force` (percent). */
export const MAX_FEE_PERCENT = 10n;
/** Core's `-incrementalrelayfee` (BIP125 rule 4), sat/vB. */
export const INCREMENTAL_RELAY_FEE_SAT_PER_VB = 1n;
/** BIP32 version bytes of extended public/private keys. */
const MAIN_VERSIONS = { private: 0x0488ade4, public: 0x0488b21e };
const TEST_VERSIONS = { private: 0x04358394, public: 0x043587cf };

export type BitcoinNetwork = 'main' | 'test' | 'testnet4' | 'signet' | 'regtest';

type BtcNetwork = typeof NETWORK;
const REGTEST: BtcNetwork = { ...TEST_NETWORK, bech32: 'bcrt' };

function btcNetwork(network: BitcoinNetwork): BtcNetwork {
  if (network === 'main') return NETWORK;
  return network === 'regtest' ? REGTEST : TEST_NETWORK;
}

export interface WalletKey {
  readonly path: string;
  readonly secretKey: Uint8Array;
  /** 33-byte compressed. */
  readonly publicKey: Uint8Array;
  readonly spk: Uint8Array;
  readonly address: string;
}

export interface WalletUtxo {
  readonly txid: string;
  readonly vout: number;
  readonly valueSat: bigint;
  readonly spk: Uint8Array;
  readonly height: number;
}

/** The wallet cannot pay what is asked. */
export class InsufficientWalletFundsError extends Error {
  readonly code = 'insufficient_wallet_funds';
  constructor(
    readonly neededSat: bigint,
    readonly availableSat: bigint,
  ) {
    super(`the wallet has ${availableSat} sat spendable, ${neededSat} sat needed`);
    this.name = 'InsufficientWalletFundsError';
  }
}

/** The address belongs to another network than the wallet's. */
export class WrongNetworkAddressError extends Error {
  override readonly name = 'WrongNetworkAddressError';
  readonly code = 'wrong_network_address';
  constructor(
    readonly address: string,
    readonly network: BitcoinNetwork,
  ) {
    super(`${address} is not a valid ${network} address`);
  }
}

/** The amount sent, or a sweep after its fee, is below the dust threshold of the output. */
export class DustAmountError extends Error {
  override readonly name = 'DustAmountError';
  readonly code = 'dust_amount';
  constructor(
    readonly amountSat: bigint,
    readonly dustSat: bigint,
  ) {
    super(`${amountSat} sat is dust for this address (the smallest output is ${dustSat} sat)`);
  }
}

/** The fee is above the sane cap; `force` sends anyway. Says what the fee would be. */
export class FeeTooHighError extends Error {
  override readonly name = 'FeeTooHighError';
  readonly code = 'fee_too_high';
  constructor(
    readonly feeSat: bigint,
    readonly feeRateSatPerVb: bigint,
    readonly percentOfAmount: string,
  ) {
    super(
      `the fee would be ${feeSat} sat (${feeRateSatPerVb} sat/vB, ${percentOfAmount}% of the amount sent): ` +
        `above the cap of ${MAX_FEE_RATE_SAT_PER_VB} sat/vB or ${MAX_FEE_PERCENT}%; use --force to send anyway`,
    );
  }
}

/** A wallet payment cannot be bumped (unknown, confirmed, replaced, or the fee rate too low). */
export class BumpError extends Error {
  override readonly name = 'BumpError';
  readonly code = 'cannot_bump';
}

/** A payment the wallet built (and, unless a dry run, broadcast). */
export interface WalletPayment {
  readonly txid: string;
  readonly rawHex: string;
  readonly recipient: string;
  readonly amountSat: bigint;
  readonly feeSat: bigint;
  readonly feeRateSatPerVb: bigint;
  readonly vsize: number;
  /** 0n without a change output. */
  readonly changeSat: bigint;
  readonly inputs: readonly string[];
  readonly algorithm: 'bnb' | 'largest-first' | 'sweep' | 'bump';
  readonly broadcast: boolean;
  /** For a bump: the txid it replaces. */
  readonly replaces?: string;
}

/** The fields of a raw transaction this module reads (scure's RawTx coder, typed). */
export interface DecodedTx {
  readonly version: number;
  /** `txid` in display (RPC) order: scure's coder reverses it. */
  readonly inputs: readonly { txid: Uint8Array; index: number; sequence: number }[];
  readonly outputs: readonly { amount: bigint; script: Uint8Array }[];
  readonly lockTime: number;
}

export function decodeRawTx(raw: Uint8Array): DecodedTx {
  return RawTx.decode(raw);
}

function percentOf(part: bigint, whole: bigint): string {
  if (whole <= 0n) return 'inf';
  const hundredths = (part * 10_000n) / whole;
  return `${hundredths / 100n}.${(hundredths % 100n).toString().padStart(2, '0')}`;
}

/** A random u64 serial id (dlcspecs: serial ids are chosen at random to hide the output order). */
export function randomSerialId(): bigint {
  return randomBytes(8).readBigUInt64BE(0);
}

export class PartyWallet {
  private readonly root: HDKey;
  private readonly coin: number;
  private readonly versions: { private: number; public: number };
  private readonly net: BtcNetwork;
  private readonly byScript = new Map<string, WalletKey>();

  constructor(
    mnemonic: string,
    readonly network: BitcoinNetwork,
    private readonly store: PartyStore,
    private readonly chain: ChainBackend,
  ) {
    this.coin = network === 'main' ? 0 : 1;
    this.versions = network === 'main' ? MAIN_VERSIONS : TEST_VERSIONS;
    this.root = HDKey.fromMasterSeed(mnemonicToSeedSync(mnemonic), this.versions);
    this.net = btcNetwork(network);
  }

  private keyAt(path: string): WalletKey {
    const node = this.root.derive(path);
    if (node.privateKey === null) throw new Error(`no private key at ${path}`);
    const secretKey = node.privateKey;
    const publicKey = secp256k1.getPublicKey(secretKey, true);
    const pay = p2wpkh(publicKey, this.net);
    const key: WalletKey = { path, secretKey, publicKey, spk: pay.script, address: pay.address };
    this.byScript.set(bytesToHex(pay.script), key);
    return key;
  }

  /** BIP84 key `m/84'/coin'/0'/<0 receive | 1 change>/index`. */
  addressKey(kind: 'receive' | 'change', index: number): WalletKey {
    return this.keyAt(`m/84'/${this.coin}'/0'/${kind === 'receive' ? 0 : 1}/${index}`);
  }

  /** A fresh receive or change address (its index is remembered so the scan covers it). */
  nextAddress(kind: 'receive' | 'change'): WalletKey {
    return this.addressKey(kind, this.store.takeCounter(`next_${kind}`));
  }

  /** The DLC funding key of one contract: `m/8736'/coin'/index'`. */
  fundingKey(index: number): WalletKey {
    return this.keyAt(`m/8736'/${this.coin}'/${index}'`);
  }

  /** BIP380/382 descriptors of the receive and change chains (public keys only). */
  descriptors(): { receive: string; change: string; fingerprint: string; accountXpub: string } {
    const account = this.root.derive(`m/84'/${this.coin}'/0'`);
    const d = bip84Descriptors({
      masterFingerprint: this.root.fingerprint,
      coinType: this.coin,
      accountXpub: account.publicExtendedKey,
    });
    return {
      ...d,
      fingerprint: this.root.fingerprint.toString(16).padStart(8, '0'),
      accountXpub: account.publicExtendedKey,
    };
  }

  /** The scriptPubKey of an address of this wallet's network; anything else is refused. */
  scriptForAddress(address: string): Uint8Array {
    try {
      return OutScript.encode(Address(this.net).decode(address));
    } catch {
      throw new WrongNetworkAddressError(address, this.network);
    }
  }

  /** Every script the wallet watches. */
  private scripts(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const kind of ['receive', 'change'] as const) {
      const upTo = this.store.counter(`next_${kind}`) + ADDRESS_GAP;
      for (let i = 0; i < upTo; i++) out.push(this.addressKey(kind, i).spk);
    }
    return out;
  }

  /** The secret key of a wallet script, if it is one. */
  keyForSpk(spk: Uint8Array): WalletKey | undefined {
    const hexSpk = bytesToHex(spk);
    if (!this.byScript.has(hexSpk)) this.scripts();
    return this.byScript.get(hexSpk);
  }

  /** Spendable coins: confirmed, mature, unspent in the mempool, not reserved by a DLC. */
  async utxos(): Promise<WalletUtxo[]> {
    const scanned = await this.chain.scanUtxos(this.scripts());
    this.store.recordCoinsSeen(
      scanned.map((u) => ({
        txid: u.txid,
        vout: u.vout,
        value_sat: u.valueSat.toString(),
        height: u.height,
        address: this.keyForSpk(u.scriptPubKey)?.address ?? '',
      })),
    );
    const tip = await this.chain.getBlockCount();
    const reserved = this.store.reservedOutpoints();
    const out: WalletUtxo[] = [];
    for (const u of scanned) {
      if (reserved.has(`${u.txid}:${u.vout}`)) continue;
      if (u.coinbase && tip - u.height + 1 < COINBASE_MATURITY) continue;
      const live = await this.chain.getTxOut(u.txid, u.vout, true);
      if (live === null) continue;
      out.push({
        txid: u.txid,
        vout: u.vout,
        valueSat: u.valueSat,
        spk: u.scriptPubKey,
        height: u.height,
      });
    }
    return out.sort((a, b) => (a.valueSat > b.valueSat ? -1 : a.valueSat < b.valueSat ? 1 : 0));
  }

  async balanceSat(): Promise<bigint> {
    return (await this.utxos()).reduce((sum, u) => sum + u.valueSat, 0n);
  }

  /**
   * Largest-first selection: adds coins until `needed(inputCount)` (collateral + fees for that
   * many inputs + the dust limit for the change) is covered.
   */
  async selectCoins(needed: (inputs: number) => bigint): Promise<WalletUtxo[]> {
    const utxos = await this.utxos();
    const chosen: WalletUtxo[] = [];
    let total = 0n;
    for (const u of utxos) {
      chosen.push(u);
      total += u.valueSat;
      if (total >= needed(chosen.length)) return chosen;
    }
    throw new InsufficientWalletFundsError(needed(Math.max(1, chosen.length)), total);
  }

  /** `funding_input`s for the chosen coins (their previous transactions from the node). */
  async fundingInputs(coins: readonly WalletUtxo[]): Promise<FundingInput[]> {
    return Promise.all(
      coins.map(async (c) => ({
        inputSerialId: randomSerialId(),
        // With the block hash Core finds a confirmed transaction without -txindex.
        prevTx: await this.chain.getRawTransaction(c.txid, await this.chain.getBlockHash(c.height)),
        prevTxVout: c.vout,
        sequence: 0xffffffff,
        maxWitnessLen: P2WPKH_MAX_WITNESS_LEN,
        redeemScript: new Uint8Array(0),
      })),
    );
  }

  /** The secret key that spends a wallet output, or a TypeError. */
  secretKeyForSpk(spk: Uint8Array): Uint8Array {
    const key = this.keyForSpk(spk);
    if (key === undefined || !bytesEqual(key.spk, spk)) {
      throw new TypeError(`script ${bytesToHex(spk)} is not this wallet's`);
    }
    return key.secretKey;
  }

  /**
   * Pays `amount` sat (or, with `'all'`, sweeps every spendable coin) to `address` at
   * `feeRateSatPerVb`, change back to a fresh change address, every input signalling BIP125
   * replaceability. Refuses an address of another network, dust, more than the balance, and a fee
   * above the cap unless `force`. With `dryRun` nothing is broadcast, stored or reserved.
   */
  async send(params: {
    address: string;
    amount: bigint | 'all';
    feeRateSatPerVb: bigint;
    dryRun?: boolean;
    force?: boolean;
  }): Promise<WalletPayment> {
    const { address, amount, feeRateSatPerVb: rate } = params;
    if (rate < 1n) throw new RangeError('feeRateSatPerVb: expected >= 1');
    const spk = this.scriptForAddress(address);
    const dust = dustThresholdSat({ valueSat: 0n, scriptPubKey: spk });
    const utxos = await this.utxos();
    const available = utxos.reduce((s, u) => s + u.valueSat, 0n);
    let coins: WalletUtxo[];
    let amountSat: bigint;
    let feeSat: bigint;
    let changeSat = 0n;
    let algorithm: WalletPayment['algorithm'];
    if (amount === 'all') {
      if (utxos.length === 0) throw new InsufficientWalletFundsError(dust, 0n);
      coins = utxos;
      feeSat = BigInt(p2wpkhTxVsize(coins.length, [spk.length])) * rate;
      amountSat = available - feeSat;
      if (amountSat < dust) throw new DustAmountError(amountSat, dust);
      algorithm = 'sweep';
    } else {
      if (amount < dust) throw new DustAmountError(amount, dust);
      if (amount > available) throw new InsufficientWalletFundsError(amount, available);
      const changeKey = this.addressKey('change', this.store.counter('next_change'));
      let selection;
      try {
        selection = selectCoins({
          coins: utxos.map((u) => ({ id: `${u.txid}:${u.vout}`, valueSat: u.valueSat })),
          amountSat: amount,
          feeRateSatPerVb: rate,
          recipientSpkLen: spk.length,
          changeSpkLen: changeKey.spk.length,
          changeDustSat: dustThresholdSat({ valueSat: 0n, scriptPubKey: changeKey.spk }),
        });
      } catch (error) {
        if (error instanceof CoinSelectionError) {
          throw new InsufficientWalletFundsError(error.neededSat, error.availableSat);
        }
        throw error;
      }
      const ids = new Set(selection.coins.map((c) => c.id));
      coins = utxos.filter((u) => ids.has(`${u.txid}:${u.vout}`));
      amountSat = amount;
      feeSat = selection.feeSat;
      changeSat = selection.changeSat;
      algorithm = selection.algorithm;
    }
    this.checkFee(feeSat, rate, amountSat, params.force === true);
    const outputs: { script: Uint8Array; amount: bigint }[] = [{ script: spk, amount: amountSat }];
    if (changeSat > 0n) {
      const change =
        params.dryRun === true
          ? this.addressKey('change', this.store.counter('next_change'))
          : this.nextAddress('change');
      outputs.push({ script: change.spk, amount: changeSat });
      // The change's position says nothing about which output is the payment.
      if (randomBytes(1)[0]! & 1) outputs.reverse();
    }
    const lockTime = await this.chain.getBlockCount(); // anti fee sniping, as Core does
    const tx = this.signPayment(coins, outputs, lockTime);
    const payment: WalletPayment = {
      txid: tx.id,
      rawHex: bytesToHex(tx.extract()),
      recipient: address,
      amountSat,
      feeSat,
      feeRateSatPerVb: rate,
      vsize: tx.vsize,
      changeSat,
      inputs: coins.map((c) => `${c.txid}:${c.vout}`),
      algorithm,
      broadcast: params.dryRun !== true,
    };
    if (params.dryRun === true) return payment;
    await this.chain.sendRawTransaction(payment.rawHex);
    this.store.insertWalletTx({
      txid: payment.txid,
      kind: amount === 'all' ? 'sweep' : 'send',
      raw_hex: payment.rawHex,
      recipient: address,
      amount_sat: amountSat.toString(),
      fee_sat: feeSat.toString(),
      fee_rate_sat_per_vb: rate.toString(),
      replaces: null,
    });
    return payment;
  }

  private checkFee(feeSat: bigint, rate: bigint, amountSat: bigint, force: boolean): void {
    if (force) return;
    if (rate > MAX_FEE_RATE_SAT_PER_VB || feeSat * 100n > amountSat * MAX_FEE_PERCENT) {
      throw new FeeTooHighError(feeSat, rate, percentOf(feeSat, amountSat));
    }
  }

  /** Signs P2WPKH inputs (low-R, SIGHASH_ALL, RBF sequence); checks the size estimate held. */
  signPayment(
    coins: readonly { txid: string; vout: number; valueSat: bigint; spk: Uint8Array }[],
    outputs: readonly { script: Uint8Array; amount: bigint }[],
    lockTime: number,
  ): Transaction {
    const tx = new Transaction({ version: 2, lockTime, lowR: true });
    for (const c of coins) {
      tx.addInput({
        txid: c.txid,
        index: c.vout,
        sequence: RBF_SEQUENCE,
        witnessUtxo: { script: c.spk, amount: c.valueSat },
      });
    }
    for (const o of outputs) tx.addOutput(o);
    coins.forEach((c, i) => tx.signIdx(this.secretKeyForSpk(c.spk), i));
    tx.finalize();
    const estimated = p2wpkhTxVsize(
      coins.length,
      outputs.map((o) => o.script.length),
    );
    // The fee was computed for `estimated`; a larger transaction would pay less than the rate.
    if (tx.vsize > estimated) {
      throw new Error(`signed payment is ${tx.vsize} vB, estimated ${estimated}`);
    }
    return tx;
  }

  /**
   * Replaces one of the wallet's unconfirmed payments (BIP125) with the same payment at a higher
   * fee rate: the same inputs, the fee taken from the change (a change that would become dust is
   * dropped), from the amount for a sweep, or from one more coin when there is no change. The
   * replacement pays at least the original fee plus the incremental relay fee for its own size.
   */
  async bump(params: {
    txid: string;
    feeRateSatPerVb: bigint;
    force?: boolean;
  }): Promise<WalletPayment> {
    const row = this.store.walletTx(params.txid);
    if (row === undefined) throw new BumpError(`${params.txid} is not a payment of this wallet`);
    if (row.replaced_by !== null) {
      throw new BumpError(`${params.txid} was already replaced by ${row.replaced_by}`);
    }
    if ((await this.chain.getMempoolEntry(params.txid)) === null) {
      throw new BumpError(`${params.txid} is not in the mempool (confirmed or dropped)`);
    }
    const rate = params.feeRateSatPerVb;
    const oldFee = BigInt(row.fee_sat);
    const old = decodeRawTx(hexToBytes(row.raw_hex));
    const coins: { txid: string; vout: number; valueSat: bigint; spk: Uint8Array }[] = [];
    for (const input of old.inputs) {
      const txid = bytesToHex(input.txid);
      const coin = await this.chain.getTxOut(txid, input.index, false);
      if (coin === null) throw new BumpError(`input ${txid}:${input.index} is spent in a block`);
      coins.push({ txid, vout: input.index, valueSat: coin.valueSat, spk: coin.scriptPubKey });
    }
    const recipientSpk = this.scriptForAddress(row.recipient);
    const changeOut = old.outputs.find(
      (o) => !bytesEqual(o.script, recipientSpk) && this.keyForSpk(o.script) !== undefined,
    );
    let amountSat = BigInt(row.amount_sat);
    const outputs: { script: Uint8Array; amount: bigint }[] = [];
    const feeFor = (inputs: number, spks: Uint8Array[]): bigint => {
      const vsize = BigInt(
        p2wpkhTxVsize(
          inputs,
          spks.map((x) => x.length),
        ),
      );
      const fee = vsize * rate;
      // BIP125 rules 3 and 4: pay for the original and for the replacement's own relay.
      const floor = oldFee + vsize * INCREMENTAL_RELAY_FEE_SAT_PER_VB;
      if (fee < floor) {
        throw new BumpError(
          `${rate} sat/vB is too low to replace ${row.txid}: the replacement must pay at least ` +
            `${floor} sat (${(floor + vsize - 1n) / vsize} sat/vB)`,
        );
      }
      return fee;
    };
    const total = (): bigint => coins.reduce((s, c) => s + c.valueSat, 0n);
    let feeSat: bigint;
    if (row.kind === 'sweep') {
      feeSat = feeFor(coins.length, [recipientSpk]);
      amountSat = total() - feeSat;
      const dust = dustThresholdSat({ valueSat: 0n, scriptPubKey: recipientSpk });
      if (amountSat < dust) throw new DustAmountError(amountSat, dust);
      outputs.push({ script: recipientSpk, amount: amountSat });
    } else {
      const changeSpk = changeOut?.script ?? this.nextAddress('change').spk;
      const changeDust = dustThresholdSat({ valueSat: 0n, scriptPubKey: changeSpk });
      for (;;) {
        const withChange = feeFor(coins.length, [recipientSpk, changeSpk]);
        const change = total() - amountSat - withChange;
        if (change >= changeDust) {
          feeSat = withChange;
          outputs.push({ script: recipientSpk, amount: amountSat });
          outputs.push({ script: changeSpk, amount: change });
          break;
        }
        const without = feeFor(coins.length, [recipientSpk]);
        if (total() - amountSat >= without) {
          feeSat = total() - amountSat; // the would-be dust change goes to the fee
          outputs.push({ script: recipientSpk, amount: amountSat });
          break;
        }
        // Rule 2: a replacement may only add confirmed inputs, which are all that utxos() has.
        const used = new Set(coins.map((c) => `${c.txid}:${c.vout}`));
        const extra = (await this.utxos()).find((u) => !used.has(`${u.txid}:${u.vout}`));
        if (extra === undefined) {
          throw new InsufficientWalletFundsError(amountSat + without, total());
        }
        coins.push(extra);
      }
    }
    this.checkFee(feeSat, rate, amountSat, params.force === true);
    const tx = this.signPayment(coins, outputs, old.lockTime);
    const rawHex = bytesToHex(tx.extract());
    await this.chain.sendRawTransaction(rawHex);
    this.store.insertWalletTx({
      txid: tx.id,
      kind: row.kind,
      raw_hex: rawHex,
      recipient: row.recipient,
      amount_sat: amountSat.toString(),
      fee_sat: feeSat.toString(),
      fee_rate_sat_per_vb: rate.toString(),
      replaces: row.txid,
    });
    const change = outputs.find((o) => !bytesEqual(o.script, recipientSpk));
    return {
      txid: tx.id,
      rawHex,
      recipient: row.recipient,
      amountSat,
      feeSat,
      feeRateSatPerVb: rate,
      vsize: tx.vsize,
      changeSat: change?.amount ?? 0n,
      inputs: coins.map((c) => `${c.txid}:${c.vout}`),
      algorithm: 'bump',
      broadcast: true,
      replaces: row.txid,
    };
  }

  /** The wallet's payments, newest last. */
  payments(): WalletTxRow[] {
    return this.store.walletTxs();
  }
}
