-- Silences: alerts matching them are still recorded, but no e-mail is sent while they last.
CREATE TABLE silence (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  agent       TEXT,               -- NULL: every agent
  alertname   TEXT,               -- NULL: every alert
  starts_ms   INTEGER NOT NULL,
  ends_ms     INTEGER NOT NULL,
  created_by  TEXT    NOT NULL,
  comment     TEXT    NOT NULL
);
ALTER TABLE notification ADD COLUMN suppressed TEXT;
