package id.penjaga.agent.logs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import id.penjaga.agent.AgentFixtures;
import id.penjaga.agent.Contract;
import id.penjaga.agent.cli.CliRun;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The log analysis on crafted logs of each kind: exact counts, findings, and reading only what is new. */
class LogAnalyzerTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;
  Path config;

  CliRun cli(String... args) {
    return CliRun.with(config, args);
  }

  void configure() throws Exception {
    Path pass = AgentFixtures.secret(dir.resolve("repo.pass"), "kata-sandi");
    Files.createDirectories(dir.resolve("file"));
    config =
        AgentFixtures.backupConfig(
            dir.resolve("agent.yaml"), "lpse-uji", dir.resolve("state"), dir.resolve("usb"), pass, dir.resolve("file"),
            "logs:",
            "  spse:",
            "    paths: [\"" + dir.resolve("app") + "/*.log\"]",
            "    size: 10MiB",
            "    patterns:",
            "      - name: koneksi-db-gagal",
            "        regex: \"Connection refused\"",
            "        severity: high",
            "  nginx:",
            "    kind: access",
            "    paths: [\"" + dir.resolve("nginx") + "/access.log\"]",
            "    size: 10MiB",
            "  auth:",
            "    kind: auth",
            "    paths: [\"" + dir.resolve("os") + "/auth.log\"]",
            "    size: 10MiB",
            "log-analysis:",
            "  failed-logins-per-address: 5");
  }

  static void append(Path file, String text) throws Exception {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  @Test
  void hostileLinesAreCountedButNeverTrusted() throws Exception {
    configure();
    java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
    log.write("2026-11-24 10:00:01 ERROR Auth - login gagal untuk rekanan 17\n".getBytes());
    // a line of 5 MB without a break
    log.write(("2026-11-24 10:00:02 ERROR Upload - " + "A".repeat(5_000_000) + "\n").getBytes());
    // binary garbage, NULs included
    log.write(new byte[] {0, 1, 2, (byte) 0xff, (byte) 0xfe, 0, 'x', '\n'});
    // invalid UTF-8 in an error message
    log.write("2026-11-24 10:00:03 ERROR Parser - nama berkas ".getBytes());
    log.write(new byte[] {(byte) 0xc3, 0x28, (byte) 0xa0, (byte) 0xa1, (byte) 0xf0, 0x28, (byte) 0x8c, '\n'});
    // terminal escapes and markup meant for whoever reads the report
    log.write("2026-11-24 10:00:04 ERROR Web - \u001b[31m<script>alert(1)</script>\u001b[0m\n".getBytes());
    log.write("2026-11-24 10:00:05 ERROR Auth - login gagal untuk rekanan 18\n".getBytes());
    Files.createDirectories(dir.resolve("app"));
    Files.write(dir.resolve("app/spse.log"), log.toByteArray());
    append(dir.resolve("nginx/access.log"), "");
    append(dir.resolve("os/auth.log"), "");

    CliRun run = cli("analyze-logs", "--json");
    assertThat(run.exit()).as(run.err()).isZero();
    // The record stays small enough for the collector (1 MiB by default) and is valid JSON and UTF-8.
    assertThat(run.out().getBytes(java.nio.charset.StandardCharsets.UTF_8).length).isLessThan(256 * 1024);
    JsonNode r = JSON.readTree(run.out());
    Contract.assertValid("log-analysis", r);
    JsonNode app = r.path("sets").get(0);
    assertThat(app.path("lines").asLong()).isEqualTo(6);
    assertThat(app.path("errors").asLong()).isEqualTo(5);
    assertThat(app.path("top_errors").get(0).path("count").asLong()).isEqualTo(2);
    for (JsonNode e : app.path("top_errors")) {
      assertThat(e.path("message").asText().length()).isLessThanOrEqualTo(1000);
      assertThat(e.path("message").asText()).doesNotContain("\u0000").doesNotContain("\u001b");
    }
  }

  @Test
  void craftedLogsGiveExactCountsAndFindings() throws Exception {
    configure();
    append(dir.resolve("app/spse.log"), """
        2026-11-24 10:00:01 INFO  LelangService - paket 1201 dibuka
        2026-11-24 10:00:02 WARN  LelangService - lambat 3021 ms
        2026-11-24 10:00:03 ERROR LelangService - timeout after 30000 ms for paket 1201
        2026-11-24 10:00:04 ERROR LelangService - timeout after 30000 ms for paket 1305
        java.net.SocketTimeoutException: Read timed out
        \tat java.base/java.net.SocketInputStream.read(SocketInputStream.java:168)
        2026-11-24 10:00:05 ERROR DataSource - org.postgresql.util.PSQLException: Connection refused
        2026-11-24 10:00:06 WARNING cache penuh
        """);
    // A rotated, compressed log of the same set is read too.
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve("app/spse.log.2.gz")))) {
      out.write("2026-11-23 23:59:59 ERROR LelangService - timeout after 30000 ms for paket 99\n".getBytes());
    }
    append(dir.resolve("nginx/access.log"), """
        10.0.0.1 - - [24/Nov/2026:10:00:01 +0700] "GET /eproc4 HTTP/1.1" 200 512 "-" "Mozilla"
        10.0.0.2 - - [24/Nov/2026:10:00:02 +0700] "GET /eproc4/lelang?id=5 HTTP/1.1" 502 0 "-" "Mozilla"
        10.0.0.2 - - [24/Nov/2026:10:00:03 +0700] "POST /eproc4/lelang?id=6 HTTP/1.1" 500 0 "-" "Mozilla"
        10.0.0.3 - - [24/Nov/2026:10:00:04 +0700] "GET /eproc4/dok HTTP/1.1" 503 0 "-" "Mozilla"
        10.0.0.3 - - [24/Nov/2026:10:00:05 +0700] "GET /favicon.ico HTTP/1.1" 404 0 "-" "Mozilla"
        10.0.0.4 - - [24/Nov/2026:10:00:06 +0700] "GET /eproc4 HTTP/1.1" 304 0 "-" "Mozilla"
        """);
    StringBuilder auth = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      auth.append("Nov 24 10:0").append(i).append(":00 lpse sshd[10").append(i)
          .append("]: Failed password for invalid user admin from 203.0.113.9 port 4").append(i).append(" ssh2\n");
    }
    auth.append("Nov 24 10:07:00 lpse sshd[200]: Failed password for root from 198.51.100.7 port 5000 ssh2\n");
    auth.append("Nov 24 10:08:00 lpse sshd[201]: Accepted publickey for adminlpse from 10.0.0.5 port 5001 ssh2: ED25519 SHA256:x\n");
    auth.append("Nov 24 10:09:00 lpse sshd[202]: Accepted password for vendor from 10.0.0.6 port 5002 ssh2\n");
    auth.append("Nov 24 10:10:00 lpse useradd[300]: new user: name=vendor, UID=1002, GID=1002, home=/home/vendor\n");
    auth.append("Nov 24 18:00:00 lpse userdel[301]: delete user 'vendor'\n");
    append(dir.resolve("os/auth.log"), auth.toString());

    CliRun run = cli("analyze-logs", "--json");
    assertThat(run.exit()).as(run.err()).isZero();
    JsonNode r = JSON.readTree(run.out());
    Contract.assertValid("log-analysis", r);
    JsonNode app = r.path("sets").get(0);
    assertThat(app.path("lines").asLong()).isEqualTo(9);
    assertThat(app.path("errors").asLong()).isEqualTo(4);
    assertThat(app.path("warnings").asLong()).isEqualTo(2);
    assertThat(app.path("exceptions").asLong()).isEqualTo(2);
    assertThat(app.path("top_errors").get(0).path("count").asLong()).isEqualTo(3);
    assertThat(app.path("top_errors").get(0).path("message").asText())
        .isEqualTo("#-#-# #:#:# ERROR LelangService - timeout after # ms for paket #");
    assertThat(app.path("patterns").get(0).path("count").asLong()).isEqualTo(1);

    JsonNode web = r.path("sets").get(1);
    assertThat(web.path("requests").asLong()).isEqualTo(6);
    assertThat(web.path("status_classes").toString()).isEqualTo("{\"2xx\":1,\"3xx\":1,\"4xx\":1,\"5xx\":3}");
    assertThat(web.path("top_5xx_paths").get(0).path("path").asText()).isEqualTo("/eproc4/lelang");
    assertThat(web.path("top_5xx_paths").get(0).path("count").asLong()).isEqualTo(2);

    JsonNode os = r.path("sets").get(2);
    assertThat(os.path("ssh_failed").asLong()).isEqualTo(7);
    assertThat(os.path("ssh_accepted").asLong()).isEqualTo(2);
    assertThat(os.path("ssh_failed_by_address").get(0).toString())
        .isEqualTo("{\"address\":\"203.0.113.9\",\"count\":6}");
    assertThat(os.path("ssh_accepted_by_user").toString()).contains("\"user\":\"vendor\",\"address\":\"10.0.0.6\"");
    assertThat(os.path("accounts_created").toString()).isEqualTo("[\"vendor\"]");
    assertThat(os.path("accounts_deleted").toString()).isEqualTo("[\"vendor\"]");

    assertThat(r.path("findings")).hasSize(2);
    assertThat(r.path("findings").toString())
        .contains("6 failed SSH logins from 203.0.113.9")
        .contains("koneksi-db-gagal")
        .doesNotContain("198.51.100.7");
    assertThat(Files.readString(dir.resolve("state/records.jsonl"))).contains("\"type\":\"log-analysis\"");
  }

  @Test
  void sinceLastReadsOnlyWhatIsNewAcrossARotation() throws Exception {
    configure();
    Path log = dir.resolve("app/spse.log");
    append(log, "ERROR satu\nERROR dua\n");
    JsonNode first = JSON.readTree(cli("analyze-logs", "--set", "spse", "--since-last", "--json").out());
    assertThat(first.path("sets").get(0).path("errors").asLong()).isEqualTo(2);
    // A line still being written (no newline yet) waits for the next run.
    append(log, "ERROR tiga\nERROR emp");
    JsonNode second = JSON.readTree(cli("analyze-logs", "--set", "spse", "--since-last", "--json").out());
    assertThat(second.path("sets").get(0).path("errors").asLong()).isEqualTo(1);
    // The log is rotated (renamed, as create mode does) and written on.
    append(log, "at\n");
    Files.move(log, dir.resolve("app/spse.log.1"));
    append(log, "ERROR lima\n");
    JsonNode third = JSON.readTree(cli("analyze-logs", "--set", "spse", "--since-last", "--json").out());
    assertThat(third.path("sets").get(0).path("errors").asLong()).isEqualTo(2);
    assertThat(third.path("sets").get(0).path("lines").asLong()).isEqualTo(2);
    JsonNode nothing = JSON.readTree(cli("analyze-logs", "--set", "spse", "--since-last", "--json").out());
    assertThat(nothing.path("sets").get(0).path("lines").asLong()).isZero();
  }
}
