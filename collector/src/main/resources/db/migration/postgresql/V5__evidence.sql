-- The evidence register: one row per SOP activity, append-only and hash-chained (see the SQLite
-- migration of the same version). The trigger refuses edits and deletions through SQL, TRUNCATE
-- included; the chain finds edits made around it.
CREATE TABLE evidence (
  seq          BIGINT  PRIMARY KEY,
  recorded_ms  BIGINT  NOT NULL,
  occurred_at  TEXT    NOT NULL,
  sop_ref      TEXT    NOT NULL,
  activity     TEXT    NOT NULL,
  agent        TEXT,
  actor        TEXT    NOT NULL,
  outcome      TEXT    NOT NULL,
  summary      TEXT    NOT NULL,
  details      TEXT    NOT NULL,
  links        TEXT    NOT NULL,
  prev_hash    TEXT    NOT NULL,
  hash         TEXT    NOT NULL
);
CREATE INDEX evidence_occurred ON evidence (occurred_at);
CREATE INDEX evidence_activity ON evidence (activity, occurred_at);

CREATE FUNCTION evidence_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the evidence register is append-only';
END;
$$;

CREATE TRIGGER evidence_no_update BEFORE UPDATE OR DELETE ON evidence
  FOR EACH ROW EXECUTE FUNCTION evidence_append_only();
CREATE TRIGGER evidence_no_truncate BEFORE TRUNCATE ON evidence
  FOR EACH STATEMENT EXECUTE FUNCTION evidence_append_only();
