package id.penjaga.collector.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The few places where the store's SQL differs between SQLite and PostgreSQL: reading a field of
 * a JSON text column, comparing ISO-8601 times as instants, the larger of two values, the
 * elements of a JSON array, and serialising writers of the evidence chain. Everything else is
 * the same SQL on both.
 */
public enum Dialect {
  SQLITE,
  POSTGRESQL;

  /** The dialect of a JDBC URL. */
  public static Dialect ofUrl(String jdbcUrl) {
    if (jdbcUrl.startsWith("jdbc:sqlite:")) {
      return SQLITE;
    }
    if (jdbcUrl.startsWith("jdbc:postgresql:")) {
      return POSTGRESQL;
    }
    throw new IllegalArgumentException("not an SQLite or PostgreSQL JDBC URL");
  }

  /** The dialect of an open connection. */
  public static Dialect of(Connection c) throws SQLException {
    return ofUrl(c.getMetaData().getURL());
  }

  /**
   * The text at {@code path} (dot-separated keys, e.g. {@code body.source}) of the JSON held in
   * {@code expr}; an object or array comes back as JSON text, a missing key as NULL.
   */
  public String json(String expr, String path) {
    checkPath(path);
    return switch (this) {
      case SQLITE -> "json_extract(" + expr + ", '$." + path + "')";
      case POSTGRESQL -> "(" + expr + "::jsonb #>> '{" + path.replace('.', ',') + "}')";
    };
  }

  /** As {@link #json}, as a number (for comparing with integer columns). */
  public String jsonNumber(String expr, String path) {
    return switch (this) {
      case SQLITE -> json(expr, path);
      case POSTGRESQL -> "(" + json(expr, path) + ")::numeric";
    };
  }

  /** Seconds since the epoch (with fractions) of an ISO-8601 time held as text in {@code expr}. */
  public String epoch(String expr) {
    return switch (this) {
      case SQLITE -> "unixepoch(" + expr + ", 'subsec')";
      case POSTGRESQL -> "extract(epoch from (" + expr + ")::timestamptz)";
    };
  }

  /** The larger of two values. */
  public String greatest(String a, String b) {
    return switch (this) {
      case SQLITE -> "max(" + a + ", " + b + ")";
      case POSTGRESQL -> "greatest(" + a + ", " + b + ")";
    };
  }

  /**
   * A FROM-clause item with one row per element of the JSON array in {@code expr}, named
   * {@code alias}; each element is {@code alias.value}, to read with {@link #json}.
   */
  public String jsonElements(String expr, String alias) {
    return switch (this) {
      case SQLITE -> "json_each(" + expr + ") " + alias;
      case POSTGRESQL -> "jsonb_array_elements((" + expr + ")::jsonb) " + alias + "(value)";
    };
  }

  /**
   * Makes the caller's transaction the only one appending to the evidence chain until it ends.
   * SQLite has one writer at a time anyway; on PostgreSQL, several collectors may share the store.
   */
  public void lockEvidenceChain(Connection c) throws SQLException {
    if (this == POSTGRESQL) {
      try (Statement s = c.createStatement()) {
        s.execute("SELECT pg_advisory_xact_lock(" + EVIDENCE_LOCK + ")");
      }
    }
  }

  /** The first key of the advisory locks of {@code ReportStore} leases ("PJ"); the second is the name's hash. */
  static final int LEASE_CLASS = 0x504A;

  /** The advisory lock key of the evidence chain ("PJEV"). */
  static final long EVIDENCE_LOCK = 0x504A4556L;

  private static void checkPath(String path) {
    if (!path.matches("[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+)*")) {
      throw new IllegalArgumentException("bad JSON path: " + path);
    }
  }
}
