-- Alerts raised from agents' reports, and the notifications (e-mails) they cause: an outbox, so a
-- notification that cannot be sent yet is kept and retried, never lost.
CREATE TABLE alert (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  agent         TEXT    NOT NULL,
  name          TEXT    NOT NULL,     -- e.g. BackupGagal
  kind          TEXT    NOT NULL,     -- the failure's kind: backup, restore-test, missed-run, ...
  subject       TEXT,                 -- what it is about: source/target, set, address
  severity      TEXT    NOT NULL,     -- low | medium | high
  state         TEXT    NOT NULL,     -- firing | resolved
  summary       TEXT    NOT NULL,
  details       TEXT    NOT NULL,     -- JSON
  report_seq    INTEGER,
  started_ms    INTEGER NOT NULL,
  resolved_ms   INTEGER
);
CREATE INDEX alert_open ON alert (agent, kind, subject, state);

CREATE TABLE notification (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  alert_id        INTEGER NOT NULL REFERENCES alert (id),
  event           TEXT    NOT NULL,   -- firing | resolved
  recipient       TEXT    NOT NULL,
  subject         TEXT    NOT NULL,
  body            TEXT    NOT NULL,
  status          TEXT    NOT NULL,   -- pending | sent
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  created_ms      INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  sent_ms         INTEGER
);
CREATE INDEX notification_pending ON notification (status, next_attempt_ms);
