-- Threshold rules: since when each series has been beyond its limit (the rule's `for`), and when
-- a firing alert was last e-mailed (the rule's `repeat`).
CREATE TABLE threshold_state (
  agent             TEXT    NOT NULL,
  rule              TEXT    NOT NULL,
  series            TEXT    NOT NULL,
  pending_since_ms  INTEGER NOT NULL,
  PRIMARY KEY (agent, rule, series)
);
ALTER TABLE alert ADD COLUMN last_notified_ms INTEGER;
