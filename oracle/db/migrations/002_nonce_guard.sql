-- Issue 19: "at most once" per NONCE, not per row id, and the quarantine of a restored data dir.

-- Every nonce of every announcement, registered once: a nonce can belong to one event only, so
-- an announcement row cloned under another event id can never be attested with the same nonces.
CREATE TABLE announcement_nonces (
  nonce    BLOB PRIMARY KEY CHECK (length(nonce) = 32),
  event_id TEXT NOT NULL REFERENCES announcements(event_id),
  position INTEGER NOT NULL CHECK (position >= 0),
  UNIQUE (event_id, position)
) STRICT;
CREATE TRIGGER announcement_nonces_no_update BEFORE UPDATE ON announcement_nonces
  BEGIN SELECT RAISE(ABORT, 'announcement nonces are immutable'); END;
CREATE TRIGGER announcement_nonces_no_delete BEFORE DELETE ON announcement_nonces
  BEGIN SELECT RAISE(ABORT, 'announcement nonces are never deleted'); END;

-- An attestation is stored only for an event whose nonces are registered (above).
CREATE TRIGGER attestations_need_nonces BEFORE INSERT ON attestations
  WHEN NOT EXISTS (SELECT 1 FROM announcement_nonces WHERE event_id = NEW.event_id)
  BEGIN SELECT RAISE(ABORT, 'an attestation needs its announcement nonces registered'); END;

-- Events held by a quarantine (a restored or copied data dir) until the operator imports their
-- attestations or releases them. Mirrors the signing journal, which is the source of truth.
CREATE TABLE held_events (
  event_id    TEXT PRIMARY KEY REFERENCES announcements(event_id),
  held_at     INTEGER NOT NULL,
  reason      TEXT NOT NULL,
  released_at INTEGER,
  released_how TEXT CHECK (released_how IN ('released', 'imported'))
) STRICT;
CREATE TRIGGER held_events_no_delete BEFORE DELETE ON held_events
  BEGIN SELECT RAISE(ABORT, 'quarantine records are never deleted'); END;
