-- Issue 7, CI attestation. Numbered well above the service's migrations so that both can grow
-- without renumbering (a data dir keeps `user_version` = the highest number applied).

-- CI tokens the oracle issued for a milestone. The token is shown once and never stored: only its
-- jti, to check revocation. A revocation is the only update, once.
CREATE TABLE ci_tokens (
  jti          TEXT PRIMARY KEY,
  milestone_id INTEGER NOT NULL REFERENCES milestones(id),
  issued_by    TEXT NOT NULL,
  issued_at    INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  revoked_at   INTEGER,
  revoked_by   TEXT,
  CHECK (expires_at > issued_at),
  CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
) STRICT;
CREATE INDEX ci_tokens_by_milestone ON ci_tokens (milestone_id, issued_at);
CREATE TRIGGER ci_tokens_revoke_only BEFORE UPDATE ON ci_tokens
  WHEN OLD.revoked_at IS NOT NULL OR NEW.jti IS NOT OLD.jti
    OR NEW.milestone_id IS NOT OLD.milestone_id OR NEW.issued_by IS NOT OLD.issued_by
    OR NEW.issued_at IS NOT OLD.issued_at OR NEW.expires_at IS NOT OLD.expires_at
  BEGIN SELECT RAISE(ABORT, 'a CI token can only be revoked, once'); END;
CREATE TRIGGER ci_tokens_no_delete BEFORE DELETE ON ci_tokens
  BEGIN SELECT RAISE(ABORT, 'CI tokens are never deleted'); END;

-- Replay protection for OIDC tokens: the SHA-256 of every token used, kept until it expires
-- (after that the token no longer verifies anyway, so expired rows may be pruned).
CREATE TABLE ci_used_tokens (
  token_hash TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX ci_used_tokens_by_expiry ON ci_used_tokens (expires_at);

-- Every CI result the oracle accepted for a milestone, passing or not: evidence for a dispute.
CREATE TABLE ci_results (
  id            INTEGER PRIMARY KEY,
  milestone_id  INTEGER NOT NULL REFERENCES milestones(id),
  received_at   INTEGER NOT NULL,
  identity_kind TEXT NOT NULL CHECK (identity_kind IN ('github-oidc', 'token')),
  identity_json TEXT NOT NULL,
  commit_sha    TEXT NOT NULL,
  result        TEXT NOT NULL CHECK (result IN ('PASSED', 'WARNED', 'FAILED')),
  passed_count  INTEGER NOT NULL CHECK (passed_count >= 0),
  warned_count  INTEGER NOT NULL CHECK (warned_count >= 0),
  failed_count  INTEGER NOT NULL CHECK (failed_count >= 0),
  run_url       TEXT,
  policy_met    INTEGER NOT NULL CHECK (policy_met IN (0, 1)),
  unmet_json    TEXT NOT NULL,
  decided       INTEGER NOT NULL CHECK (decided IN (0, 1)),
  statement_json TEXT NOT NULL
) STRICT;
CREATE INDEX ci_results_by_milestone ON ci_results (milestone_id, id);
CREATE TRIGGER ci_results_no_update BEFORE UPDATE ON ci_results
  BEGIN SELECT RAISE(ABORT, 'CI results are evidence and immutable'); END;
CREATE TRIGGER ci_results_no_delete BEFORE DELETE ON ci_results
  BEGIN SELECT RAISE(ABORT, 'CI results are evidence and never deleted'); END;
