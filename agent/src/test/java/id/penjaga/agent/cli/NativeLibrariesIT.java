package id.penjaga.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import id.penjaga.agent.AgentFixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's jar unpacks its native libraries as penjaga-setup does, and its commands then run
 * on them where they could not unpack their own (no temporary directory at all).
 */
class NativeLibrariesIT {
  static final Path ROOT = Path.of(System.getProperty("penjaga.root", "..")).toAbsolutePath();
  static final Path JAR = ROOT.resolve("agent/target/penjaga-agent.jar");

  @TempDir Path dir;

  record Run(int exit, String out) {}

  private Run java(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("java", "-XX:TieredStopAtLevel=1"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Run(p.waitFor(), out);
  }

  @Test
  void commandsRunOnTheLibrariesUnpackedAtInstallWithoutATemporaryDirectory() throws Exception {
    Path lib = dir.resolve("native");
    Run unpack = java("-cp", JAR.toString(), "id.penjaga.agent.cli.NativeLibraries", "unpack", lib.toString());
    assertThat(unpack.exit()).as(unpack.out()).isZero();
    assertThat(lib.resolve("libamazonCorrettoCryptoProvider.so")).isRegularFile();
    try (var zstd = Files.newDirectoryStream(lib, "libzstd-jni-*.so")) {
      assertThat(zstd).hasSize(1);
    }
    // a temporary directory that cannot be made: its parent is a file
    Files.writeString(dir.resolve("a-file"), "not a directory");
    String noTmp = "-Djava.io.tmpdir=" + dir.resolve("a-file/tmp");
    String onPath = "-Djava.library.path=" + lib;
    String named = "-D" + NativeLibraries.DIR_PROPERTY + "=" + lib;

    Run check = java(noTmp, onPath, named, "-cp", JAR.toString(), "id.penjaga.agent.cli.NativeLibraries", "check");
    assertThat(check.out()).contains("the unpacked ones, AES native, zstd native");
    assertThat(check.exit()).isZero();
    // The same without the directory on the library path: the provider could only unpack its own,
    // and with no temporary directory it cannot.
    Run offPath = java(noTmp, named, "-cp", JAR.toString(), "id.penjaga.agent.cli.NativeLibraries", "check");
    assertThat(offPath.out()).contains("AES the JDK's");
    assertThat(offPath.exit()).isEqualTo(1);

    // A backup and its restore, byte for byte, on the unpacked libraries alone.
    Path src = Files.createDirectories(dir.resolve("file/paket-1"));
    byte[] scan = new byte[3 << 20];
    new Random(7).nextBytes(scan);
    Files.write(src.resolve("scan.pdf"), scan);
    Files.writeString(src.resolve("ba.txt"), "berita acara evaluasi\n".repeat(50_000));
    Path pass = AgentFixtures.secret(dir.resolve("repo.pass"), "kata-sandi");
    Path config = AgentFixtures.backupConfig(
        dir.resolve("agent.yaml"), "lpse-uji", dir.resolve("state"), dir.resolve("usb"), pass, dir.resolve("file"));
    for (String[] command : new String[][] {
        {"init"}, {"backup"}, {"restore", "latest", "--target", dir.resolve("restored").toString()}}) {
      List<String> args = new ArrayList<>(List.of(noTmp, onPath, named, "-jar", JAR.toString(), "-c", config.toString()));
      args.addAll(List.of(command));
      Run r = java(args.toArray(String[]::new));
      assertThat(r.exit()).as(String.join(" ", command) + ": " + r.out()).isZero();
    }
    Path restored = dir.resolve("restored").resolve(dir.resolve("file/paket-1").toString().substring(1));
    if (!Files.exists(restored)) {
      restored = dir.resolve("restored/paket-1");
    }
    assertThat(Files.readAllBytes(restored.resolve("scan.pdf"))).isEqualTo(scan);
    assertThat(Files.readString(restored.resolve("ba.txt"))).isEqualTo("berita acara evaluasi\n".repeat(50_000));
  }
}
