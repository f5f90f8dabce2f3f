package id.penjaga.agent.backup.restoretest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import id.penjaga.agent.AgentFixtures;
import id.penjaga.agent.Contract;
import id.penjaga.agent.PostgresServer;
import id.penjaga.agent.cli.CliRun;
import id.penjaga.agent.backup.archiver.ArchiveOptions;
import id.penjaga.agent.backup.archiver.Archiver;
import id.penjaga.agent.backup.backend.LocalBackend;
import id.penjaga.agent.backup.repository.BlobId;
import id.penjaga.agent.backup.repository.Node;
import id.penjaga.agent.backup.repository.Repository;
import id.penjaga.agent.backup.repository.Snapshot;
import id.penjaga.agent.backup.restorer.Restorer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code restore-test} on real files and a real PostgreSQL server. */
class RestoreTestTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;
  Path config;

  CliRun cli(String... args) {
    return CliRun.with(config, args);
  }

  void configure(String... more) throws IOException {
    Path pass = AgentFixtures.secret(dir.resolve("repo.pass"), "kata-sandi");
    List<String> lines = new ArrayList<>(List.of(more));
    config =
        AgentFixtures.backupConfig(
            dir.resolve("agent.yaml"), "lpse-uji", dir.resolve("state"), dir.resolve("usb"), pass,
            dir.resolve("file"), lines.toArray(String[]::new));
    assertThat(cli("init").exit()).isZero();
  }

  void writeFiles(int count) throws IOException {
    Random r = new Random(3);
    for (int i = 0; i < count; i++) {
      Path f = dir.resolve("file/2026/paket-" + i + "/dokumen.pdf");
      Files.createDirectories(f.getParent());
      byte[] b = new byte[1000 + r.nextInt(i % 4 == 0 ? 3_000_000 : 50_000)];
      r.nextBytes(b);
      Files.write(f, b);
    }
  }

  static void assertFollowsContract(JsonNode body) throws IOException {
    Contract.assertValid("restore-test", body);
  }

  static List<String> paths(JsonNode result) {
    List<String> p = new ArrayList<>();
    result.path("sources").forEach(s -> s.path("files").forEach(f -> p.add(f.path("path").asText())));
    return p;
  }

  @Test
  void aCleanRepositoryPassesAndTheSameSeedDrawsTheSameSample() throws Exception {
    writeFiles(40);
    configure("restore-test:", "  files: 8");
    assertThat(cli("backup").exit()).isZero();

    CliRun first = cli("restore-test", "--seed", "42", "--json");
    assertThat(first.exit()).as(first.out() + first.err()).isZero();
    JsonNode r = JSON.readTree(first.out());
    assertFollowsContract(r);
    assertThat(r.path("result").asText()).isEqualTo("pass");
    assertThat(r.path("seed").asLong()).isEqualTo(42);
    JsonNode src = r.path("sources").get(0);
    assertThat(src.path("files")).hasSize(8);
    assertThat(src.path("files")).allSatisfy(f -> {
      assertThat(f.path("result").asText()).isEqualTo("ok");
      assertThat(f.path("live_compared").asBoolean()).isTrue();
    });
    // Stratified: the sample holds both small files and the big ones (every fourth is big).
    assertThat(src.path("files").findValues("size").stream().mapToLong(JsonNode::asLong).max().getAsLong())
        .isGreaterThan(60_000);
    assertThat(src.path("files").findValues("size").stream().mapToLong(JsonNode::asLong).min().getAsLong())
        .isLessThan(60_000);
    assertThat(src.path("bytes_per_second").asLong()).isPositive();
    assertThat(src.path("projected_full_restore_seconds").asLong()).isNotNegative();

    JsonNode again = JSON.readTree(cli("restore-test", "--seed", "42", "--json").out());
    assertThat(paths(again)).isEqualTo(paths(r));
    JsonNode other = JSON.readTree(cli("restore-test", "--seed", "43", "--json").out());
    assertThat(paths(other)).hasSize(8);
    // A share of the files, when that is more than the count.
    Files.writeString(config, Files.readString(config).replace("  files: 8", "  files: 8\n  files-percent: 50"));
    assertThat(paths(JSON.readTree(cli("restore-test", "--json").out()))).hasSize(20);
    // Nothing restored is left behind.
    try (Stream<Path> s = Files.walk(dir.resolve("state/restore-test"))) {
      assertThat(s.filter(Files::isRegularFile).toList()).isEmpty();
    }
    // The record is in the journal for the collector.
    assertThat(Files.readString(dir.resolve("state/records.jsonl"))).contains("\"type\":\"restore-test\"");
  }

  @Test
  void aCorruptedChunkFailsTheTestAndNamesTheFile() throws Exception {
    writeFiles(6);
    configure("restore-test:", "  files: 20");
    assertThat(cli("backup").exit()).isZero();
    // Damage the middle of every pack of file content on the backup disk (directory listings
    // have packs of their own, left whole here).
    java.util.Set<String> dataPacks = new java.util.HashSet<>();
    try (Repository repo =
        Repository.open(new LocalBackend(dir.resolve("usb")), "kata-sandi".toCharArray(), Clock.systemUTC())) {
      repo.forEachIndexEntry(b -> {
        if (b.type() == id.penjaga.agent.backup.repository.BlobType.DATA) {
          dataPacks.add(b.pack());
        }
      });
    }
    assertThat(dataPacks).isNotEmpty();
    try (Stream<Path> packs = Files.walk(dir.resolve("usb/data"))) {
      for (Path p : packs.filter(f -> dataPacks.contains(f.getFileName().toString())).toList()) {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
          f.seek(f.length() / 2);
          int b = f.read();
          f.seek(f.length() / 2);
          f.write(b ^ 0xff);
        }
      }
    }
    CliRun run = cli("restore-test", "--json");
    assertThat(run.exit()).isEqualTo(1);
    JsonNode r = JSON.readTree(run.out());
    assertFollowsContract(r);
    assertThat(r.path("result").asText()).isEqualTo("fail");
    List<JsonNode> failed = new ArrayList<>();
    r.path("sources").get(0).path("files").forEach(f -> {
      if (f.path("result").asText().equals("failed")) {
        failed.add(f);
      }
    });
    assertThat(failed).isNotEmpty();
    String path = failed.get(0).path("path").asText();
    assertThat(path).startsWith("/2026/paket-");
    assertThat(r.path("failures").toString()).contains(path);
    assertThat(Files.readString(dir.resolve("state/records.jsonl"))).contains("\"kind\":\"restore-test\"");
  }

  /**
   * Replaces the latest snapshot of {@code source} by one the same but for the recorded row count
   * of the first table of {@code database}: a dump that does not match its own record.
   */
  void recordWrongCount(String source, String database, long rows) throws Exception {
    try (Repository repo =
            Repository.open(new LocalBackend(dir.resolve("usb")), "kata-sandi".toCharArray(), Clock.systemUTC());
        Archiver a = new Archiver(repo, new ArchiveOptions(List.of(), false), 2)) {
      Snapshot latest = repo.findSnapshot("latest", source);
      Node dbDir =
          repo.loadTree(BlobId.parse(latest.tree())).nodes().stream()
              .filter(n -> n.name().equals(database))
              .findFirst()
              .orElseThrow();
      List<Node> entries = new ArrayList<>(repo.loadTree(BlobId.parse(dbDir.subtree())).nodes());
      Node metaNode = entries.stream().filter(n -> n.name().equals("meta.json")).findFirst().orElseThrow();
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      new Restorer(repo).copyContent(metaNode, bytes);
      ObjectNode meta = (ObjectNode) JSON.readTree(bytes.toByteArray());
      ((ObjectNode) meta.path("tables").get(0)).put("rows", rows);
      Archiver.Counters c = Archiver.counters();
      Instant now = Instant.now();
      entries.remove(metaNode);
      entries.add(a.saveStream("meta.json", new ByteArrayInputStream(JSON.writeValueAsBytes(meta)), now, null, c));
      Node newDir = a.saveDirectory(database, entries, now, c);
      a.snapshotOf(List.of(newDir), now, source, latest.path(), latest, null, List.of(), "test", c);
      // Only the altered snapshot is left to draw.
      repo.removeSnapshot(latest.id());
    }
  }

  @Test
  void theSampleCoversEverySizeAndTheNewestDay() {
    List<RestoreTester.Entry> files = new ArrayList<>();
    long day = 86_400_000_000_000L;
    for (int i = 0; i < 400; i++) {
      // Sizes from 1 KB to 400 MB; all old but one small file written on the newest day.
      long mtime = i == 7 ? 100 * day : 10 * day + i;
      files.add(new RestoreTester.Entry("f" + i, node((i + 1) * 1_000_000L - 999_000L, mtime)));
    }
    for (long seed = 0; seed < 50; seed++) {
      List<RestoreTester.Entry> s = RestoreTester.sample(files, 8, new java.util.SplittableRandom(seed));
      assertThat(s).hasSize(8).doesNotHaveDuplicates();
      assertThat(s).anySatisfy(e -> assertThat(e.node().mtime()).isEqualTo(100 * day));
      for (int q = 0; q < 4; q++) {
        long lo = q * 100 * 1_000_000L;
        long hi = (q + 1) * 100 * 1_000_000L;
        assertThat(s).as("seed %d, size quarter %d", seed, q)
            .anySatisfy(e -> assertThat(e.node().size()).isBetween(lo - 999_000L, hi));
      }
      assertThat(RestoreTester.sample(files, 8, new java.util.SplittableRandom(seed))).isEqualTo(s);
    }
  }

  static Node node(long size, long mtime) {
    return new Node("x", Node.FILE, 0644, 0, 0, null, null, mtime, null, null, null, size, List.of(), null, null, null);
  }

  @Test
  void aDatabaseIsRestoredIntoAScratchDatabaseThatIsDroppedAfterwards() throws Exception {
    try (PostgresServer pg = PostgresServer.start()) {
      pg.sql("postgres", "CREATE DATABASE spse");
      pg.sql(
          "spse",
          "CREATE TABLE paket (id int PRIMARY KEY, nama text);"
              + " INSERT INTO paket SELECT g, 'paket ' || g FROM generate_series(1, 5000) g;");
      Files.createDirectories(dir.resolve("file"));
      configure(
          "  db:", "    type: postgresql", "    host: " + pg.socketDir, "    port: " + pg.port,
          "    database: spse", "    globals: false",
          "restore-test:", "  sanity-queries:", "    - SELECT count(*) > 4000 FROM paket");
      assertThat(cli("backup", "--source", "db").exit()).isZero();

      CliRun ok = cli("restore-test", "--source", "db", "--json");
      assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
      JsonNode r = JSON.readTree(ok.out());
      assertFollowsContract(r);
      JsonNode db = r.path("sources").get(0).path("databases").get(0);
      assertThat(db.path("result").asText()).isEqualTo("pass");
      assertThat(db.path("tables").get(0).path("rows_restored").asLong()).isEqualTo(5000);
      assertThat(db.path("sanity_queries").get(0).path("result").asText()).isEqualTo("ok");
      assertThat(db.path("scratch_dropped").asBoolean()).isTrue();
      assertThat(pg.sql("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'penjaga_restore_test%'"))
          .isEqualTo("0");

      // A dump whose rows differ from the counts recorded beside it fails the test.
      recordWrongCount("db", "spse", 4999);
      CliRun wrong = cli("restore-test", "--source", "db", "--json");
      assertThat(wrong.exit()).as(wrong.out() + wrong.err()).isEqualTo(1);
      JsonNode w = JSON.readTree(wrong.out());
      assertFollowsContract(w);
      assertThat(w.path("failures").toString())
          .contains("table public.paket has 5000 rows restored, 4999 recorded at backup");
      assertThat(w.path("sources").get(0).path("databases").get(0).path("scratch_dropped").asBoolean()).isTrue();
      assertThat(pg.sql("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'penjaga_restore_test%'"))
          .isEqualTo("0");

      // A sanity query the restored data does not answer fails the test; the scratch database
      // is dropped all the same.
      Files.writeString(config, Files.readString(config).replace("count(*) > 4000", "count(*) > 9000"));
      CliRun bad = cli("restore-test", "--source", "db", "--json");
      assertThat(bad.exit()).isEqualTo(1);
      JsonNode f = JSON.readTree(bad.out());
      assertThat(f.path("failures").toString()).contains("sanity query").contains("count(*) > 9000");
      assertThat(pg.sql("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'penjaga_restore_test%'"))
          .isEqualTo("0");
    }
  }
}
