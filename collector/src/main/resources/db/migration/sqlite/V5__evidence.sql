-- The evidence register: one row per SOP activity (a backup run, a failure and its follow-up, a
-- restore test, a log analysis, a capacity recap, a report, a login), append-only. Each row carries
-- the hash of the one before it, so an edited, deleted or reordered row is found by
-- `penjaga-collector evidence verify`. The triggers refuse edits through SQL; the chain finds
-- edits made around them.
CREATE TABLE evidence (
  seq          INTEGER PRIMARY KEY,
  recorded_ms  INTEGER NOT NULL,
  occurred_at  TEXT    NOT NULL,   -- when the activity happened (UTC, ISO-8601)
  sop_ref      TEXT    NOT NULL,   -- e.g. SOP 10 langkah 4
  activity     TEXT    NOT NULL,   -- backup-run, pre-change-backup, failure, follow-up, ...
  agent        TEXT,
  actor        TEXT    NOT NULL,   -- system, or the person who did it
  outcome      TEXT    NOT NULL,   -- success, warning, failure, pass, fail, done, ...
  summary      TEXT    NOT NULL,
  details      TEXT    NOT NULL,   -- JSON object
  links        TEXT    NOT NULL,   -- JSON object: report, snapshot, alert, evidence ids
  prev_hash    TEXT    NOT NULL,
  hash         TEXT    NOT NULL
);
CREATE INDEX evidence_occurred ON evidence (occurred_at);
CREATE INDEX evidence_activity ON evidence (activity, occurred_at);

CREATE TRIGGER evidence_no_update BEFORE UPDATE ON evidence
BEGIN
  SELECT RAISE(ABORT, 'the evidence register is append-only');
END;

CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence
BEGIN
  SELECT RAISE(ABORT, 'the evidence register is append-only');
END;
