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
import { bytesToHex } from '@noble/hashes/utils.js';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { NETWORK, p2wpkh, TEST_NETWORK } from '@scure/btc-signer';
import type { ChainBackend } from '../chain/chain-backend.ts';
import type { FundingInput } from '../dlc/funding-input.ts';
import { bytesEqual } from '../dlc/funding-input.ts';
import type { PartyStore } from './store.ts';

/** Addresses scanned past the highest index handed out. */
export const ADDRESS_GAP = 20;
/** Serialized P2WPKH witness with a low-R signature: 1 + (1 + 71) + (1 + 33). */
export const P2WPKH_MAX_WITNESS_LEN = 107;
const COINBASE_MATURITY = 100;

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

/** A random u64 serial id (dlcspecs: serial ids are chosen at random to hide the output order). */
export function randomSerialId(): bigint {
  return randomBytes(8).readBigUInt64BE(0);
}

export class PartyWallet {
  private readonly root: HDKey;
  private readonly coin: number;
  private readonly net: BtcNetwork;
  private readonly byScript = new Map<string, WalletKey>();

  constructor(
    mnemonic: string,
    readonly network: BitcoinNetwork,
    private readonly store: PartyStore,
    private readonly chain: ChainBackend,
  ) {
    this.root = HDKey.fromMasterSeed(mnemonicToSeedSync(mnemonic));
    this.coin = network === 'main' ? 0 : 1;
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
}
