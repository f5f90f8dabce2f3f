-- What no sampler measures (SOP 6: staff, contracted bandwidth ...), entered by people, per month;
-- and the tender load (procurement packages per month) for year-on-year comparison. A later entry
-- for the same component and month is the one in force; every entry is also an evidence record.
CREATE TABLE manual_capacity (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  component   TEXT    NOT NULL,
  month       TEXT    NOT NULL,   -- YYYY-MM
  value       REAL    NOT NULL,
  limit_value REAL,
  unit        TEXT    NOT NULL,
  note        TEXT,
  entered_by  TEXT    NOT NULL,
  entered_ms  INTEGER NOT NULL
);
CREATE INDEX manual_capacity_month ON manual_capacity (month, component);

CREATE TABLE tender_load (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  month       TEXT    NOT NULL,   -- YYYY-MM
  packages    INTEGER NOT NULL,
  entered_by  TEXT    NOT NULL,
  entered_ms  INTEGER NOT NULL
);
CREATE INDEX tender_load_month ON tender_load (month);
