package id.penjaga.agent.backup.postgres;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One {@code psql} session kept open: statements go in on its standard input and their results
 * come back unaligned, one value a line, each result closed by a marker line. The session is one
 * connection, so a transaction begun in it holds (an exported snapshot stays valid) until it ends.
 * psql stops at the first error ({@code ON_ERROR_STOP}); the error is then thrown with psql's own
 * words.
 */
final class PsqlSession implements AutoCloseable {
  private static final String END = "--penjaga-end-of-result--";

  private final Process process;
  private final Writer in;
  private final BufferedReader out;
  private final StderrTail stderr;

  PsqlSession(PgConnection conn, Path binDir, String database) throws IOException {
    ProcessBuilder pb =
        conn.process(
            database,
            List.of(
                binDir.resolve("psql").toString(),
                "--no-psqlrc",
                "--quiet",
                "--no-align",
                "--tuples-only",
                "--no-password",
                "--set=ON_ERROR_STOP=1"));
    this.process = pb.start();
    this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    this.out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    this.stderr = StderrTail.drain(process.getErrorStream(), "psql-stderr");
  }

  /** Runs one SQL statement (no trailing semicolon) and returns its output lines joined by '\n'. */
  synchronized String query(String sql) throws IOException {
    try {
      in.write(sql);
      in.write(";\n\\echo " + END + "\n");
      in.flush();
    } catch (IOException e) {
      throw failure(e);
    }
    StringBuilder sb = new StringBuilder();
    String line;
    while ((line = out.readLine()) != null) {
      if (line.equals(END)) {
        return sb.toString();
      }
      if (sb.length() > 0) {
        sb.append('\n');
      }
      sb.append(line);
    }
    throw failure(null);
  }

  /** The error of a session that ended early: psql's message when it gave one. */
  private IOException failure(IOException cause) {
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    String why = stderr.text();
    return new IOException(
        "psql: " + (why.isEmpty() ? "the session ended unexpectedly" : why), cause);
  }

  /** Ends the session; an open transaction is rolled back by the server. */
  @Override
  public void close() {
    try {
      in.write("\\q\n");
      in.close();
    } catch (IOException e) {
      // already gone
    }
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  /** Quotes a value as an SQL string literal, whatever standard_conforming_strings says. */
  static String literal(String s) {
    return "E'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  /** Quotes a name as an SQL identifier. */
  static String identifier(String s) {
    return "\"" + s.replace("\"", "\"\"") + "\"";
  }
}
