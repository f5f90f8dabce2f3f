-- Decision links from e-mails are good for one use: the nonce of each used link.
CREATE TABLE used_link (
  nonce    TEXT    PRIMARY KEY,
  alert_id BIGINT  NOT NULL,
  used_ms  BIGINT  NOT NULL
);
