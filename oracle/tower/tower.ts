/**
 * The watchtower service (issue 16): takes verified uploads, and on each pass completes and
 * broadcasts the attested CET of every DLC it holds, or the refund once its locktime has passed
 * with no attestation; it records what it sent and tells the party when a transaction has not
 * confirmed after `bumpAfterBlocks` blocks (it never spends anything to bump it).
 *
 * Crash safety: the closing transaction is written (`chosen`) before it is sent, and never
 * replaced (a trigger). A pass after any crash sends the same bytes again; a node answers "already
 * known" or accepts them, which is the same transaction: a second broadcast is harmless.
 *
 * Runs inside the oracle service (attestations read from its own tables) or on its own
 * (`verdict tower`, attestations fetched from the oracle over HTTP). `src/dlc/tower.ts` holds the
 * pure checks and the completion.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { RawTx } from '@scure/btc-signer';
import type { Logger } from 'pino';
import type { ChainBackend } from '../../src/chain/chain-backend.ts';
import { RpcRejectedError, RPC_VERIFY_ALREADY_IN_CHAIN } from '../../src/chain/errors.ts';
import {
  decodeAcceptDlc,
  decodeOfferDlc,
  decodeSignDlc,
  type AcceptDlc,
  type OfferDlc,
  type SignDlc,
} from '../../src/dlc/messages.ts';
import type { OracleAttestation } from '../../src/dlc/oracle-types.ts';
import {
  completeAttestedCet,
  completeTowerRefund,
  InvalidTowerUploadError,
  verifyTowerUpload,
  type TowerSide,
  type VerifiedTowerUpload,
} from '../../src/dlc/tower.ts';
import { ecdsaAdaptor } from '../../src/native/ecdsa-adaptor.ts';
import type { Db } from '../db/open.ts';
import { TowerStore, type TowerJobRow, type TowerUploadRow } from './store.ts';

/** Test-only crash points (`VERDICT_TOWER_FAILPOINT`): the process dies there. */
export type TowerFailpoint = 'after_choose' | 'after_send';

export interface TowerDeps {
  readonly db: Db;
  /** The chain; null while the service has none (uploads are still taken, nothing is sent). */
  readonly chain: () => ChainBackend | null;
  readonly attestation: (eventId: string) => Promise<OracleAttestation | null>;
  readonly oraclePublicKey: Uint8Array;
  readonly now: () => number;
  readonly logger: Logger;
  /** Blocks after the first broadcast without a confirmation before "bump needed". */
  readonly bumpAfterBlocks: number;
  readonly failpoint?: (at: TowerFailpoint) => void;
}

/** An upload as it arrives (hex at the edge). */
export interface UploadInput {
  readonly contractId: string;
  readonly milestoneIndex: number;
  readonly eventId: string;
  readonly uploaderRole: 'client' | 'freelancer' | 'party';
  readonly side: TowerSide;
  readonly offerHex: string;
  readonly acceptHex: string;
  readonly signHex: string;
  /** 64 bytes per CET, concatenated. */
  readonly cetSignaturesHex: string;
}

/** What one pass did to one job. */
export interface TowerAction {
  readonly dlcContractId: string;
  readonly action:
    | 'cet_chosen'
    | 'refund_chosen'
    | 'broadcast'
    | 'confirmed'
    | 'bump_needed'
    | 'closed_elsewhere'
    | 'rejected'
    | 'error';
  readonly txid?: string;
  readonly detail?: string;
}

export interface TowerStatusView {
  readonly held: boolean;
  readonly chain: boolean;
  readonly uploads: readonly {
    dlcContractId: string;
    side: TowerSide;
    uploaderRole: string;
    cets: number;
    uploadedAt: number;
  }[];
  readonly jobs: readonly {
    dlcContractId: string;
    state: string;
    kind: 'cet' | 'refund' | null;
    txid: string | null;
    outcome: string | null;
    fundingTxid: string;
    refundLocktime: number;
    firstBroadcastHeight: number | null;
    confirmedHeight: number | null;
    bumpNeeded: boolean;
    detail: string | null;
    broadcasts: readonly { txid: string; height: number; result: string; at: number }[];
  }[];
}

function decodeMessages(offerHex: string, acceptHex: string, signHex: string) {
  let offer: OfferDlc;
  let accept: AcceptDlc;
  let sign: SignDlc;
  try {
    offer = decodeOfferDlc(hexToBytes(offerHex));
    accept = decodeAcceptDlc(hexToBytes(acceptHex));
    sign = decodeSignDlc(hexToBytes(signHex));
  } catch (e) {
    throw new InvalidTowerUploadError(
      'tower_contract_mismatch',
      `a message does not decode: ${(e as Error).message}`,
    );
  }
  return { offer, accept, sign };
}

function splitSignatures(hex: string): Uint8Array[] {
  if (!/^([0-9a-f]{128})*$/.test(hex)) {
    throw new InvalidTowerUploadError(
      'invalid_cet_signature',
      'cetSignaturesHex must be 64-byte signatures in lowercase hex',
    );
  }
  const out: Uint8Array[] = [];
  for (let i = 0; i < hex.length; i += 128) out.push(hexToBytes(hex.slice(i, i + 128)));
  return out;
}

/** A node's "I have it already" answers: the same transaction, so success. */
function alreadyKnown(error: unknown): boolean {
  return (
    error instanceof RpcRejectedError &&
    (error.rpcCode === RPC_VERIFY_ALREADY_IN_CHAIN ||
      [
        'txn-already-in-mempool',
        'txn-already-known',
        'txn-same-nonwitness-data-in-mempool',
      ].includes(error.reason))
  );
}

/**
 * Confirmations of a transaction: through its outputs (no -txindex needed), else
 * getrawtransaction; null when the node knows nothing of it.
 */
async function confirmations(
  chain: ChainBackend,
  txid: string,
  txHex: string,
): Promise<number | null> {
  const outputs = RawTx.decode(hexToBytes(txHex)).outputs.length;
  for (let vout = 0; vout < outputs; vout++) {
    const o = await chain.getTxOut(txid, vout, true);
    if (o !== null) return o.confirmations;
  }
  return chain.getTransactionConfirmations(txid);
}

export class Tower {
  readonly store: TowerStore;
  private running: Promise<TowerAction[]> | null = null;
  private readonly log: Logger;

  constructor(private readonly deps: TowerDeps) {
    this.store = new TowerStore(deps.db);
    this.log = deps.logger.child({ subsystem: 'tower' });
  }

  /**
   * Verifies an upload against the rebuilt contract and this oracle's event, then stores it.
   * Nothing is stored when a check fails.
   * @throws InvalidTowerUploadError
   */
  upload(input: UploadInput): { dlcContractId: string; created: boolean; cets: number } {
    const { offer, accept, sign } = decodeMessages(input.offerHex, input.acceptHex, input.signHex);
    const verified = verifyTowerUpload(
      {
        offer,
        accept,
        sign,
        side: input.side,
        cetSignatures: splitSignatures(input.cetSignaturesHex),
      },
      { oraclePublicKey: this.deps.oraclePublicKey, eventId: input.eventId, convention: 'tagged' },
      ecdsaAdaptor(),
    );
    const { contract } = verified;
    const dlcContractId = bytesToHex(contract.contractId);
    const created = this.store.insertUpload(
      {
        contractId: input.contractId,
        milestoneIndex: input.milestoneIndex,
        eventId: input.eventId,
        dlcContractId,
        side: input.side,
        uploaderRole: input.uploaderRole,
        offerHex: input.offerHex,
        acceptHex: input.acceptHex,
        signHex: input.signHex,
        cetSignaturesHex: input.cetSignaturesHex,
        fundingTxid: contract.funding.txid,
        fundOutputIndex: contract.funding.fundOutputIndex,
        refundLocktime: offer.refundLocktime,
      },
      this.deps.now(),
    );
    this.log.info(
      { dlcContractId, eventId: input.eventId, side: input.side, created },
      'upload stored',
    );
    return { dlcContractId, created, cets: contract.cets.cets.length };
  }

  status(contractId: string, milestoneIndex: number): TowerStatusView {
    const uploads = this.store.uploadsOfMilestone(contractId, milestoneIndex);
    const jobs = this.store.jobsOfMilestone(contractId, milestoneIndex);
    return {
      held: uploads.length > 0,
      chain: this.deps.chain() !== null,
      uploads: uploads.map((u) => ({
        dlcContractId: u.dlc_contract_id,
        side: u.side,
        uploaderRole: u.uploader_role,
        cets: u.cet_signatures_hex.length / 128,
        uploadedAt: u.created_at,
      })),
      jobs: jobs.map((j) => ({
        dlcContractId: j.dlc_contract_id,
        state: j.state,
        kind: j.kind,
        txid: j.txid,
        outcome: j.outcome,
        fundingTxid: j.funding_txid,
        refundLocktime: j.refund_locktime,
        firstBroadcastHeight: j.first_broadcast_height,
        confirmedHeight: j.confirmed_height,
        bumpNeeded: j.bump_needed === 1,
        detail: j.detail,
        broadcasts: this.store
          .broadcasts(j.dlc_contract_id)
          .map((b) => ({ txid: b.txid, height: b.height, result: b.result, at: b.at })),
      })),
    };
  }

  /** One pass over every open job; concurrent calls share the pass in flight. */
  tick(): Promise<TowerAction[]> {
    if (this.running !== null) return this.running;
    const run = this.pass().finally(() => {
      this.running = null;
    });
    this.running = run;
    return run;
  }

  private async pass(): Promise<TowerAction[]> {
    const chain = this.deps.chain();
    if (chain === null) return [];
    const jobs = this.store.openJobs();
    if (jobs.length === 0) return [];
    const info = await chain.getBlockchainInfo();
    const actions: TowerAction[] = [];
    for (const job of jobs) {
      try {
        actions.push(...(await this.step(chain, job, info.blocks, info.medianTimeSec)));
      } catch (err) {
        this.log.error({ err, dlcContractId: job.dlc_contract_id }, 'tower job failed');
        actions.push({
          dlcContractId: job.dlc_contract_id,
          action: 'error',
          detail: (err as Error).message,
        });
      }
    }
    return actions;
  }

  /** The first stored upload of the job, verified again (the database is not trusted blindly). */
  private verified(job: TowerJobRow): VerifiedTowerUpload {
    const row: TowerUploadRow | undefined = this.store.uploadsOfJob(job.dlc_contract_id)[0];
    if (row === undefined) throw new RangeError(`tower job ${job.dlc_contract_id} has no upload`);
    const { offer, accept, sign } = decodeMessages(row.offer_hex, row.accept_hex, row.sign_hex);
    return verifyTowerUpload(
      {
        offer,
        accept,
        sign,
        side: row.side,
        cetSignatures: splitSignatures(row.cet_signatures_hex),
      },
      { oraclePublicKey: this.deps.oraclePublicKey, eventId: row.event_id, convention: 'tagged' },
      ecdsaAdaptor(),
    );
  }

  private async step(
    chain: ChainBackend,
    start: TowerJobRow,
    height: number,
    medianTimeSec: number,
  ): Promise<TowerAction[]> {
    const actions: TowerAction[] = [];
    const now = this.deps.now();
    let job = start;
    const id = job.dlc_contract_id;
    if (job.state === 'watching') {
      const attestation = await this.deps.attestation(job.event_id);
      if (attestation !== null) {
        const { tx, outcome, cetIndex } = completeAttestedCet(this.verified(job), attestation);
        this.store.choose(
          id,
          'cet',
          tx.id,
          bytesToHex(tx.toBytes(true, true)),
          outcome,
          `CET ${cetIndex} completed from the attestation`,
          now,
        );
        actions.push({ dlcContractId: id, action: 'cet_chosen', txid: tx.id });
      } else if (job.refund_locktime < medianTimeSec) {
        // BIP113: final once the locktime is below the tip's median time past; no attestation.
        const tx = completeTowerRefund(this.verified(job));
        this.store.choose(
          id,
          'refund',
          tx.id,
          bytesToHex(tx.toBytes(true, true)),
          null,
          'refund locktime passed with no attestation',
          now,
        );
        actions.push({ dlcContractId: id, action: 'refund_chosen', txid: tx.id });
      } else {
        return actions;
      }
      this.log.info({ dlcContractId: id, eventId: job.event_id }, 'closing transaction chosen');
      this.deps.failpoint?.('after_choose');
      job = this.store.job(id);
    }
    const txid = job.txid;
    const txHex = job.tx_hex;
    if (txid === null || txHex === null) return actions;
    const conf = await confirmations(chain, txid, txHex);
    if (conf !== null && conf > 0) {
      this.store.update(
        job,
        {
          state: 'confirmed',
          confirmed_height: height - conf + 1,
          bump_needed: 0,
          detail: `${job.kind} confirmed`,
        },
        now,
      );
      actions.push({ dlcContractId: id, action: 'confirmed', txid });
      return actions;
    }
    // Sent once per block at most: a node that has it keeps it; a new block is the moment to
    // send again (evicted, or a node that restarted) and to see whether it is late.
    const last = this.store.broadcasts(id).at(-1);
    if (last !== undefined && last.height >= height) return actions;
    let result: string;
    try {
      await chain.sendRawTransaction(txHex);
      result = 'accepted';
    } catch (error) {
      if (alreadyKnown(error)) result = 'already known';
      else if (error instanceof RpcRejectedError)
        result = `rejected: ${error.reason || error.message}`;
      else throw error;
    }
    this.deps.failpoint?.('after_send');
    const sent = result === 'accepted' || result === 'already known';
    if (!sent) {
      // Spent by something that is not ours (and ours is in no block, no mempool): closed.
      const funding = await chain.getTxOut(job.funding_txid, job.fund_output_index, true);
      const fundingSeen = await chain.getTransactionConfirmations(job.funding_txid);
      if (funding === null && fundingSeen !== null && conf === null) {
        this.store.recordBroadcast(
          job,
          height,
          result,
          {
            state: 'closed_elsewhere',
            detail: 'the funding output is spent by another transaction',
          },
          now,
        );
        actions.push({ dlcContractId: id, action: 'closed_elsewhere', txid, detail: result });
        return actions;
      }
      this.store.recordBroadcast(job, height, result, { detail: result }, now);
      actions.push({ dlcContractId: id, action: 'rejected', txid, detail: result });
      return actions;
    }
    const first = job.first_broadcast_height ?? height;
    const late = height - first >= this.deps.bumpAfterBlocks;
    this.store.recordBroadcast(
      job,
      height,
      result,
      {
        state: 'broadcast',
        first_broadcast_height: first,
        bump_needed: late ? 1 : 0,
        detail: late
          ? `not confirmed after ${height - first} blocks: bump needed (CPFP from your payout output)`
          : `${job.kind} broadcast`,
      },
      now,
    );
    actions.push({ dlcContractId: id, action: late ? 'bump_needed' : 'broadcast', txid });
    return actions;
  }
}
