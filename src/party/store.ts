/**
 * A party's own SQLite store (`<dataDir>/party.sqlite`): its DLCs with their messages and state,
 * the outpoints its open DLCs have reserved, and wallet counters. Never on the oracle.
 *
 * State machine of a contract (one row per DLC, this party's view):
 * ```
 * offered → accepted → signed → broadcast → confirmed → settled | refunded
 * ```
 * `offered`: the offer exists (made or received); `accepted`: the accept exists; `signed`: the
 * sign message exists (all signatures exchanged, the funding transaction can be assembled);
 * `broadcast`: the funding transaction is in a mempool; `confirmed`: it is in a block;
 * `settled` / `refunded`: a CET / the refund transaction is in a block; `cancelled`: an offer its
 * offerer withdrew before signing anything (its coins are free again). Transitions only move
 * forward (a trigger refuses anything else), and each one appends a `contract_events` row in the
 * same transaction.
 *
 * The closing transaction (CET or refund) is written here *before* it is broadcast, and never
 * replaced while it can still be broadcast: after a crash the watcher re-sends the same bytes, so
 * there is never a second, conflicting closing transaction from this party. Only when the chain
 * confirmed another closing transaction of the contract (the counterparty's) is that one recorded,
 * together with the final state.
 */
import Database from 'better-sqlite3';
import { z } from 'zod';

export const CONTRACT_STATES = [
  'offered',
  'accepted',
  'signed',
  'broadcast',
  'confirmed',
  'settled',
  'refunded',
  'cancelled',
] as const;
export type ContractState = (typeof CONTRACT_STATES)[number];

/** Migrations, applied in order, each once, each in its own transaction (forward only). */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  CREATE TABLE contracts (
    id INTEGER PRIMARY KEY,
    temporary_contract_id TEXT NOT NULL UNIQUE,
    contract_id TEXT UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('offer', 'accept')),
    state TEXT NOT NULL CHECK (state IN ('offered','accepted','signed','broadcast','confirmed','settled','refunded','cancelled')),
    terms_json TEXT NOT NULL,
    funding_key_index INTEGER NOT NULL UNIQUE,
    offer_hex TEXT NOT NULL,
    accept_hex TEXT,
    sign_hex TEXT,
    funding_txid TEXT,
    fund_output_index INTEGER,
    funding_tx_hex TEXT,
    closing_kind TEXT CHECK (closing_kind IN ('cet', 'refund')),
    closing_txid TEXT,
    closing_tx_hex TEXT,
    outcome TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK ((closing_txid IS NULL) = (closing_tx_hex IS NULL))
  ) STRICT;
  CREATE TABLE contract_events (
    id INTEGER PRIMARY KEY,
    contract INTEGER NOT NULL REFERENCES contracts(id),
    from_state TEXT,
    to_state TEXT NOT NULL,
    detail TEXT NOT NULL,
    at INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE reserved_outpoints (
    outpoint TEXT PRIMARY KEY,
    contract INTEGER NOT NULL REFERENCES contracts(id)
  ) STRICT;
  -- A closing transaction, once chosen, is never replaced by another, except by the one that
  -- the chain confirmed instead (the counterparty's, which won a race): recorded with the final
  -- state, when nothing can be broadcast any more.
  CREATE TRIGGER closing_tx_immutable BEFORE UPDATE OF closing_txid, closing_tx_hex ON contracts
  WHEN OLD.closing_txid IS NOT NULL AND NEW.closing_txid IS NOT OLD.closing_txid
    AND NEW.state NOT IN ('settled', 'refunded')
  BEGIN SELECT RAISE(ABORT, 'closing transaction already chosen'); END;
  -- States only move forward.
  CREATE TRIGGER state_forward_only BEFORE UPDATE OF state ON contracts
  WHEN (SELECT CASE NEW.state WHEN 'offered' THEN 0 WHEN 'accepted' THEN 1 WHEN 'signed' THEN 2
          WHEN 'broadcast' THEN 3 WHEN 'confirmed' THEN 4 ELSE 5 END)
     < (SELECT CASE OLD.state WHEN 'offered' THEN 0 WHEN 'accepted' THEN 1 WHEN 'signed' THEN 2
          WHEN 'broadcast' THEN 3 WHEN 'confirmed' THEN 4 ELSE 5 END)
     OR OLD.state IN ('settled', 'refunded', 'cancelled')
  BEGIN SELECT RAISE(ABORT, 'contract state cannot move backwards'); END;
  `,
  // Issue 16: the towers this party handed a contract to (its CET signatures), and the last
  // status each reported. Added as a second migration: older data dirs gain the table on open.
  `
  CREATE TABLE tower_uploads (
    id INTEGER PRIMARY KEY,
    contract INTEGER NOT NULL REFERENCES contracts(id),
    tower_url TEXT NOT NULL,
    milestone_contract_id TEXT NOT NULL,
    milestone_index INTEGER NOT NULL,
    dlc_contract_id TEXT NOT NULL,
    uploaded_at INTEGER NOT NULL,
    status_json TEXT,
    status_at INTEGER,
    UNIQUE (contract, tower_url)
  ) STRICT;
  `,
  // Issue 14: the wallet's own payments (send, sweep, their RBF replacements) and every wallet
  // coin a scan has seen, for `wallet history` (no node wallet keeps it for us).
  `
  CREATE TABLE wallet_txs (
    txid TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('send', 'sweep')),
    raw_hex TEXT NOT NULL,
    recipient TEXT NOT NULL,
    amount_sat TEXT NOT NULL,
    fee_sat TEXT NOT NULL,
    fee_rate_sat_per_vb TEXT NOT NULL,
    replaces TEXT REFERENCES wallet_txs(txid),
    replaced_by TEXT,
    created_at INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE wallet_coins_seen (
    outpoint TEXT PRIMARY KEY,
    txid TEXT NOT NULL,
    vout INTEGER NOT NULL,
    value_sat TEXT NOT NULL,
    height INTEGER NOT NULL,
    address TEXT NOT NULL,
    first_seen INTEGER NOT NULL
  ) STRICT;
  `,
  // Issue 15: the oracle contracts this party belongs to (made in the app, or opened from an
  // invitation), with this party's capability token for them. The token is a secret: the data dir
  // is 0700 and this file 0600 (party-dir.ts). `agreement`: this party's answer to the terms.
  `
  CREATE TABLE memberships (
    contract_id TEXT PRIMARY KEY,
    oracle_url TEXT NOT NULL,
    oracle_public_key TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('client', 'freelancer')),
    token TEXT NOT NULL,
    terms_hash TEXT NOT NULL,
    canonical_json TEXT NOT NULL,
    agreement TEXT NOT NULL CHECK (agreement IN ('pending', 'accepted', 'declined')),
    invite_for_counterparty TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT;
  `,
];

const membershipRow = z.object({
  contract_id: z.string(),
  oracle_url: z.string(),
  oracle_public_key: z.string(),
  role: z.enum(['client', 'freelancer']),
  token: z.string(),
  terms_hash: z.string(),
  canonical_json: z.string(),
  agreement: z.enum(['pending', 'accepted', 'declined']),
  invite_for_counterparty: z.string().nullable(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});
/** An oracle contract this party belongs to (issue 15), with its capability token. */
export type MembershipRow = z.infer<typeof membershipRow>;

const contractRow = z.object({
  id: z.number().int(),
  temporary_contract_id: z.string(),
  contract_id: z.string().nullable(),
  role: z.enum(['offer', 'accept']),
  state: z.enum(CONTRACT_STATES),
  terms_json: z.string(),
  funding_key_index: z.number().int(),
  offer_hex: z.string(),
  accept_hex: z.string().nullable(),
  sign_hex: z.string().nullable(),
  funding_txid: z.string().nullable(),
  fund_output_index: z.number().int().nullable(),
  funding_tx_hex: z.string().nullable(),
  closing_kind: z.enum(['cet', 'refund']).nullable(),
  closing_txid: z.string().nullable(),
  closing_tx_hex: z.string().nullable(),
  outcome: z.string().nullable(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});
export type ContractRow = z.infer<typeof contractRow>;

const walletTxRow = z.object({
  txid: z.string(),
  kind: z.enum(['send', 'sweep']),
  raw_hex: z.string(),
  recipient: z.string(),
  amount_sat: z.string(),
  fee_sat: z.string(),
  fee_rate_sat_per_vb: z.string(),
  replaces: z.string().nullable(),
  replaced_by: z.string().nullable(),
  created_at: z.number().int(),
});
export type WalletTxRow = z.infer<typeof walletTxRow>;

const coinSeenRow = z.object({
  outpoint: z.string(),
  txid: z.string(),
  vout: z.number().int(),
  value_sat: z.string(),
  height: z.number().int(),
  address: z.string(),
  first_seen: z.number().int(),
});
export type CoinSeenRow = z.infer<typeof coinSeenRow>;

const eventRow = z.object({
  from_state: z.string().nullable(),
  to_state: z.string(),
  detail: z.string(),
  at: z.number().int(),
});
export type ContractEventRow = z.infer<typeof eventRow>;

const towerUploadRow = z.object({
  id: z.number().int(),
  contract: z.number().int(),
  tower_url: z.string(),
  milestone_contract_id: z.string(),
  milestone_index: z.number().int(),
  dlc_contract_id: z.string(),
  uploaded_at: z.number().int(),
  status_json: z.string().nullable(),
  status_at: z.number().int().nullable(),
});
export type PartyTowerRow = z.infer<typeof towerUploadRow>;

/** Fields that may be set together with a state change. */
export interface ContractUpdate {
  contract_id?: string;
  accept_hex?: string;
  sign_hex?: string;
  funding_txid?: string;
  fund_output_index?: number;
  funding_tx_hex?: string;
  closing_kind?: 'cet' | 'refund';
  closing_txid?: string;
  closing_tx_hex?: string;
  outcome?: string;
}

export class PartyStore {
  readonly db: Database.Database;
  private readonly now: () => number;

  private constructor(db: Database.Database, now: () => number) {
    this.db = db;
    this.now = now;
  }

  /** Opens (creating) the store file: WAL, foreign keys, pending migrations. */
  static open(path: string, now: () => number = () => Math.floor(Date.now() / 1000)): PartyStore {
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const current = db.pragma('user_version', { simple: true }) as number;
    MIGRATIONS.forEach((sql, i) => {
      if (i + 1 <= current) return;
      db.transaction(() => {
        db.exec(sql);
        db.pragma(`user_version = ${i + 1}`);
      })();
    });
    return new PartyStore(db, now);
  }

  close(): void {
    this.db.close();
  }

  /** Reads a counter (next address index …). */
  counter(key: string): number {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as
      { value: string } | undefined;
    return row === undefined ? 0 : z.coerce.number().int().nonnegative().parse(row.value);
  }

  /** Raises a counter to at least `value`. */
  raiseCounter(key: string, value: number): void {
    this.db
      .prepare(
        `INSERT INTO meta (key, value) VALUES (?, ?)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value
         WHERE CAST(meta.value AS INTEGER) < CAST(excluded.value AS INTEGER)`,
      )
      .run(key, String(value));
  }

  /** Takes the next value of a counter (atomic). */
  takeCounter(key: string): number {
    return this.db.transaction(() => {
      const value = this.counter(key);
      this.raiseCounter(key, value + 1);
      return value;
    })();
  }

  /** Inserts a new contract with its reserved outpoints and first event, in one transaction. */
  insertContract(params: {
    temporaryContractId: string;
    role: 'offer' | 'accept';
    state: 'offered' | 'accepted';
    termsJson: string;
    fundingKeyIndex: number;
    offerHex: string;
    acceptHex?: string;
    reservedOutpoints: readonly string[];
  }): ContractRow {
    const now = this.now();
    return this.db.transaction(() => {
      const info = this.db
        .prepare(
          `INSERT INTO contracts (temporary_contract_id, role, state, terms_json, funding_key_index,
             offer_hex, accept_hex, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          params.temporaryContractId,
          params.role,
          params.state,
          params.termsJson,
          params.fundingKeyIndex,
          params.offerHex,
          params.acceptHex ?? null,
          now,
          now,
        );
      const id = Number(info.lastInsertRowid);
      const reserve = this.db.prepare(
        'INSERT INTO reserved_outpoints (outpoint, contract) VALUES (?, ?)',
      );
      for (const o of params.reservedOutpoints) reserve.run(o, id);
      this.appendEvent(id, null, params.state, `${params.role} created`, now);
      return this.getContract(id);
    })();
  }

  private appendEvent(
    id: number,
    from: ContractState | null,
    to: ContractState,
    detail: string,
    at: number,
  ): void {
    this.db
      .prepare(
        'INSERT INTO contract_events (contract, from_state, to_state, detail, at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(id, from, to, detail, at);
  }

  /**
   * Moves a contract to `to` (or keeps its state when `to` equals it) and sets `fields`, with an
   * event row, in one transaction. Backward moves and a second closing transaction abort.
   */
  update(id: number, to: ContractState, fields: ContractUpdate, detail: string): ContractRow {
    const now = this.now();
    return this.db.transaction(() => {
      const before = this.getContract(id);
      const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
      const sets = entries.map(([k]) => `${k} = ?`);
      this.db
        .prepare(
          `UPDATE contracts SET state = ?, updated_at = ?${sets.map((s) => `, ${s}`).join('')} WHERE id = ?`,
        )
        .run(to, now, ...entries.map(([, v]) => v as string | number), id);
      if (before.state !== to || entries.length > 0) {
        this.appendEvent(id, before.state, to, detail, now);
      }
      if (to === 'settled' || to === 'refunded' || to === 'cancelled') {
        this.db.prepare('DELETE FROM reserved_outpoints WHERE contract = ?').run(id);
      }
      return this.getContract(id);
    })();
  }

  getContract(id: number): ContractRow {
    const row = this.db.prepare('SELECT * FROM contracts WHERE id = ?').get(id);
    if (row === undefined) throw new RangeError(`no contract ${id}`);
    return contractRow.parse(row);
  }

  /** By row id, temporary contract id or contract id (hex). */
  findContract(ref: string): ContractRow | undefined {
    const row = /^\d+$/.test(ref)
      ? this.db.prepare('SELECT * FROM contracts WHERE id = ?').get(Number(ref))
      : this.db
          .prepare('SELECT * FROM contracts WHERE temporary_contract_id = ? OR contract_id = ?')
          .get(ref, ref);
    return row === undefined ? undefined : contractRow.parse(row);
  }

  listContracts(): ContractRow[] {
    return this.db
      .prepare('SELECT * FROM contracts ORDER BY id')
      .all()
      .map((r) => contractRow.parse(r));
  }

  events(id: number): ContractEventRow[] {
    return this.db
      .prepare(
        'SELECT from_state, to_state, detail, at FROM contract_events WHERE contract = ? ORDER BY id',
      )
      .all(id)
      .map((r) => eventRow.parse(r));
  }

  /** Records (or refreshes) that a tower holds this contract's signatures. */
  recordTowerUpload(params: {
    contract: number;
    towerUrl: string;
    milestoneContractId: string;
    milestoneIndex: number;
    dlcContractId: string;
  }): PartyTowerRow {
    const now = this.now();
    this.db
      .prepare(
        `INSERT INTO tower_uploads (contract, tower_url, milestone_contract_id, milestone_index,
           dlc_contract_id, uploaded_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (contract, tower_url) DO UPDATE SET uploaded_at = excluded.uploaded_at`,
      )
      .run(
        params.contract,
        params.towerUrl,
        params.milestoneContractId,
        params.milestoneIndex,
        params.dlcContractId,
        now,
      );
    const row = this.towerUploads(params.contract).find((r) => r.tower_url === params.towerUrl);
    if (row === undefined) throw new Error('tower upload row missing');
    return row;
  }

  /** Stores the last status a tower reported (JSON as the tower sent it). */
  recordTowerStatus(id: number, statusJson: string): void {
    this.db
      .prepare('UPDATE tower_uploads SET status_json = ?, status_at = ? WHERE id = ?')
      .run(statusJson, this.now(), id);
  }

  towerUploads(contract: number): PartyTowerRow[] {
    return this.db
      .prepare('SELECT * FROM tower_uploads WHERE contract = ? ORDER BY id')
      .all(contract)
      .map((r) => towerUploadRow.parse(r));
  }

  /**
   * Records an oracle contract this party belongs to; a second call for the same contract keeps
   * the first record (the terms hash and token cannot change under it) and returns it.
   */
  addMembership(m: Omit<MembershipRow, 'created_at' | 'updated_at'>): MembershipRow {
    const now = this.now();
    this.db
      .prepare(
        `INSERT OR IGNORE INTO memberships (contract_id, oracle_url, oracle_public_key, role, token,
           terms_hash, canonical_json, agreement, invite_for_counterparty, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        m.contract_id,
        m.oracle_url,
        m.oracle_public_key,
        m.role,
        m.token,
        m.terms_hash,
        m.canonical_json,
        m.agreement,
        m.invite_for_counterparty,
        now,
        now,
      );
    const row = this.membership(m.contract_id);
    if (row === undefined) throw new Error('membership row missing');
    return row;
  }

  membership(contractId: string): MembershipRow | undefined {
    const r = this.db.prepare('SELECT * FROM memberships WHERE contract_id = ?').get(contractId);
    return r === undefined ? undefined : membershipRow.parse(r);
  }

  memberships(): MembershipRow[] {
    return this.db
      .prepare('SELECT * FROM memberships ORDER BY created_at DESC, contract_id')
      .all()
      .map((r) => membershipRow.parse(r));
  }

  /** This party's answer to a contract's terms. */
  setAgreement(contractId: string, agreement: MembershipRow['agreement']): MembershipRow {
    this.db
      .prepare('UPDATE memberships SET agreement = ?, updated_at = ? WHERE contract_id = ?')
      .run(agreement, this.now(), contractId);
    const row = this.membership(contractId);
    if (row === undefined) throw new Error(`no membership ${contractId}`);
    return row;
  }

  /** Reads a meta value (null when unset). */
  meta(key: string): string | null {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as
      { value: string } | undefined;
    return row?.value ?? null;
  }

  /** Sets a meta value only when it is unset; returns the stored value. */
  metaSetOnce(key: string, value: string): string {
    this.db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(key, value);
    return this.meta(key) ?? value;
  }

  /** Appends an event that records a fact without a state change (`dlc status` shows it). */
  note(id: number, detail: string): void {
    const row = this.getContract(id);
    this.appendEvent(id, row.state, row.state, detail, this.now());
  }

  /** Records a wallet payment; a replacement marks the one it replaces, in one transaction. */
  insertWalletTx(tx: Omit<WalletTxRow, 'created_at' | 'replaced_by'>): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO wallet_txs (txid, kind, raw_hex, recipient, amount_sat, fee_sat,
             fee_rate_sat_per_vb, replaces, replaced_by, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
        )
        .run(
          tx.txid,
          tx.kind,
          tx.raw_hex,
          tx.recipient,
          tx.amount_sat,
          tx.fee_sat,
          tx.fee_rate_sat_per_vb,
          tx.replaces,
          this.now(),
        );
      if (tx.replaces !== null) {
        this.db
          .prepare('UPDATE wallet_txs SET replaced_by = ? WHERE txid = ?')
          .run(tx.txid, tx.replaces);
      }
    })();
  }

  walletTx(txid: string): WalletTxRow | undefined {
    const row = this.db.prepare('SELECT * FROM wallet_txs WHERE txid = ?').get(txid);
    return row === undefined ? undefined : walletTxRow.parse(row);
  }

  walletTxs(): WalletTxRow[] {
    return this.db
      .prepare('SELECT * FROM wallet_txs ORDER BY created_at, rowid')
      .all()
      .map((r) => walletTxRow.parse(r));
  }

  /** Remembers wallet coins a scan found (the first sighting is kept). */
  recordCoinsSeen(coins: readonly Omit<CoinSeenRow, 'outpoint' | 'first_seen'>[]): void {
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO wallet_coins_seen (outpoint, txid, vout, value_sat, height, address,
         first_seen) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const now = this.now();
    this.db.transaction(() => {
      for (const c of coins) {
        insert.run(`${c.txid}:${c.vout}`, c.txid, c.vout, c.value_sat, c.height, c.address, now);
      }
    })();
  }

  coinsSeen(): CoinSeenRow[] {
    return this.db
      .prepare('SELECT * FROM wallet_coins_seen ORDER BY height, txid, vout')
      .all()
      .map((r) => coinSeenRow.parse(r));
  }

  /** Outpoints (`txid:vout`) reserved by contracts that are not closed yet. */
  reservedOutpoints(): Set<string> {
    const rows = this.db.prepare('SELECT outpoint FROM reserved_outpoints').all() as {
      outpoint: string;
    }[];
    return new Set(rows.map((r) => r.outpoint));
  }
}
