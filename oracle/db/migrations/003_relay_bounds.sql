-- Issue 19 §4 (disk): the DLC relay keeps what the protocol needs, the latest message of each kind
-- per milestone, instead of every re-post. A re-post replaces the stored message of its kind until
-- the DLC is signed; a `sign_dlc` is final. Relay messages are not signed oracle history: the
-- audit log keeps the SHA-256 and size of every message ever posted. `dlc_messages` (001) stays,
-- append-only, with the rows written before this migration; nothing writes to it any more.
CREATE TABLE dlc_relay (
  milestone_id INTEGER NOT NULL REFERENCES milestones(id),
  kind         TEXT NOT NULL CHECK (kind IN ('offer', 'accept', 'sign')),
  sender_role  TEXT NOT NULL CHECK (sender_role IN ('client', 'freelancer')),
  bytes        BLOB NOT NULL,
  created_at   INTEGER NOT NULL,
  -- Posting order within the milestone (the relay's order checks compare it across kinds).
  seq          INTEGER NOT NULL CHECK (seq >= 1),
  -- How many times a message of this kind was posted (bounded by the relay, see quotas.ts).
  posts        INTEGER NOT NULL CHECK (posts >= 1),
  PRIMARY KEY (milestone_id, kind)
) STRICT;
CREATE TRIGGER dlc_relay_sign_final BEFORE UPDATE ON dlc_relay
  WHEN OLD.kind = 'sign'
  BEGIN SELECT RAISE(ABORT, 'a relayed sign_dlc is final'); END;
CREATE TRIGGER dlc_relay_no_delete BEFORE DELETE ON dlc_relay
  BEGIN SELECT RAISE(ABORT, 'relayed DLC messages are replaced, never deleted'); END;

INSERT INTO dlc_relay (milestone_id, kind, sender_role, bytes, created_at, seq, posts)
  SELECT d.milestone_id, d.kind, d.sender_role, unhex(d.hex), d.created_at, d.id,
         (SELECT count(*) FROM dlc_messages x WHERE x.milestone_id = d.milestone_id AND x.kind = d.kind)
  FROM dlc_messages d
  WHERE d.id = (SELECT max(id) FROM dlc_messages y WHERE y.milestone_id = d.milestone_id AND y.kind = d.kind);
