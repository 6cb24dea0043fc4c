/**
 * A party's side of the watchtower (issue 16): hand a tower this party's signature of every CET
 * of a signed contract (the tower already has, in the messages, the counterparty's adaptor
 * signatures and both refund signatures), remember which towers hold the contract, and ask them
 * what they did. One implementation for the CLI (`verdict dlc tower`, `dlc status`) and the
 * parties' app.
 */
import { bytesToHex, concatBytes } from '@noble/hashes/utils.js';
import { towerCetSignatures } from '../dlc/tower.ts';
import { milestoneTermsSchema } from './milestone-terms.ts';
import {
  towerStatusSchema,
  type TowerClient,
  type TowerStatus,
  type TowerUploadBody,
} from './oracle-client.ts';
import { ContractStateError, type Party } from './party.ts';
import type { ContractRow, PartyTowerRow } from './store.ts';

/** The oracle contract and milestone of a Verdict event id: `verdict/<contract>/<index>/<hash>`. */
export function milestoneOfEventId(eventId: string): { contractId: string; index: number } | null {
  const m = /^verdict\/([0-9a-f]{16})\/(0|[1-9]\d{0,2})\/[0-9a-f]{16}$/.exec(eventId);
  if (m === null) return null;
  return { contractId: m[1] as string, index: Number(m[2]) };
}

/** The upload for a signed contract: its messages and this party's signature of every CET. */
export function towerUploadBody(party: Party, row: ContractRow): TowerUploadBody {
  if (row.accept_hex === null || row.sign_hex === null) {
    throw new ContractStateError(`contract ${row.id} is not signed yet: nothing to hand a tower`);
  }
  const { contract } = party.contractOf(row);
  const sigs = towerCetSignatures(
    contract,
    row.role,
    party.wallet.fundingKey(row.funding_key_index).secretKey,
  );
  return {
    side: row.role,
    offerHex: row.offer_hex,
    acceptHex: row.accept_hex,
    signHex: row.sign_hex,
    cetSignaturesHex: bytesToHex(concatBytes(...sigs)),
  };
}

/**
 * Hands a tower this party's signatures for the contract (refused with `TowerRefusedError` when
 * the tower's checks fail) and records it. `milestoneIndex` defaults to the event id's.
 */
export async function enableTower(
  party: Party,
  row: ContractRow,
  tower: TowerClient,
  opts: { token: string; milestoneIndex?: number },
): Promise<{ record: PartyTowerRow; created: boolean; cets: number }> {
  if (['settled', 'refunded', 'cancelled'].includes(row.state)) {
    throw new ContractStateError(`contract ${row.id} is ${row.state}: nothing left to watch`);
  }
  const terms = milestoneTermsSchema.parse(JSON.parse(row.terms_json));
  const m = milestoneOfEventId(terms.eventId);
  if (m === null && opts.milestoneIndex === undefined) {
    throw new ContractStateError(`event ${terms.eventId} is not a Verdict milestone event`);
  }
  const contractId = m?.contractId ?? '';
  const milestoneIndex = opts.milestoneIndex ?? m?.index ?? 0;
  const body = towerUploadBody(party, row);
  const ref = { contractId, milestoneIndex, token: opts.token };
  const r = await tower.upload(ref, body);
  const record = party.store.recordTowerUpload({
    contract: row.id,
    towerUrl: tower.baseUrl,
    milestoneContractId: contractId,
    milestoneIndex,
    dlcContractId: r.dlcContractId,
  });
  return { record, created: r.created, cets: r.cets };
}

/** What one tower did for this contract: its job for the contract's DLC. */
export interface TowerReport {
  readonly towerUrl: string;
  readonly held: boolean;
  readonly state: string | null;
  readonly kind: 'cet' | 'refund' | null;
  readonly txid: string | null;
  readonly bumpNeeded: boolean;
  readonly detail: string | null;
  /** Epoch seconds of the status (now when fresh, else when last fetched). */
  readonly at: number | null;
  readonly fresh: boolean;
}

function reportOf(rec: PartyTowerRow, status: TowerStatus | null, fresh: boolean): TowerReport {
  const job = status?.jobs.find((j) => j.dlcContractId === rec.dlc_contract_id);
  return {
    towerUrl: rec.tower_url,
    held:
      status === null ? true : status.uploads.some((u) => u.dlcContractId === rec.dlc_contract_id),
    state: job?.state ?? null,
    kind: job?.kind ?? null,
    txid: job?.txid ?? null,
    bumpNeeded: job?.bumpNeeded ?? false,
    detail: job?.detail ?? null,
    at: rec.status_at,
    fresh,
  };
}

/**
 * The towers holding the contract with what each did: asked now through `client(url)` (and
 * stored) when it answers, else the last stored answer.
 */
export async function towerReports(
  party: Party,
  row: ContractRow,
  client: ((url: string) => TowerClient) | null,
  tokenFor: (towerUrl: string) => string | undefined,
): Promise<TowerReport[]> {
  const out: TowerReport[] = [];
  for (const rec of party.store.towerUploads(row.id)) {
    const token = tokenFor(rec.tower_url);
    if (client !== null && token !== undefined) {
      try {
        const status = await client(rec.tower_url).status({
          contractId: rec.milestone_contract_id,
          milestoneIndex: rec.milestone_index,
          token,
        });
        party.store.recordTowerStatus(rec.id, JSON.stringify(status));
        const fresh = party.store.towerUploads(row.id).find((r) => r.id === rec.id) ?? rec;
        out.push(reportOf(fresh, status, true));
        continue;
      } catch {
        // unreachable tower: fall back to what it said last
      }
    }
    const last =
      rec.status_json === null ? null : towerStatusSchema.parse(JSON.parse(rec.status_json));
    out.push(reportOf(rec, last, false));
  }
  return out;
}
