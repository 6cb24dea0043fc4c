-- Issue 16: the watchtower (oracle/tower). A party's upload for one DLC of a milestone (its own
-- signature of every CET, with the contract's three messages), the tower's job for that DLC,
-- and every broadcast it made. An upload row exists only when every signature verified.
CREATE TABLE tower_uploads (
  id INTEGER PRIMARY KEY,
  contract_id TEXT NOT NULL,
  milestone_index INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  dlc_contract_id TEXT NOT NULL,
  side TEXT NOT NULL CHECK (side IN ('offer', 'accept')),
  uploader_role TEXT NOT NULL CHECK (uploader_role IN ('client', 'freelancer', 'party')),
  offer_hex TEXT NOT NULL,
  accept_hex TEXT NOT NULL,
  sign_hex TEXT NOT NULL,
  cet_signatures_hex TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (dlc_contract_id, side)
) STRICT;
CREATE INDEX tower_uploads_milestone ON tower_uploads (contract_id, milestone_index);

-- One job per DLC. state: watching (nothing to do yet) → chosen (the closing transaction is
-- recorded, before it is sent) → broadcast (a node accepted it) → confirmed (in a block).
-- closed_elsewhere: the funding output was spent by another transaction. The transaction, once
-- chosen, is never replaced (trigger): after a crash the same bytes are sent again.
CREATE TABLE tower_jobs (
  dlc_contract_id TEXT PRIMARY KEY,
  contract_id TEXT NOT NULL,
  milestone_index INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  funding_txid TEXT NOT NULL,
  fund_output_index INTEGER NOT NULL,
  refund_locktime INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('watching', 'chosen', 'broadcast', 'confirmed', 'closed_elsewhere')),
  kind TEXT CHECK (kind IN ('cet', 'refund')),
  txid TEXT,
  tx_hex TEXT,
  outcome TEXT,
  first_broadcast_height INTEGER,
  confirmed_height INTEGER,
  bump_needed INTEGER NOT NULL DEFAULT 0 CHECK (bump_needed IN (0, 1)),
  detail TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CHECK ((txid IS NULL) = (tx_hex IS NULL)),
  CHECK ((state = 'watching') = (txid IS NULL) OR state = 'closed_elsewhere')
) STRICT;
CREATE INDEX tower_jobs_milestone ON tower_jobs (contract_id, milestone_index);
CREATE TRIGGER tower_tx_immutable BEFORE UPDATE OF txid, tx_hex ON tower_jobs
WHEN OLD.txid IS NOT NULL AND (NEW.txid IS NOT OLD.txid OR NEW.tx_hex IS NOT OLD.tx_hex)
BEGIN SELECT RAISE(ABORT, 'tower transaction already chosen'); END;

-- Every send: what the node said. Sending the same transaction twice is harmless (same txid).
CREATE TABLE tower_broadcasts (
  id INTEGER PRIMARY KEY,
  dlc_contract_id TEXT NOT NULL REFERENCES tower_jobs (dlc_contract_id),
  txid TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('cet', 'refund')),
  height INTEGER NOT NULL,
  result TEXT NOT NULL,
  at INTEGER NOT NULL
) STRICT;
CREATE INDEX tower_broadcasts_job ON tower_broadcasts (dlc_contract_id, id);
