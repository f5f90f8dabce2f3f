package id.penjaga.collector.web;

import id.penjaga.collector.TestStores;
import static org.assertj.core.api.Assertions.assertThat;

import id.penjaga.collector.cli.CollectorMain;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Argon2id hashes: made by the CLI from standard input, checked, and a plain password refused in config. */
class PasswordHashTest {
  @TempDir Path dir;

  @Test
  void hashesVerifyOnlyTheirOwnPasswordAndAreSalted() {
    String a = PasswordHash.hash("kata-sandi-panjang".toCharArray());
    String b = PasswordHash.hash("kata-sandi-panjang".toCharArray());
    assertThat(a).startsWith("$argon2id$v=19$m=19456,t=2,p=1$").isNotEqualTo(b);
    assertThat(PasswordHash.verify("kata-sandi-panjang".toCharArray(), a)).isTrue();
    assertThat(PasswordHash.verify("kata-sandi-panjanG".toCharArray(), a)).isFalse();
    assertThat(PasswordHash.verify("x".toCharArray(), "$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA")).isFalse();
    assertThat(PasswordHash.verify("x".toCharArray(), "plain")).isFalse();
  }

  @Test
  void theCliHashesAPasswordFromStandardInputAndTheConfigTakesOnlyHashes() throws Exception {
    InputStream in = System.in;
    PrintStream out = System.out;
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    try {
      System.setIn(new ByteArrayInputStream("Rahasia-Kepala-2026\n".getBytes(StandardCharsets.UTF_8)));
      System.setOut(new PrintStream(got, true, StandardCharsets.UTF_8));
      assertThat(CollectorMain.execute("hash-password")).isZero();
      System.setIn(new ByteArrayInputStream("pendek\n".getBytes(StandardCharsets.UTF_8)));
      assertThat(CollectorMain.execute("hash-password")).isEqualTo(2);
    } finally {
      System.setIn(in);
      System.setOut(out);
    }
    String hash = got.toString(StandardCharsets.UTF_8).trim();
    assertThat(PasswordHash.verify("Rahasia-Kepala-2026".toCharArray(), hash)).isTrue();

    Path config = dir.resolve("collector.yaml");
    Files.writeString(config, "collector:\n  store: " + TestStores.yaml(dir.resolve("c.db")) + "\nweb:\n  users:\n    kepala:\n"
        + "      password-hash: \"" + hash + "\"\n      role: kepala-lpse\n");
    assertThat(CollectorMain.execute("-c", config.toString(), "config", "check")).isZero();
    Files.writeString(config, "collector:\n  store: " + TestStores.yaml(dir.resolve("c.db")) + "\nweb:\n  users:\n    kepala:\n"
        + "      password-hash: Rahasia-Kepala-2026\n");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream e = System.err;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      assertThat(CollectorMain.execute("-c", config.toString(), "config", "check")).isEqualTo(2);
    } finally {
      System.setErr(e);
    }
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("collector.yaml:").contains("password-hash")
        .contains("hash-password").doesNotContain("Rahasia-Kepala-2026");
  }
}
