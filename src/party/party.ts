/**
 * One party (client or freelancer) of Verdict DLCs: its data dir (an encrypted keystore with its
 * own mnemonic, `keystore.json`, and its SQLite store, `party.sqlite`), its wallet, the protocol
 * steps with the chain checks the pure protocol asks its caller to do, and the watcher that
 * settles contracts.
 *
 * `src/party` is the party toolkit: the one place in `src/` besides `src/chain` that does I/O
 * (files, SQLite, HTTP to the oracle, RPC to the node), on purpose: parties run it on their own
 * machines, never on the oracle. The DLC logic itself stays in the pure `src/dlc`.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { generateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { RawTx, Transaction } from '@scure/btc-signer';
import type { ChainBackend } from '../chain/chain-backend.ts';
import { RpcError, RpcRejectedError, RPC_VERIFY_ALREADY_IN_CHAIN } from '../chain/errors.ts';
import { openKeystore, sealMnemonic } from '../crypto/keystore.ts';
import type { AdaptorRunner, ProgressCallback } from '../dlc/adaptor-set.ts';
import { oraclesOf, oracleSubsets, type LayoutPointOps } from '../dlc/contract.ts';
import { randomTemporaryContractId } from '../dlc/contract-id.ts';
import { contractFees } from '../dlc/fees.ts';
import { txidHexOf, type FundingInput } from '../dlc/funding-input.ts';
import {
  decodeAcceptDlc,
  decodeDlcMessage,
  decodeOfferDlc,
  decodeSignDlc,
  encodeAcceptDlc,
  encodeOfferDlc,
  encodeSignDlc,
  type AcceptDlc,
  type OfferDlc,
  type SignDlc,
} from '../dlc/messages.ts';
import type { OracleAnnouncement, OracleAttestation } from '../dlc/oracle-types.ts';
import {
  acceptOfferAsync,
  ContractTermsMismatchError,
  createOffer,
  deriveContract,
  deriveContractId,
  DlcProtocolError,
  executeCet,
  finalizeSignAsync,
  fundingInputOutpoints,
  outpointKey,
  signAcceptAsync,
  signRefund,
  validateOffer,
  verifyAcceptAsync,
  verifySignAsync,
  type DlcContract,
  type PartySide,
  type UtxoInfo,
} from '../dlc/protocol.ts';
import { DUST_LIMIT_SAT } from '../dlc/transactions.ts';
import { adaptorRunner, POOL_MIN_SIGNATURES, sharedAdaptorPool } from '../native/adaptor-pool.ts';
import { layoutPointOps } from '../native/layout-points.ts';
import {
  milestoneContractInfo,
  milestoneDlcTerms,
  milestoneTermsSchema,
  offerCollateralOf,
  termsToJson,
  type MilestoneTerms,
} from './milestone-terms.ts';
import type { OracleClient } from './oracle-client.ts';
import { p2wpkhTxVsize } from './coin-selection.ts';
import {
  externalFundingOf,
  fundingPsbtFor,
  witnessesFromSignedPsbt,
  type Bip32Derivation,
  type ExternalFunding,
} from './psbt.ts';
import { PartyStore, type ContractRow } from './store.ts';
import {
  decodeRawTx,
  P2WPKH_MAX_WITNESS_LEN,
  PartyWallet,
  randomSerialId,
  type BitcoinNetwork,
} from './wallet.ts';

export const KEYSTORE_FILE = 'keystore.json';
/** Blocks searched back from the tip for a counterparty's closing transaction (no -txindex). */
const CLOSING_SEARCH_DEPTH = 4032;
export const STORE_FILE = 'party.sqlite';

/** The data dir has no keystore yet (`verdict dlc wallet init`). */
export class PartyNotInitializedError extends Error {
  override readonly name = 'PartyNotInitializedError';
  readonly code = 'party_not_initialized';
}

/** No contract matches the message or reference, or it is in the wrong state for the step. */
export class ContractStateError extends Error {
  override readonly name = 'ContractStateError';
  readonly code = 'contract_state';
}

/** The node runs another network (or another chain) than the one this wallet was made on. */
export class WrongNetworkError extends Error {
  override readonly name = 'WrongNetworkError';
  readonly code = 'wrong_network';
  constructor(
    readonly walletNetwork: string,
    readonly nodeNetwork: string,
  ) {
    super(
      walletNetwork === nodeNetwork
        ? `the node's ${nodeNetwork} chain has another genesis block than this wallet's`
        : `this wallet was made on ${walletNetwork}; the node runs ${nodeNetwork}`,
    );
  }
}

/** The refund transaction is not final yet: its locktime is not below the chain's median time. */
export class RefundNotYetError extends Error {
  readonly code = 'refund_locktime_not_reached';
  constructor(
    readonly refundLocktime: number,
    readonly medianTimeSec: number,
  ) {
    super(
      `the refund locktime ${refundLocktime} is not below the chain's median time ${medianTimeSec}`,
    );
    this.name = 'RefundNotYetError';
  }
}

/**
 * The party funds this contract from an external wallet: `dlc sign` needs the PSBT that wallet
 * signed (`--signed-psbt`), written first by `dlc sign` without it.
 */
export class SignedPsbtRequiredError extends Error {
  override readonly name = 'SignedPsbtRequiredError';
  readonly code = 'signed_psbt_required';
}

/** The meta key that marks a contract funded from an external wallet (its BIP32 derivations). */
const externalKey = (id: number): string => `external_funding:${id}`;
/** The meta key of the P2WSH witness scripts of an externally funded contract's inputs. */
const externalScriptsKey = (id: number): string => `external_funding_scripts:${id}`;

/** When the watcher offers (or, within the cap, makes) a CPFP bump of a stuck CET or refund. */
export interface BumpPolicy {
  /** Blocks the closing transaction may stay unconfirmed before a bump is offered. */
  readonly afterBlocks: number;
  /** The package fee rate a bump aims for. */
  readonly feeRateSatPerVb: bigint;
  /** The watcher bumps by itself only when the child's fee is at most this (0: never). */
  readonly maxAutoFeeSat: bigint;
}

/** A CPFP child for a contract's closing transaction, ready to submit. */
export interface CpfpPlan {
  readonly parentTxid: string;
  readonly parentHex: string;
  readonly parentFeeSat: bigint;
  readonly parentVsize: number;
  readonly childTxid: string;
  readonly childHex: string;
  readonly childFeeSat: bigint;
  readonly childVsize: number;
  /** (parent fee + child fee) / (parent vsize + child vsize), sat/vB, rounded down. */
  readonly packageFeeRateSatPerVb: bigint;
}

/** The closing transaction cannot be bumped (none, confirmed, no output of ours, too small). */
export class CpfpError extends Error {
  override readonly name = 'CpfpError';
  readonly code = 'cannot_bump_closing';
}

export interface PartyOptions {
  readonly dataDir: string;
  readonly passphrase: string;
  readonly chain: ChainBackend;
  /** Clock, epoch seconds (event rows). */
  readonly now?: () => number;
}

/** What one watcher pass did to one contract. */
export interface WatchAction {
  readonly contract: number;
  readonly action:
    | 'funding_broadcast'
    | 'funding_seen'
    | 'funding_confirmed'
    | 'cet_broadcast'
    | 'refund_broadcast'
    | 'closing_seen'
    | 'settled'
    | 'refunded'
    | 'waiting'
    | 'funding_double_spent'
    | 'bump_offered'
    | 'cpfp_broadcast'
    | 'error';
  readonly txid?: string;
  readonly detail?: string;
}

/** One line of `wallet history`. */
export interface WalletHistoryEntry {
  readonly kind:
    'receive' | 'send' | 'sweep' | 'dlc_funding' | 'dlc_payout' | 'dlc_refund' | 'dlc_cpfp';
  readonly direction: 'in' | 'out';
  readonly txid: string;
  /** What entered or left the wallet, fees excluded (for a send: what the recipient got). */
  readonly amountSat: bigint;
  /** The fee this wallet paid in this transaction (sends and DLC funding). */
  readonly feeSat: bigint | null;
  readonly status: 'confirmed' | 'unconfirmed' | 'replaced' | 'unknown';
  readonly height: number | null;
  readonly address?: string;
  /** For DLC entries: the contract id (or temporary id), the Verdict contract and milestone. */
  readonly contract?: string;
  readonly verdictContract?: string;
  readonly milestone?: number;
  readonly replacedBy?: string;
}

/** `verdict/<contract id>/<milestone index>/<terms hash>` → its parts (DESIGN.md "Events"). */
function milestoneOfEvent(eventId: string): { contract: string; milestone: number } | null {
  const m = /^verdict\/([^/]+)\/(\d+)\//.exec(eventId);
  return m === null ? null : { contract: m[1]!, milestone: Number(m[2]) };
}

/** The wallet's view of a contract's sides: the key and scripts the party used. */
/**
 * The adaptor backends of the party flow (issue 17): adaptor points over native libsecp256k1
 * when the addon loads (else noble); adaptor signatures through `adaptorRunner()`, i.e. on the
 * process's shared worker pool with this thread taking part from `POOL_MIN_SIGNATURES`
 * signatures on, on this thread alone below. A contract that may reach that size starts the
 * pool's workers at once, in the background, while this thread validates and builds the CETs.
 */
function adaptorBackends(offer: OfferDlc): {
  runner: AdaptorRunner;
  points: LayoutPointOps<unknown>;
} {
  if (availableParallelism() > 1 && mayNeedPool(offer)) sharedAdaptorPool().warm();
  return { runner: adaptorRunner(), points: layoutPointOps() };
}

/** Whether a contract can have `POOL_MIN_SIGNATURES` adaptor signatures (numeric: assumed). */
function mayNeedPool(offer: OfferDlc): boolean {
  let count = 0;
  for (const part of offer.contractInfo.parts) {
    if (part.descriptor.kind === 'numeric') return true;
    const { announcements, threshold } = oraclesOf(part.oracleInfo);
    if (threshold < 1 || threshold > announcements.length) return false; // refused later
    count += part.descriptor.payouts.length * oracleSubsets(announcements.length, threshold).length;
  }
  return count >= POOL_MIN_SIGNATURES;
}

function sideOf(
  wallet: PartyWallet,
  fundingKeyIndex: number,
  payoutSpk: Uint8Array,
  payoutSerialId: bigint,
  changeSpk: Uint8Array,
  changeSerialId: bigint,
  inputs: readonly FundingInput[],
  externalWitnesses?: PartySide['externalWitnesses'],
): PartySide {
  const fundingKey = wallet.fundingKey(fundingKeyIndex);
  return {
    ...(externalWitnesses === undefined ? {} : { externalWitnesses }),
    fundingSecretKey: fundingKey.secretKey,
    payoutSpk,
    payoutSerialId,
    changeSpk,
    changeSerialId,
    inputs,
    inputSecretKey: (input) => {
      const tx = input.prevTx;
      const outputs = decodeOutputs(tx);
      const spk = outputs[input.prevTxVout];
      if (spk === undefined) throw new TypeError('funding input out of range');
      return wallet.secretKeyForSpk(spk);
    },
  };
}

function decodeOutputs(rawTx: Uint8Array): Uint8Array[] {
  return (RawTx.decode(rawTx).outputs as { script: Uint8Array }[]).map((o) => o.script);
}

export class Party {
  private constructor(
    readonly store: PartyStore,
    readonly wallet: PartyWallet,
    readonly chain: ChainBackend,
    readonly chainHash: Uint8Array,
  ) {}

  /**
   * Creates a party's data dir: the keystore (the mnemonic encrypted under `passphrase`, mode
   * 0600) and the store. Returns the mnemonic (generated if not given) for the user to write down.
   */
  static init(
    dataDir: string,
    passphrase: string,
    opts: { mnemonic?: string; scryptN?: number } = {},
  ): string {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const path = join(dataDir, KEYSTORE_FILE);
    if (existsSync(path)) throw new ContractStateError(`${path} exists already`);
    const mnemonic = opts.mnemonic ?? generateMnemonic(wordlist, 256);
    const file = sealMnemonic(
      mnemonic,
      passphrase,
      opts.scryptN === undefined ? {} : { scryptN: opts.scryptN },
    );
    writeFileSync(path, JSON.stringify(file, null, 2), { mode: 0o600 });
    chmodSync(path, 0o600);
    PartyStore.open(join(dataDir, STORE_FILE)).close();
    return mnemonic;
  }

  /** Opens an initialized data dir against a chain. */
  static async open(opts: PartyOptions): Promise<Party> {
    const path = join(opts.dataDir, KEYSTORE_FILE);
    if (!existsSync(path)) throw new PartyNotInitializedError(`no keystore in ${opts.dataDir}`);
    const mnemonic = openKeystore(JSON.parse(readFileSync(path, 'utf8')), opts.passphrase);
    const info = await opts.chain.getBlockchainInfo();
    const networks: readonly BitcoinNetwork[] = ['main', 'test', 'testnet4', 'signet', 'regtest'];
    const network = networks.find((n) => n === info.chain);
    if (network === undefined) throw new RangeError(`unknown chain ${info.chain}`);
    // chain_hash is the genesis hash in internal byte order (the reverse of RPC's display order).
    const chainHash = hexToBytes(await opts.chain.getBlockHash(0)).reverse();
    const store = PartyStore.open(join(opts.dataDir, STORE_FILE), opts.now);
    // Issue 14: a wallet is bound to the network (and genesis) it first ran on.
    const boundNetwork = store.metaSetOnce('network', network);
    const boundGenesis = store.metaSetOnce('chain_hash', bytesToHex(chainHash));
    if (boundNetwork !== network || boundGenesis !== bytesToHex(chainHash)) {
      store.close();
      throw new WrongNetworkError(boundNetwork, network);
    }
    return new Party(
      store,
      new PartyWallet(mnemonic, network, store, opts.chain),
      opts.chain,
      chainHash,
    );
  }

  close(): void {
    this.store.close();
  }

  private async utxoLookup(inputs: readonly FundingInput[]): Promise<Map<string, UtxoInfo>> {
    const out = new Map<string, UtxoInfo>();
    for (const { txid, vout } of fundingInputOutpoints(inputs)) {
      const o = await this.chain.getTxOut(txid, vout, true);
      out.set(
        outpointKey(txid, vout),
        o === null ? null : { valueSat: o.valueSat, scriptPubKey: o.scriptPubKey },
      );
    }
    return out;
  }

  /** Chooses coins for `collateral` and this party's fees (the counterparty side unknown: worst case). */
  private async chooseInputs(
    collateral: bigint,
    feeRatePerVb: bigint,
    paysBothClosings: boolean,
  ): Promise<{ inputs: FundingInput[]; outpoints: string[] }> {
    const coins = await this.wallet.selectCoins((n) => {
      const inputs = Array.from({ length: n }, () => ({
        redeemScriptLen: 0,
        maxWitnessLen: P2WPKH_MAX_WITNESS_LEN,
      }));
      const fees = contractFees({
        offer: { inputs, changeSpkLen: 22, payoutSpkLen: 22 },
        // Worst case for a counterparty we do not know yet: a 34-byte payout script.
        accept: paysBothClosings
          ? { inputs: [], changeSpkLen: 34, payoutSpkLen: 34 }
          : { inputs, changeSpkLen: 34, payoutSpkLen: 34 },
        feeRatePerVb,
      });
      return collateral + fees.offer.fundingFee + fees.offer.closingFee + DUST_LIMIT_SAT;
    });
    return {
      inputs: await this.wallet.fundingInputs(coins),
      outpoints: coins.map((c) => `${c.txid}:${c.vout}`),
    };
  }

  /** Creates and stores an offer (state `offered`); returns the `offer_dlc` bytes. */
  async offer(params: {
    terms: MilestoneTerms;
    announcement: OracleAnnouncement;
    /** A PSBT from an external wallet whose inputs and change fund this party's side. */
    fundingPsbt?: Uint8Array;
  }): Promise<{ contract: ContractRow; offer: Uint8Array }> {
    const terms = milestoneTermsSchema.parse(termsToJson(params.terms));
    const contractInfo = milestoneContractInfo(terms, params.announcement);
    const collateral = offerCollateralOf(terms);
    const funds = collateral > 0n || terms.funding === 'dual' || terms.offererRole === 'client';
    const external = await this.externalFunding(params.fundingPsbt, funds);
    const chosen =
      external !== null
        ? external
        : funds
          ? await this.chooseInputs(collateral, terms.feeRatePerVb, terms.funding === 'single')
          : { inputs: [], outpoints: [] };
    const fundingKeyIndex = this.store.takeCounter('next_funding_key');
    const side = sideOf(
      this.wallet,
      fundingKeyIndex,
      this.wallet.nextAddress('receive').spk,
      randomSerialId(),
      external?.changeSpk ?? this.wallet.nextAddress('change').spk,
      randomSerialId(),
      chosen.inputs,
    );
    const offer = createOffer({
      chainHash: this.chainHash,
      temporaryContractId: randomTemporaryContractId(),
      contractInfo,
      offerCollateral: collateral,
      side,
      fundOutputSerialId: randomSerialId(),
      feeRatePerVb: terms.feeRatePerVb,
      refundLocktime: params.announcement.event.maturityEpochSec + terms.refundMarginSec,
    });
    // The offer must pass the checks its receiver will make (except the chain lookup of inputs).
    validateOffer(
      offer,
      milestoneDlcTerms(terms, this.chainHash),
      await this.utxoLookup(offer.fundingInputs),
    );
    const bytes = encodeOfferDlc(offer);
    const contract = this.store.insertContract({
      temporaryContractId: bytesToHex(offer.temporaryContractId),
      role: 'offer',
      state: 'offered',
      termsJson: JSON.stringify(termsToJson(terms)),
      fundingKeyIndex,
      offerHex: bytesToHex(bytes),
      reservedOutpoints: chosen.outpoints,
    });
    if (external !== null) {
      this.store.metaSetOnce(externalKey(contract.id), JSON.stringify(external.derivations));
      this.store.metaSetOnce(
        externalScriptsKey(contract.id),
        JSON.stringify(external.witnessScripts),
      );
    }
    return { contract, offer: bytes };
  }

  /**
   * Validates a received offer against the agreed terms and the chain, then signs and stores the
   * accept (state `accepted`). Nothing is stored or signed when a check fails.
   */
  async accept(params: {
    offer: Uint8Array;
    terms: MilestoneTerms;
    onProgress?: ProgressCallback;
    /** A PSBT from an external wallet whose inputs and change fund this party's side. */
    fundingPsbt?: Uint8Array;
  }): Promise<{ contract: ContractRow; accept: Uint8Array }> {
    const terms = milestoneTermsSchema.parse(termsToJson(params.terms));
    const offer = decodeOfferDlc(params.offer);
    const dlcTerms = milestoneDlcTerms(terms, this.chainHash);
    const utxos = await this.utxoLookup(offer.fundingInputs);
    validateOffer(offer, dlcTerms, utxos);
    if (this.store.findContract(bytesToHex(offer.temporaryContractId)) !== undefined) {
      throw new ContractTermsMismatchError('temporary_contract_id already used');
    }
    const collateral = offer.contractInfo.totalCollateral - offer.offerCollateral;
    const funds =
      collateral > 0n || (terms.funding === 'single' && terms.offererRole === 'freelancer');
    const external = await this.externalFunding(params.fundingPsbt, funds);
    const chosen =
      external !== null
        ? external
        : funds
          ? await this.chooseInputs(collateral, offer.feeRatePerVb, terms.funding === 'single')
          : { inputs: [], outpoints: [] };
    const fundingKeyIndex = this.store.takeCounter('next_funding_key');
    const side = sideOf(
      this.wallet,
      fundingKeyIndex,
      this.wallet.nextAddress('receive').spk,
      randomSerialId(),
      external?.changeSpk ?? this.wallet.nextAddress('change').spk,
      randomSerialId(),
      chosen.inputs,
    );
    const { accept } = await acceptOfferAsync({
      offer,
      terms: dlcTerms,
      utxos,
      side,
      ...(params.onProgress === undefined ? {} : { onProgress: params.onProgress }),
      ...adaptorBackends(offer),
    });
    const acceptBytes = encodeAcceptDlc(accept);
    const contract = this.store.insertContract({
      temporaryContractId: bytesToHex(offer.temporaryContractId),
      role: 'accept',
      state: 'accepted',
      termsJson: JSON.stringify(termsToJson(terms)),
      fundingKeyIndex,
      offerHex: bytesToHex(params.offer),
      acceptHex: bytesToHex(acceptBytes),
      reservedOutpoints: chosen.outpoints,
    });
    if (external !== null) {
      this.store.metaSetOnce(externalKey(contract.id), JSON.stringify(external.derivations));
      this.store.metaSetOnce(
        externalScriptsKey(contract.id),
        JSON.stringify(external.witnessScripts),
      );
    }
    return { contract, accept: acceptBytes };
  }

  /** The external wallet's inputs and change from its PSBT, or null without one. */
  private async externalFunding(
    psbt: Uint8Array | undefined,
    funds: boolean,
  ): Promise<ExternalFunding | null> {
    if (psbt === undefined) return null;
    if (!funds) {
      throw new ContractStateError('this party brings no inputs to this contract: no PSBT needed');
    }
    return externalFundingOf(psbt, this.chain);
  }

  /** The BIP32 derivations of an externally funded contract's inputs; null: the wallet funds. */
  private externalDerivations(row: ContractRow): Record<string, Bip32Derivation[]> | null {
    const json = this.store.meta(externalKey(row.id));
    return json === null ? null : (JSON.parse(json) as Record<string, Bip32Derivation[]>);
  }

  /**
   * For a contract this party funds from an external wallet: the funding transaction as a PSBT
   * for that wallet to sign, once it is known: the offerer from the received `accept_dlc`
   * (verified as `sign` does), the accepter from the received `sign_dlc` (verified as `finalize`
   * does). Nothing is stored or signed.
   */
  async fundingPsbt(params: {
    message: Uint8Array;
    onProgress?: ProgressCallback;
  }): Promise<{ contract: ContractRow; psbt: Uint8Array; fundingTxid: string }> {
    const type = decodeDlcMessage(params.message).type;
    const progress = params.onProgress === undefined ? {} : { onProgress: params.onProgress };
    let row: ContractRow;
    let contract: DlcContract;
    if (type === 'accept_dlc') {
      const accept = decodeAcceptDlc(params.message);
      row = this.offeredRowFor(accept);
      const terms = milestoneTermsSchema.parse(JSON.parse(row.terms_json));
      const offer = decodeOfferDlc(hexToBytes(row.offer_hex));
      contract = await verifyAcceptAsync({
        offer,
        accept,
        convention: terms.convention,
        utxos: await this.utxoLookup(accept.fundingInputs),
        ...progress,
        ...adaptorBackends(offer),
      });
    } else if (type === 'sign_dlc') {
      const sign = decodeSignDlc(params.message);
      row = this.acceptedRowFor(sign);
      const terms = milestoneTermsSchema.parse(JSON.parse(row.terms_json));
      const offer = decodeOfferDlc(hexToBytes(row.offer_hex));
      const accept = decodeAcceptDlc(hexToBytes(row.accept_hex ?? ''));
      contract = await verifySignAsync({
        offer,
        accept,
        sign,
        convention: terms.convention,
        ...progress,
        ...adaptorBackends(offer),
      });
    } else {
      throw new ContractStateError('a funding PSBT follows an accept_dlc or a sign_dlc');
    }
    const derivations = this.externalDerivations(row);
    if (derivations === null) {
      throw new ContractStateError(`contract ${row.id} is funded by this wallet, not by a PSBT`);
    }
    return {
      contract: row,
      psbt: fundingPsbtFor(
        contract.funding,
        row.role,
        derivations,
        JSON.parse(this.store.meta(externalScriptsKey(row.id)) ?? '{}') as Record<string, string>,
      ),
      fundingTxid: contract.funding.txid,
    };
  }

  private offeredRowFor(accept: AcceptDlc): ContractRow {
    const row = this.store.findContract(bytesToHex(accept.temporaryContractId));
    if (row === undefined || row.role !== 'offer') {
      throw new ContractStateError('no offer of ours matches this accept');
    }
    if (row.state !== 'offered') throw new ContractStateError(`contract is ${row.state}`);
    return row;
  }

  private acceptedRowFor(sign: SignDlc): ContractRow {
    const row = this.store
      .listContracts()
      .find(
        (r) =>
          r.role === 'accept' &&
          r.state === 'accepted' &&
          this.contractIdOf(r) === bytesToHex(sign.contractId),
      );
    if (row === undefined) throw new ContractStateError('no accepted contract matches this sign');
    return row;
  }

  /** The external witnesses of an externally funded contract, from the signed PSBT. */
  private externalWitnessesOf(
    row: ContractRow,
    signedPsbt: Uint8Array | undefined,
  ): PartySide['externalWitnesses'] {
    if (this.externalDerivations(row) === null) {
      if (signedPsbt !== undefined) {
        throw new ContractStateError(`contract ${row.id} is funded by this wallet, not by a PSBT`);
      }
      return undefined;
    }
    if (signedPsbt === undefined) {
      throw new SignedPsbtRequiredError(
        `contract ${row.id} is funded from an external wallet: write its funding PSBT, have the ` +
          'wallet sign it, and give it back with --signed-psbt',
      );
    }
    return (funding) => witnessesFromSignedPsbt(signedPsbt, funding, row.role);
  }

  private ownSide(
    row: ContractRow,
    offer: OfferDlc,
    accept: AcceptDlc | null,
    externalWitnesses?: PartySide['externalWitnesses'],
  ): PartySide {
    const mine =
      row.role === 'offer'
        ? {
            payoutSpk: offer.payoutSpk,
            payoutSerialId: offer.payoutSerialId,
            changeSpk: offer.changeSpk,
            changeSerialId: offer.changeSerialId,
            inputs: offer.fundingInputs,
          }
        : accept === null
          ? null
          : {
              payoutSpk: accept.payoutSpk,
              payoutSerialId: accept.payoutSerialId,
              changeSpk: accept.changeSpk,
              changeSerialId: accept.changeSerialId,
              inputs: accept.fundingInputs,
            };
    if (mine === null) throw new ContractStateError('no accept yet');
    return sideOf(
      this.wallet,
      row.funding_key_index,
      mine.payoutSpk,
      mine.payoutSerialId,
      mine.changeSpk,
      mine.changeSerialId,
      mine.inputs,
      externalWitnesses,
    );
  }

  /**
   * The offerer: validates a received accept (inputs on chain, refund and every CET adaptor
   * signature), signs, stores (state `signed`) and returns the `sign_dlc` bytes.
   */
  async sign(params: {
    accept: Uint8Array;
    onProgress?: ProgressCallback;
    /** For a contract funded from an external wallet: the funding PSBT it signed. */
    signedPsbt?: Uint8Array;
  }): Promise<{ contract: ContractRow; sign: Uint8Array }> {
    const accept = decodeAcceptDlc(params.accept);
    const row = this.offeredRowFor(accept);
    const external = this.externalWitnessesOf(row, params.signedPsbt);
    const terms = milestoneTermsSchema.parse(JSON.parse(row.terms_json));
    const offer = decodeOfferDlc(hexToBytes(row.offer_hex));
    const backends = adaptorBackends(offer);
    const { sign, contract } = await signAcceptAsync({
      offer,
      accept,
      convention: terms.convention,
      utxos: await this.utxoLookup(accept.fundingInputs),
      side: this.ownSide(row, offer, null, external),
      ...(params.onProgress === undefined ? {} : { onProgress: params.onProgress }),
      ...backends,
    });
    const signBytes = encodeSignDlc(sign);
    const updated = this.store.update(
      row.id,
      'signed',
      {
        accept_hex: bytesToHex(params.accept),
        sign_hex: bytesToHex(signBytes),
        contract_id: bytesToHex(contract.contractId),
        funding_txid: contract.funding.txid,
        fund_output_index: contract.funding.fundOutputIndex,
      },
      'accept verified, sign sent',
    );
    return { contract: updated, sign: signBytes };
  }

  /**
   * The accepter: validates a received sign (contract id, refund and adaptor signatures, funding
   * witnesses), stores the signed funding transaction (state `signed`) and broadcasts it
   * (state `broadcast`).
   */
  async finalize(params: {
    sign: Uint8Array;
    onProgress?: ProgressCallback;
    /** For a contract funded from an external wallet: the funding PSBT it signed. */
    signedPsbt?: Uint8Array;
  }): Promise<{ contract: ContractRow; fundingTxid: string }> {
    const sign = decodeSignDlc(params.sign);
    const row = this.acceptedRowFor(sign);
    const external = this.externalWitnessesOf(row, params.signedPsbt);
    const terms = milestoneTermsSchema.parse(JSON.parse(row.terms_json));
    const offer = decodeOfferDlc(hexToBytes(row.offer_hex));
    const accept = decodeAcceptDlc(hexToBytes(row.accept_hex ?? ''));
    const { fundingTx, contract } = await finalizeSignAsync({
      offer,
      accept,
      sign,
      convention: terms.convention,
      side: this.ownSide(row, offer, accept, external),
      ...(params.onProgress === undefined ? {} : { onProgress: params.onProgress }),
      ...adaptorBackends(offer),
    });
    const fundingHex = bytesToHex(fundingTx.toBytes(true, true));
    this.store.update(
      row.id,
      'signed',
      {
        sign_hex: bytesToHex(params.sign),
        contract_id: bytesToHex(contract.contractId),
        funding_txid: contract.funding.txid,
        fund_output_index: contract.funding.fundOutputIndex,
        funding_tx_hex: fundingHex,
      },
      'sign verified',
    );
    await this.broadcast(fundingHex);
    const updated = this.store.update(row.id, 'broadcast', {}, 'funding transaction broadcast');
    return { contract: updated, fundingTxid: contract.funding.txid };
  }

  private contractIdOf(row: ContractRow): string | null {
    if (row.accept_hex === null) return null;
    // The id depends on the funding transaction only: no CETs are built here.
    return bytesToHex(
      deriveContractId(
        decodeOfferDlc(hexToBytes(row.offer_hex)),
        decodeAcceptDlc(hexToBytes(row.accept_hex)),
      ),
    );
  }

  /**
   * The wallet's history: coins received (every wallet coin a scan has seen), its own sends and
   * sweeps (with replaced ones marked), and per contract the DLC funding, payout or refund, each
   * with its contract and milestone. Oldest first; unconfirmed last.
   */
  async walletHistory(): Promise<WalletHistoryEntry[]> {
    await this.wallet.utxos(); // records the coins the chain has now
    const tip = await this.chain.getBlockCount();
    const heightOf = async (txid: string, outputs: number): Promise<number | null> => {
      const conf = await this.confirmations(txid, outputs);
      return conf === null || conf === 0 ? null : tip - conf + 1;
    };
    const entries: WalletHistoryEntry[] = [];
    const own = new Set<string>();
    for (const p of this.wallet.payments()) {
      own.add(p.txid);
      const outputs = decodeRawTx(hexToBytes(p.raw_hex)).outputs.length;
      const conf = p.replaced_by === null ? await this.confirmations(p.txid, outputs) : null;
      entries.push({
        kind: p.kind,
        direction: 'out',
        txid: p.txid,
        amountSat: BigInt(p.amount_sat),
        feeSat: BigInt(p.fee_sat),
        status:
          p.replaced_by !== null
            ? 'replaced'
            : conf === null
              ? 'unknown'
              : conf === 0
                ? 'unconfirmed'
                : 'confirmed',
        height: conf === null || conf === 0 ? null : tip - conf + 1,
        address: p.recipient,
        ...(p.replaced_by === null ? {} : { replacedBy: p.replaced_by }),
      });
    }
    for (const row of this.store.listContracts()) {
      if (row.funding_txid === null || row.sign_hex === null) continue;
      own.add(row.funding_txid);
      const { contract, terms } = this.contractOf(row);
      const where = milestoneOfEvent(terms.eventId);
      const tags = {
        contract: row.contract_id ?? row.temporary_contract_id,
        ...(where === null ? {} : { verdictContract: where.contract, milestone: where.milestone }),
      };
      const mine = contract.funding.inputs.filter((i) => i.party === row.role);
      // Funded from an external wallet: nothing left this wallet.
      if (mine.length > 0 && this.externalDerivations(row) === null) {
        const spent = mine.reduce((sum, i) => sum + i.prevout.amount, 0n);
        const change =
          (row.role === 'offer' ? contract.funding.offerChange : contract.funding.acceptChange) ??
          0n;
        const fees = contract.funding.fees[row.role];
        entries.push({
          kind: 'dlc_funding',
          direction: 'out',
          txid: row.funding_txid,
          amountSat: spent - change - fees.fundingFee,
          feeSat: fees.fundingFee,
          status: row.state === 'signed' || row.state === 'broadcast' ? 'unconfirmed' : 'confirmed',
          height: await heightOf(row.funding_txid, (row.fund_output_index ?? 0) + 1),
          ...tags,
        });
      }
      if (row.closing_txid !== null && row.closing_tx_hex !== null) {
        own.add(row.closing_txid);
        const payoutSpk =
          row.role === 'offer' ? contract.offer.payoutSpk : contract.accept.payoutSpk;
        const outs = decodeRawTx(hexToBytes(row.closing_tx_hex)).outputs;
        const paid = outs
          .filter((o) => bytesToHex(o.script) === bytesToHex(payoutSpk))
          .reduce((sum, o) => sum + o.amount, 0n);
        const done = row.state === 'settled' || row.state === 'refunded';
        if (paid > 0n) {
          entries.push({
            kind: row.closing_kind === 'refund' ? 'dlc_refund' : 'dlc_payout',
            direction: 'in',
            txid: row.closing_txid,
            amountSat: paid,
            feeSat: null,
            status: done ? 'confirmed' : 'unconfirmed',
            height: done ? await heightOf(row.closing_txid, outs.length) : null,
            ...tags,
          });
        }
        const cpfp = this.store.meta(`cpfp:${row.id}`);
        if (cpfp !== null) {
          // The child moved the payout to a fresh wallet address: only its fee left the wallet.
          const [childTxid = '', childFee = '0'] = cpfp.split(':');
          own.add(childTxid);
          entries.push({
            kind: 'dlc_cpfp',
            direction: 'out',
            txid: childTxid,
            amountSat: 0n,
            feeSat: BigInt(childFee),
            status: done ? 'confirmed' : 'unconfirmed',
            height: done ? await heightOf(childTxid, 1) : null,
            ...tags,
          });
        }
      }
    }
    for (const coin of this.store.coinsSeen()) {
      if (own.has(coin.txid)) continue; // change of a send or a funding, or a payout: listed
      entries.push({
        kind: 'receive',
        direction: 'in',
        txid: coin.txid,
        amountSat: BigInt(coin.value_sat),
        feeSat: null,
        status: 'confirmed',
        height: coin.height,
        address: coin.address,
      });
    }
    const key = (e: WalletHistoryEntry): number => e.height ?? Number.MAX_SAFE_INTEGER;
    return entries
      .map((e, i) => ({ e, i }))
      .sort((a, b) => key(a.e) - key(b.e) || a.i - b.i)
      .map(({ e }) => e);
  }

  /**
   * Withdraws an offer this party made and has not signed (state `offered`): its reserved coins
   * become spendable again. A contract this party has signed cannot be cancelled: the
   * counterparty holds signatures over it, so only the chain can end it.
   */
  cancel(ref: string): ContractRow {
    const row = this.store.findContract(ref);
    if (row === undefined) throw new ContractStateError(`no contract ${ref}`);
    if (row.role !== 'offer' || row.state !== 'offered') {
      throw new ContractStateError(
        `only an offer not yet signed can be cancelled (this one: ${row.role}, ${row.state})`,
      );
    }
    return this.store.update(row.id, 'cancelled', {}, 'offer withdrawn');
  }

  /**
   * Why a signed contract's funding transaction can no longer confirm: one of its inputs is spent
   * by another transaction, in a block (`confirmed`) or only in the mempool. null when every
   * input is still unspent (or spent by the funding transaction itself).
   */
  private async fundingConflict(
    row: ContractRow,
  ): Promise<{ detail: string; confirmed: boolean } | null> {
    if (row.funding_txid === null) return null;
    if ((await this.chain.getMempoolEntry(row.funding_txid)) !== null) return null;
    const { contract } = this.contractOf(row);
    let pending: string | null = null;
    for (const input of contract.funding.inputs) {
      const { txid, vout } = fundingInputOutpoints([input.fundingInput])[0]!;
      const whose = input.party === row.role ? 'our' : "the counterparty's";
      if ((await this.chain.getTxOut(txid, vout, false)) === null) {
        return {
          confirmed: true,
          detail:
            `cannot fund: ${whose} funding input ${txid}:${vout} was spent in a block by another ` +
            `transaction; "dlc abandon ${row.id}" frees this party's coins`,
        };
      }
      if (pending === null && (await this.chain.getTxOut(txid, vout, true)) === null) {
        pending =
          `${whose} funding input ${txid}:${vout} is spent by another transaction in the ` +
          `mempool; abandon becomes possible once that transaction confirms`;
      }
    }
    return pending === null ? null : { detail: pending, confirmed: false };
  }

  /**
   * Gives up a signed contract whose funding transaction can never confirm because one of its
   * inputs was spent in a block by another transaction (a counterparty's double spend): the
   * contract ends `cancelled` and its reserved coins are spendable again. Nothing is broadcast.
   * Refused while the funding transaction could still confirm.
   */
  async abandon(ref: string): Promise<ContractRow> {
    const row = this.store.findContract(ref);
    if (row === undefined) throw new ContractStateError(`no contract ${ref}`);
    if (row.state !== 'signed' && row.state !== 'broadcast') {
      throw new ContractStateError(
        `only a signed contract whose funding cannot confirm can be abandoned (this one: ${row.state})`,
      );
    }
    const conflict = await this.fundingConflict(row);
    if (conflict === null || !conflict.confirmed) {
      throw new ContractStateError(
        conflict === null
          ? 'the funding transaction can still confirm: nothing to abandon'
          : `not yet: ${conflict.detail}`,
      );
    }
    return this.store.update(row.id, 'cancelled', {}, `abandoned: ${conflict.detail}`);
  }

  /**
   * A CPFP child for the contract's closing transaction (CET or refund, ours or the
   * counterparty's): it spends this party's own output of it to a fresh wallet address with the
   * fee that lifts the package (parent + child) to `feeRateSatPerVb`. Nothing is sent.
   */
  planCpfp(ref: string, feeRateSatPerVb: bigint): CpfpPlan {
    const row = this.store.findContract(ref);
    if (row === undefined) throw new ContractStateError(`no contract ${ref}`);
    if (row.closing_tx_hex === null || row.closing_txid === null) {
      throw new CpfpError(`contract ${row.id} has no closing transaction yet`);
    }
    if (row.state === 'settled' || row.state === 'refunded') {
      throw new CpfpError(`contract ${row.id}'s closing transaction is confirmed`);
    }
    const { contract } = this.contractOf(row);
    const parent = Transaction.fromRaw(hexToBytes(row.closing_tx_hex), {
      allowUnknownOutputs: true,
      allowUnknownInputs: true,
      disableScriptCheck: true,
    });
    const outputs = decodeRawTx(hexToBytes(row.closing_tx_hex)).outputs;
    const payoutSpk = row.role === 'offer' ? contract.offer.payoutSpk : contract.accept.payoutSpk;
    const vout = outputs.findIndex((o) => bytesToHex(o.script) === bytesToHex(payoutSpk));
    const own = outputs[vout];
    if (own === undefined) {
      throw new CpfpError(`the closing transaction pays this party nothing to spend`);
    }
    const parentFeeSat =
      contract.funding.fundOutputValue - outputs.reduce((sum, o) => sum + o.amount, 0n);
    const to = this.wallet.nextAddress('receive');
    const childVsize = p2wpkhTxVsize(1, [to.spk.length]);
    const target = feeRateSatPerVb * BigInt(parent.vsize + childVsize);
    const childFeeSat = target - parentFeeSat;
    // The child must pay at least the minimum relay fee for itself.
    if (childFeeSat < BigInt(childVsize)) {
      throw new CpfpError(
        `the closing transaction already pays ${parentFeeSat} sat (${parentFeeSat / BigInt(parent.vsize)} sat/vB); ask for a higher rate`,
      );
    }
    if (own.amount - childFeeSat < DUST_LIMIT_SAT) {
      throw new CpfpError(
        `this party's output of ${own.amount} sat cannot pay a ${childFeeSat} sat child fee`,
      );
    }
    const child = this.wallet.signPayment(
      [{ txid: row.closing_txid, vout, valueSat: own.amount, spk: own.script }],
      [{ script: to.spk, amount: own.amount - childFeeSat }],
      0,
    );
    return {
      parentTxid: row.closing_txid,
      parentHex: row.closing_tx_hex,
      parentFeeSat,
      parentVsize: parent.vsize,
      childTxid: child.id,
      childHex: bytesToHex(child.extract()),
      childFeeSat,
      childVsize: child.vsize,
      packageFeeRateSatPerVb: (parentFeeSat + childFeeSat) / BigInt(parent.vsize + child.vsize),
    };
  }

  /**
   * Bumps the contract's stuck closing transaction by CPFP: `submitpackage` (parent and child
   * together, so a parent below the node's minimum fee enters with its child), or, on a node
   * without it, the parent and then the child.
   */
  async bumpClosing(ref: string, feeRateSatPerVb: bigint): Promise<CpfpPlan> {
    const plan = this.planCpfp(ref, feeRateSatPerVb);
    const row = this.store.findContract(ref)!;
    let result;
    try {
      result = await this.chain.submitPackage([plan.parentHex, plan.childHex]);
    } catch (error) {
      // JSON-RPC "Method not found": a node before Core 28.
      if (!(error instanceof RpcError) || error.rpcCode !== -32601) throw error;
      await this.broadcast(plan.parentHex);
      await this.broadcast(plan.childHex);
      result = null;
    }
    if (result !== null && result.packageMsg !== 'success') {
      const why = result.transactions
        .filter((t) => t.error !== null)
        .map((t) => `${t.txid}: ${t.error}`)
        .join('; ');
      throw new CpfpError(`the node refused the package: ${result.packageMsg} (${why})`);
    }
    this.store.note(
      row.id,
      `CPFP child ${plan.childTxid} (fee ${plan.childFeeSat} sat) lifts the ${row.closing_kind ?? 'closing'} transaction to ${plan.packageFeeRateSatPerVb} sat/vB`,
    );
    this.store.db
      .prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      )
      .run(`cpfp:${row.id}`, `${plan.childTxid}:${plan.childFeeSat}`);
    return plan;
  }

  /** The watcher's bump: offered after `afterBlocks`, made by itself only within the cap. */
  private async offerBump(row: ContractRow, policy: BumpPolicy): Promise<WatchAction | null> {
    const since = this.store.meta(`closing_height:${row.id}`);
    if (since === null) return null;
    const waited = (await this.chain.getBlockCount()) - Number(since);
    if (waited < policy.afterBlocks) return null;
    const child = this.store.meta(`cpfp:${row.id}`)?.split(':')[0];
    if (child !== undefined && (await this.chain.getMempoolEntry(child)) !== null) return null;
    let plan: CpfpPlan;
    try {
      plan = this.planCpfp(String(row.id), policy.feeRateSatPerVb);
    } catch (error) {
      if (error instanceof CpfpError) return null; // already pays enough, or nothing to spend
      throw error;
    }
    if (plan.childFeeSat <= policy.maxAutoFeeSat) {
      const made = await this.bumpClosing(String(row.id), policy.feeRateSatPerVb);
      return {
        contract: row.id,
        action: 'cpfp_broadcast',
        txid: made.childTxid,
        detail: `unconfirmed for ${waited} blocks: CPFP child pays ${made.childFeeSat} sat for ${made.packageFeeRateSatPerVb} sat/vB`,
      };
    }
    return {
      contract: row.id,
      action: 'bump_offered',
      ...(row.closing_txid === null ? {} : { txid: row.closing_txid }),
      detail:
        `unconfirmed for ${waited} blocks: "verdict dlc bump ${row.id} --fee-rate ${policy.feeRateSatPerVb}" ` +
        `would pay ${plan.childFeeSat} sat, above the automatic cap of ${policy.maxAutoFeeSat} sat`,
    };
  }

  /** The contract, rebuilt from the stored messages. */
  contractOf(row: ContractRow): {
    contract: DlcContract;
    terms: MilestoneTerms;
    counterpartyAdaptorSignatures: readonly Uint8Array[];
    counterpartyRefundSignature: Uint8Array;
  } {
    if (row.accept_hex === null || row.sign_hex === null) {
      throw new ContractStateError(`contract ${row.id} is not signed yet`);
    }
    const terms = milestoneTermsSchema.parse(JSON.parse(row.terms_json));
    const offer = decodeOfferDlc(hexToBytes(row.offer_hex));
    const accept = decodeAcceptDlc(hexToBytes(row.accept_hex));
    const sign: SignDlc = decodeSignDlc(hexToBytes(row.sign_hex));
    const contract = deriveContract(offer, accept, terms.convention, layoutPointOps());
    return row.role === 'offer'
      ? {
          contract,
          terms,
          counterpartyAdaptorSignatures: accept.cetAdaptorSignatures,
          counterpartyRefundSignature: accept.refundSignature,
        }
      : {
          contract,
          terms,
          counterpartyAdaptorSignatures: sign.cetAdaptorSignatures,
          counterpartyRefundSignature: sign.refundSignature,
        };
  }

  /** Sends a transaction; "already in the mempool / in the chain" counts as success. */
  private async broadcast(txHex: string): Promise<string> {
    try {
      return await this.chain.sendRawTransaction(txHex);
    } catch (error) {
      if (
        error instanceof RpcRejectedError &&
        (error.rpcCode === RPC_VERIFY_ALREADY_IN_CHAIN ||
          [
            'txn-already-in-mempool',
            'txn-already-known',
            'txn-same-nonwitness-data-in-mempool',
          ].includes(error.reason))
      ) {
        return txidHexOf(hexToBytes(txHex));
      }
      throw error;
    }
  }

  /**
   * Which of the contract's own transactions (its CETs, its refund) spent the funding output:
   * looked up by txid in the mempool and, through -txindex or devnet, the chain; without an index
   * (plain Core) the blocks since the funding are searched for the candidate txids.
   */
  private async findClosing(
    contract: DlcContract,
  ): Promise<{ kind: 'cet' | 'refund'; txid: string; raw: Uint8Array } | null> {
    const candidates = new Map<string, 'cet' | 'refund'>([
      ...contract.cets.cets.map((cet) => [cet.tx.id, 'cet'] as const),
      [contract.refundTx.id, 'refund'],
    ]);
    for (const [txid, kind] of candidates) {
      const info = await this.chain.getTransaction(txid);
      if (info !== null) return { kind, txid, raw: info.raw };
    }
    let hash = (await this.chain.getBlockchainInfo()).bestBlockHash;
    for (let depth = 0; depth < CLOSING_SEARCH_DEPTH; depth++) {
      const block = await this.chain.getBlockInfo(hash);
      if (block.txids.includes(contract.funding.txid)) return null;
      const hit = block.txids.find((t) => candidates.has(t));
      if (hit !== undefined) {
        const raw = await this.chain.getRawTransaction(hit, hash);
        return { kind: candidates.get(hit) ?? 'cet', txid: hit, raw };
      }
      if (block.previousBlockHash === null) return null;
      hash = block.previousBlockHash;
    }
    return null;
  }

  /** Confirmations of a transaction: through its outputs (no -txindex needed), else getrawtransaction. */
  private async confirmations(txid: string, outputs: number): Promise<number | null> {
    for (let vout = 0; vout < outputs; vout++) {
      const o = await this.chain.getTxOut(txid, vout, true);
      if (o !== null) return o.confirmations;
    }
    return this.chain.getTransactionConfirmations(txid);
  }

  /**
   * Stores the closing transaction (never replaced afterwards) and broadcasts it. A crash between
   * the two is repaired by the next watcher pass, which sends the same bytes again.
   */
  private async recordClosing(
    row: ContractRow,
    kind: 'cet' | 'refund',
    tx: Transaction,
    outcome: string | null,
  ): Promise<WatchAction> {
    const hex = bytesToHex(tx.toBytes(true, true));
    this.store.update(
      row.id,
      row.state,
      {
        closing_kind: kind,
        closing_txid: tx.id,
        closing_tx_hex: hex,
        ...(outcome === null ? {} : { outcome }),
      },
      `${kind} chosen`,
    );
    this.store.metaSetOnce(`closing_height:${row.id}`, String(await this.chain.getBlockCount()));
    await this.broadcast(hex);
    return {
      contract: row.id,
      action: kind === 'cet' ? 'cet_broadcast' : 'refund_broadcast',
      txid: tx.id,
    };
  }

  /** Completes and broadcasts the CET for an attestation (state stays `confirmed` until mined). */
  async settleWith(row: ContractRow, attestation: OracleAttestation): Promise<WatchAction> {
    if (row.closing_txid !== null) {
      await this.broadcast(row.closing_tx_hex ?? '');
      return { contract: row.id, action: 'closing_seen', txid: row.closing_txid };
    }
    const c = this.contractOf(row);
    const { tx, cetIndex } = executeCet({
      contract: c.contract,
      role: row.role,
      fundingSecretKey: this.wallet.fundingKey(row.funding_key_index).secretKey,
      counterpartyAdaptorSignatures: c.counterpartyAdaptorSignatures,
      attestations: [attestation],
    });
    const outcome = attestation.outcomes.join('');
    return { ...(await this.recordClosing(row, 'cet', tx, outcome)), detail: `CET ${cetIndex}` };
  }

  /** Broadcasts the refund transaction (the node refuses it before refund_locktime: non-final). */
  async refund(row: ContractRow): Promise<WatchAction> {
    if (row.closing_txid !== null) {
      await this.broadcast(row.closing_tx_hex ?? '');
      return { contract: row.id, action: 'closing_seen', txid: row.closing_txid };
    }
    const c = this.contractOf(row);
    const { medianTimeSec } = await this.chain.getBlockchainInfo();
    // BIP113: a time-locked transaction is final once its nLockTime is below the tip's MTP.
    // Checked before anything is stored: a refund chosen too early must not block the CET.
    if (c.contract.offer.refundLocktime >= medianTimeSec) {
      throw new RefundNotYetError(c.contract.offer.refundLocktime, medianTimeSec);
    }
    const tx = signRefund({
      contract: c.contract,
      role: row.role,
      fundingSecretKey: this.wallet.fundingKey(row.funding_key_index).secretKey,
      counterpartyRefundSignature: c.counterpartyRefundSignature,
    });
    return this.recordClosing(row, 'refund', tx, null);
  }

  /**
   * One watcher pass over every open contract: funding broadcast and confirmation; then, once
   * funded, the attestation (verified, the CET completed and broadcast) or, after the refund
   * locktime, the refund; a closing transaction the counterparty broadcast is recognized among the
   * contract's CETs and refund. Idempotent: run it as often as you like, after any crash.
   */
  async poll(oracle: OracleClient | null, bumpPolicy?: BumpPolicy): Promise<WatchAction[]> {
    const actions: WatchAction[] = [];
    for (const row of this.store.listContracts()) {
      if (row.state === 'offered' || row.state === 'accepted') continue;
      if (row.state === 'settled' || row.state === 'refunded' || row.state === 'cancelled') {
        continue;
      }
      try {
        actions.push(await this.pollContract(row, oracle, bumpPolicy));
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        actions.push({
          contract: row.id,
          action: 'error',
          detail: `${typeof code === 'string' ? code + ': ' : ''}${(error as Error).message}`,
        });
      }
    }
    return actions;
  }

  private async pollContract(
    row: ContractRow,
    oracle: OracleClient | null,
    bumpPolicy?: BumpPolicy,
  ): Promise<WatchAction> {
    const fundingTxid = row.funding_txid;
    const fundIndex = row.fund_output_index;
    if (fundingTxid === null || fundIndex === null) throw new ContractStateError('no funding txid');
    if (row.state === 'signed' || row.state === 'broadcast') {
      if (row.funding_tx_hex !== null && row.state === 'signed') {
        await this.broadcast(row.funding_tx_hex);
        this.store.update(row.id, 'broadcast', {}, 'funding transaction broadcast (resumed)');
        return { contract: row.id, action: 'funding_broadcast', txid: fundingTxid };
      }
      const conf = await this.confirmations(fundingTxid, fundIndex + 1);
      if (conf === null) {
        const conflict = await this.fundingConflict(row);
        if (conflict !== null) {
          const last = this.store.events(row.id).at(-1);
          if (last?.detail !== conflict.detail) this.store.note(row.id, conflict.detail);
          return {
            contract: row.id,
            action: 'funding_double_spent',
            detail: conflict.detail,
          };
        }
        return { contract: row.id, action: 'waiting', detail: 'funding not seen' };
      }
      if (conf === 0) {
        if (row.state === 'signed')
          this.store.update(row.id, 'broadcast', {}, 'funding seen in mempool');
        return { contract: row.id, action: 'funding_seen', txid: fundingTxid };
      }
      this.store.update(row.id, 'confirmed', {}, `funding confirmed (${conf})`);
      return { contract: row.id, action: 'funding_confirmed', txid: fundingTxid };
    }
    // confirmed: settle
    const c = this.contractOf(row);
    if (row.closing_txid !== null && row.closing_tx_hex !== null) {
      const outputs = c.contract.refundTx.outputsLength + 1;
      const conf = await this.confirmations(row.closing_txid, outputs);
      if (conf !== null && conf > 0) {
        const to = row.closing_kind === 'refund' ? 'refunded' : 'settled';
        this.store.update(row.id, to, {}, `${row.closing_kind} confirmed (${conf})`);
        return { contract: row.id, action: to, txid: row.closing_txid };
      }
      if (conf === null && (await this.chain.getTxOut(fundingTxid, fundIndex, true)) === null) {
        // Ours is nowhere, yet the funding output is spent: the counterparty's closing won.
        const found = await this.findClosing(c.contract);
        if (found !== null && found.txid !== row.closing_txid) {
          const foundConf = await this.confirmations(found.txid, 2);
          if (foundConf === null || foundConf === 0) {
            return {
              contract: row.id,
              action: 'closing_seen',
              txid: found.txid,
              detail: `the counterparty's ${found.kind} is in the mempool`,
            };
          }
          const to = found.kind === 'refund' ? 'refunded' : 'settled';
          this.store.update(
            row.id,
            to,
            {
              closing_kind: found.kind,
              closing_txid: found.txid,
              closing_tx_hex: bytesToHex(found.raw),
            },
            `the counterparty's ${found.kind} confirmed (${foundConf}) instead of ours`,
          );
          return { contract: row.id, action: to, txid: found.txid };
        }
      }
      if (bumpPolicy !== undefined) {
        const offered = await this.offerBump(row, bumpPolicy);
        if (offered !== null) return offered;
      }
      try {
        await this.broadcast(row.closing_tx_hex);
      } catch (error) {
        if (!(error instanceof RpcRejectedError)) throw error;
        return {
          contract: row.id,
          action: 'waiting',
          txid: row.closing_txid,
          detail: `the node refuses the ${row.closing_kind ?? 'closing'} transaction (${error.reason}); "dlc bump ${row.id} --fee-rate N" pays for it by CPFP`,
        };
      }
      return { contract: row.id, action: 'closing_seen', txid: row.closing_txid };
    }
    const fundingOut = await this.chain.getTxOut(fundingTxid, fundIndex, true);
    if (fundingOut === null) {
      // Spent: the counterparty closed. Find which of the contract's transactions did.
      const found = await this.findClosing(c.contract);
      if (found !== null) {
        this.store.update(
          row.id,
          row.state,
          {
            closing_kind: found.kind,
            closing_txid: found.txid,
            closing_tx_hex: bytesToHex(found.raw),
          },
          `counterparty broadcast the ${found.kind}`,
        );
        return { contract: row.id, action: 'closing_seen', txid: found.txid };
      }
      throw new DlcProtocolError(
        'funding_spent_elsewhere',
        'the funding output is spent by an unknown transaction',
      );
    }
    if (oracle !== null) {
      const attestation = await oracle.attestation(c.terms.eventId);
      if (attestation !== null) return this.settleWith(row, attestation);
    }
    const { medianTimeSec } = await this.chain.getBlockchainInfo();
    if (c.contract.offer.refundLocktime < medianTimeSec) return this.refund(row);
    return { contract: row.id, action: 'waiting', detail: 'no attestation yet' };
  }
}
