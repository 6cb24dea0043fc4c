-- Arbitration (issue 6, DESIGN.md "Disputes"): arbiter accounts, invites, dispute rounds, panels,
-- sealed votes, evidence. Forward-only. Votes and evidence are append-only; a closed round is final.

CREATE TABLE arbiters (
  id            TEXT PRIMARY KEY CHECK (id GLOB '[A-Za-z0-9._@:-]*' AND length(id) BETWEEN 1 AND 64),
  display_name  TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
  -- JSON array of identities (party ids, names, emails) the operator linked to this account: such an
  -- arbiter is never drawn onto a panel where one of them is a party.
  linked_json   TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(linked_json) AND json_type(linked_json) = 'array'),
  password_hash TEXT,
  status        TEXT NOT NULL CHECK (status IN ('invited', 'active', 'disabled')),
  -- Bumped on logout and on disable: every session token carries the epoch it was issued in.
  session_epoch INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  disabled_at   INTEGER,
  CHECK ((status = 'active') <= (password_hash IS NOT NULL)),
  CHECK ((status = 'disabled') = (disabled_at IS NOT NULL))
) STRICT;
CREATE TRIGGER arbiters_no_delete BEFORE DELETE ON arbiters
  BEGIN SELECT RAISE(ABORT, 'arbiters are disabled, never deleted'); END;

-- Invite tokens are stored as their SHA-256 only; single-use, expiring.
CREATE TABLE arbiter_invites (
  id          INTEGER PRIMARY KEY,
  arbiter_id  TEXT NOT NULL REFERENCES arbiters(id),
  token_hash  TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL CHECK (expires_at > created_at),
  used_at     INTEGER
) STRICT;
CREATE INDEX arbiter_invites_by_arbiter ON arbiter_invites (arbiter_id);
CREATE TRIGGER arbiter_invites_single_use BEFORE UPDATE ON arbiter_invites
  WHEN OLD.used_at IS NOT NULL
  BEGIN SELECT RAISE(ABORT, 'an invite is used once'); END;

-- One row per round (1 = the dispute, 2 = the appeal) of a disputed milestone.
CREATE TABLE disputes (
  id               INTEGER PRIMARY KEY,
  milestone_id     INTEGER NOT NULL REFERENCES milestones(id),
  round            INTEGER NOT NULL CHECK (round IN (1, 2)),
  opened_by        TEXT NOT NULL,
  opened_at        INTEGER NOT NULL,
  evidence_ends_at INTEGER NOT NULL CHECK (evidence_ends_at >= opened_at),
  voting_ends_at   INTEGER NOT NULL CHECK (voting_ends_at > evidence_ends_at),
  seats            INTEGER NOT NULL CHECK (seats >= 0),
  quorum           INTEGER NOT NULL CHECK (quorum >= 1),
  fallback_outcome TEXT NOT NULL,
  -- Set together at the close.
  closed_at        INTEGER,
  outcome          TEXT,
  rule             TEXT CHECK (rule IN ('median', 'majority', 'tie_rule', 'tie_fallback', 'no_quorum_fallback')),
  tally_json       TEXT,
  UNIQUE (milestone_id, round),
  CHECK ((closed_at IS NULL) = (outcome IS NULL) AND (outcome IS NULL) = (rule IS NULL) AND (rule IS NULL) = (tally_json IS NULL))
) STRICT;
CREATE INDEX disputes_open ON disputes (closed_at, voting_ends_at);
CREATE TRIGGER disputes_no_delete BEFORE DELETE ON disputes
  BEGIN SELECT RAISE(ABORT, 'disputes are never deleted'); END;
CREATE TRIGGER disputes_closed_final BEFORE UPDATE ON disputes
  WHEN OLD.closed_at IS NOT NULL AND (
    NEW.closed_at IS NOT OLD.closed_at OR NEW.outcome IS NOT OLD.outcome OR NEW.rule IS NOT OLD.rule
    OR NEW.tally_json IS NOT OLD.tally_json OR NEW.voting_ends_at IS NOT OLD.voting_ends_at
    OR NEW.evidence_ends_at IS NOT OLD.evidence_ends_at)
  BEGIN SELECT RAISE(ABORT, 'a closed dispute round is final'); END;

CREATE TABLE dispute_panel (
  dispute_id INTEGER NOT NULL REFERENCES disputes(id),
  arbiter_id TEXT NOT NULL REFERENCES arbiters(id),
  seat       INTEGER NOT NULL CHECK (seat >= 1),
  PRIMARY KEY (dispute_id, arbiter_id),
  UNIQUE (dispute_id, seat)
) STRICT;
CREATE INDEX dispute_panel_by_arbiter ON dispute_panel (arbiter_id, dispute_id);
CREATE TRIGGER dispute_panel_no_update BEFORE UPDATE ON dispute_panel
  BEGIN SELECT RAISE(ABORT, 'a panel is fixed when drawn'); END;
CREATE TRIGGER dispute_panel_no_delete BEFORE DELETE ON dispute_panel
  BEGIN SELECT RAISE(ABORT, 'a panel is fixed when drawn'); END;

-- Sealed votes, append-only: a changed vote is a new row; the latest row of an arbiter counts.
CREATE TABLE dispute_votes (
  id         INTEGER PRIMARY KEY,
  dispute_id INTEGER NOT NULL,
  arbiter_id TEXT NOT NULL,
  outcome    TEXT NOT NULL,
  rationale  TEXT NOT NULL CHECK (length(rationale) BETWEEN 1 AND 10000),
  cast_at    INTEGER NOT NULL,
  FOREIGN KEY (dispute_id, arbiter_id) REFERENCES dispute_panel (dispute_id, arbiter_id)
) STRICT;
CREATE INDEX dispute_votes_by_seat ON dispute_votes (dispute_id, arbiter_id, id);
CREATE TRIGGER dispute_votes_no_update BEFORE UPDATE ON dispute_votes
  BEGIN SELECT RAISE(ABORT, 'votes are append-only'); END;
CREATE TRIGGER dispute_votes_no_delete BEFORE DELETE ON dispute_votes
  BEGIN SELECT RAISE(ABORT, 'votes are append-only'); END;

-- Attachment bytes, addressed by their SHA-256.
CREATE TABLE evidence_blobs (
  sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
  bytes  BLOB NOT NULL
) STRICT;
CREATE TRIGGER evidence_blobs_no_update BEFORE UPDATE ON evidence_blobs
  BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER evidence_blobs_no_delete BEFORE DELETE ON evidence_blobs
  BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;

CREATE TABLE dispute_evidence (
  id           INTEGER PRIMARY KEY,
  dispute_id   INTEGER NOT NULL REFERENCES disputes(id),
  party_role   TEXT NOT NULL CHECK (party_role IN ('client', 'freelancer')),
  kind         TEXT NOT NULL CHECK (kind IN ('statement', 'link', 'file')),
  body         TEXT NOT NULL DEFAULT '' CHECK (length(body) <= 20000),
  url          TEXT,
  file_name    TEXT,
  content_type TEXT,
  size_bytes   INTEGER,
  sha256       TEXT REFERENCES evidence_blobs(sha256),
  created_at   INTEGER NOT NULL,
  CHECK ((kind = 'link') = (url IS NOT NULL)),
  CHECK ((kind = 'file') = (sha256 IS NOT NULL AND file_name IS NOT NULL AND content_type IS NOT NULL AND size_bytes IS NOT NULL))
) STRICT;
CREATE INDEX dispute_evidence_by_dispute ON dispute_evidence (dispute_id, id);
CREATE TRIGGER dispute_evidence_no_update BEFORE UPDATE ON dispute_evidence
  BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER dispute_evidence_no_delete BEFORE DELETE ON dispute_evidence
  BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
