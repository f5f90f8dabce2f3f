-- The acceptable limits ("batas kelayakan") in force, each time they change: threshold rules and
-- the staleness limits, as canonical JSON. Changes are also evidence records.
CREATE TABLE limits_snapshot (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  recorded_ms INTEGER NOT NULL,
  source      TEXT    NOT NULL,
  content     TEXT    NOT NULL
);
