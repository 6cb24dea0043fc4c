-- Verdict oracle schema, version 1. Forward-only: never edit a released migration, add the next.

CREATE TABLE oracle_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE contracts (
  id            TEXT PRIMARY KEY,
  terms_json    TEXT NOT NULL,
  terms_hash    TEXT NOT NULL CHECK (length(terms_hash) = 64),
  client_id     TEXT NOT NULL,
  freelancer_id TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  CHECK (client_id <> freelancer_id)
) STRICT;

CREATE TABLE milestones (
  id                 INTEGER PRIMARY KEY,
  contract_id        TEXT NOT NULL REFERENCES contracts(id),
  idx                INTEGER NOT NULL CHECK (idx >= 0),
  event_id           TEXT NOT NULL UNIQUE,
  state              TEXT NOT NULL CHECK (state IN ('open', 'delivered', 'disputed', 'attested')),
  delivery_deadline  INTEGER NOT NULL,
  delivered_at       INTEGER,
  delivery_json      TEXT,
  review_ends_at     INTEGER,
  disputed_at        INTEGER,
  dispute_json       TEXT,
  evidence_ends_at   INTEGER,
  voting_ends_at     INTEGER,
  proposal_json      TEXT,
  decided_outcome    TEXT,
  decided_reason     TEXT,
  decided_by         TEXT,
  decided_at         INTEGER,
  UNIQUE (contract_id, idx),
  CHECK ((state = 'attested') = (decided_outcome IS NOT NULL))
) STRICT;
CREATE INDEX milestones_by_state ON milestones (state, id);
CREATE INDEX milestones_open_deadline ON milestones (state, delivery_deadline);

CREATE TABLE announcements (
  event_id           TEXT PRIMARY KEY,
  milestone_id       INTEGER NOT NULL UNIQUE REFERENCES milestones(id),
  maturity_epoch_sec INTEGER NOT NULL,
  tlv                BLOB NOT NULL,
  created_at         INTEGER NOT NULL
) STRICT;

-- DESIGN.md "Nonces and keys": one attestation per event, ever.
CREATE TABLE attestations (
  id         INTEGER PRIMARY KEY,
  event_id   TEXT NOT NULL UNIQUE REFERENCES announcements(event_id),
  outcome    TEXT NOT NULL,
  tlv        BLOB NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

-- Hash-chained per contract: hash = SHA-256(prev_hash || canonical JSON of the entry).
CREATE TABLE audit_log (
  id              INTEGER PRIMARY KEY,
  contract_id     TEXT NOT NULL REFERENCES contracts(id),
  seq             INTEGER NOT NULL CHECK (seq >= 0),
  at              INTEGER NOT NULL,
  actor           TEXT NOT NULL,
  action          TEXT NOT NULL,
  milestone_index INTEGER,
  details_json    TEXT NOT NULL,
  prev_hash       TEXT NOT NULL CHECK (length(prev_hash) = 64),
  hash            TEXT NOT NULL CHECK (length(hash) = 64),
  UNIQUE (contract_id, seq)
) STRICT;

CREATE TABLE dlc_messages (
  id           INTEGER PRIMARY KEY,
  milestone_id INTEGER NOT NULL REFERENCES milestones(id),
  kind         TEXT NOT NULL CHECK (kind IN ('offer', 'accept', 'sign')),
  sender_role  TEXT NOT NULL CHECK (sender_role IN ('client', 'freelancer')),
  hex          TEXT NOT NULL,
  created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX dlc_messages_by_milestone ON dlc_messages (milestone_id, kind, id);

-- Signed history is never rewritten or deleted.
CREATE TRIGGER contracts_no_update BEFORE UPDATE ON contracts
  BEGIN SELECT RAISE(ABORT, 'contracts are immutable'); END;
CREATE TRIGGER contracts_no_delete BEFORE DELETE ON contracts
  BEGIN SELECT RAISE(ABORT, 'contracts are never deleted'); END;
CREATE TRIGGER milestones_no_delete BEFORE DELETE ON milestones
  BEGIN SELECT RAISE(ABORT, 'milestones are never deleted'); END;
CREATE TRIGGER milestones_attested_final BEFORE UPDATE ON milestones
  WHEN OLD.state = 'attested'
  BEGIN SELECT RAISE(ABORT, 'an attested milestone is final'); END;
CREATE TRIGGER announcements_no_update BEFORE UPDATE ON announcements
  BEGIN SELECT RAISE(ABORT, 'announcements are immutable'); END;
CREATE TRIGGER announcements_no_delete BEFORE DELETE ON announcements
  BEGIN SELECT RAISE(ABORT, 'announcements are never deleted'); END;
CREATE TRIGGER attestations_no_update BEFORE UPDATE ON attestations
  BEGIN SELECT RAISE(ABORT, 'attestations are immutable'); END;
CREATE TRIGGER attestations_no_delete BEFORE DELETE ON attestations
  BEGIN SELECT RAISE(ABORT, 'attestations are never deleted'); END;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER dlc_messages_no_update BEFORE UPDATE ON dlc_messages
  BEGIN SELECT RAISE(ABORT, 'relayed DLC messages are append-only'); END;
CREATE TRIGGER dlc_messages_no_delete BEFORE DELETE ON dlc_messages
  BEGIN SELECT RAISE(ABORT, 'relayed DLC messages are append-only'); END;
