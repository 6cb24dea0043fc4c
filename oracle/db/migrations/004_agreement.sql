-- Issue 15: each party's answer to the terms (accept or decline), given with the terms hash it
-- read. An answer is final: a row is never updated or deleted (the audit log records it too).
CREATE TABLE contract_agreements (
  contract_id TEXT NOT NULL REFERENCES contracts(id),
  role        TEXT NOT NULL CHECK (role IN ('client', 'freelancer')),
  decision    TEXT NOT NULL CHECK (decision IN ('accept', 'decline')),
  terms_hash  TEXT NOT NULL,
  at          INTEGER NOT NULL,
  PRIMARY KEY (contract_id, role)
) STRICT;
CREATE TRIGGER contract_agreements_final_update BEFORE UPDATE ON contract_agreements
  BEGIN SELECT RAISE(ABORT, 'an agreement answer is final'); END;
CREATE TRIGGER contract_agreements_final_delete BEFORE DELETE ON contract_agreements
  BEGIN SELECT RAISE(ABORT, 'an agreement answer is final'); END;
