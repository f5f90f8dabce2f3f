-- Decision links from e-mails are good for one use: the nonce of each used link.
CREATE TABLE used_link (
  nonce    TEXT    PRIMARY KEY,
  alert_id INTEGER NOT NULL,
  used_ms  INTEGER NOT NULL
);
