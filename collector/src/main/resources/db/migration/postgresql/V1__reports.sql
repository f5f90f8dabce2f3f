-- Every report an agent sent, once: (agent, seq) is the agent's own numbering, so a report sent
-- again after a crash or a lost acknowledgement is recognised and not stored twice.
-- (The PostgreSQL form of the same schema as the SQLite migrations of the same version.)
CREATE TABLE report (
  agent          TEXT    NOT NULL,
  seq            BIGINT  NOT NULL,
  type           TEXT    NOT NULL,
  schema_version INTEGER NOT NULL,
  agent_time     TEXT    NOT NULL,
  received_ms    BIGINT  NOT NULL,
  body           TEXT    NOT NULL,   -- JSON, kept as sent
  PRIMARY KEY (agent, seq)
);
CREATE INDEX report_type_received ON report (type, received_ms);

-- One row per agent that has reported: when the collector last heard from it.
CREATE TABLE agent (
  id            TEXT    PRIMARY KEY,
  first_seen_ms BIGINT  NOT NULL,
  last_seen_ms  BIGINT  NOT NULL,
  last_seq      BIGINT  NOT NULL,
  agent_version TEXT
);
