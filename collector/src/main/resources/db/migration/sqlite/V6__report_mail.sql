-- Monthly report e-mails (with the report files attached): an outbox like notification's, kept
-- and retried until sent.
CREATE TABLE report_mail (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  recipient       TEXT    NOT NULL,
  subject         TEXT    NOT NULL,
  body            TEXT    NOT NULL,
  attachments     TEXT    NOT NULL,   -- JSON array of file paths
  status          TEXT    NOT NULL,   -- pending | sent
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  created_ms      INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  sent_ms         INTEGER
);
CREATE INDEX report_mail_pending ON report_mail (status, next_attempt_ms);
