-- Every report an agent sent, once: (agent, seq) is the agent's own numbering, so a report sent
-- again after a crash or a lost acknowledgement is recognised and not stored twice.
CREATE TABLE report (
  agent          TEXT    NOT NULL,
  seq            INTEGER NOT NULL,
  type           TEXT    NOT NULL,
  schema_version INTEGER NOT NULL,
  agent_time     TEXT    NOT NULL,
  received_ms    INTEGER NOT NULL,
  body           TEXT    NOT NULL,
  PRIMARY KEY (agent, seq)
);
CREATE INDEX report_type_received ON report (type, received_ms);

-- One row per agent that has reported: when the collector last heard from it.
CREATE TABLE agent (
  id            TEXT    PRIMARY KEY,
  first_seen_ms INTEGER NOT NULL,
  last_seen_ms  INTEGER NOT NULL,
  last_seq      INTEGER NOT NULL,
  agent_version TEXT
);
