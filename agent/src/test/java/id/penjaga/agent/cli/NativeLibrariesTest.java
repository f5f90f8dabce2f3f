package id.penjaga.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The native libraries unpacked at install: this machine's only, used only for the jar they came from. */
class NativeLibrariesTest {
  @TempDir Path dir;

  private static final String ARCH = System.getProperty("os.arch");

  /** A jar holding the provider's library, zstd's for this and another machine, and a class. */
  private Path jar(String accp) throws Exception {
    Path jar = dir.resolve("penjaga-agent.jar");
    try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(jar))) {
      put(z, NativeLibraries.ACCP_RESOURCE, accp);
      put(z, "linux/" + ARCH + "/libzstd-jni-1.5.7-28.so", "zstd for this machine");
      put(z, "linux/" + ARCH + "x/libzstd-jni-1.5.7-28.so", "zstd for another");
      put(z, "darwin/" + ARCH + "/libzstd-jni-1.5.7-28.dylib", "zstd for a mac");
      put(z, "id/penjaga/agent/cli/AgentMain.class", "a class");
    }
    return jar;
  }

  private static void put(ZipOutputStream z, String name, String content) throws Exception {
    z.putNextEntry(new ZipEntry(name));
    z.write(content.getBytes(StandardCharsets.UTF_8));
    z.closeEntry();
  }

  private static String list(Path d) throws Exception {
    try (Stream<Path> s = Files.list(d)) {
      return String.join(" ", s.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void unpacksThisMachinesLibrariesAndStampsThemWithTheJar() throws Exception {
    Path jar = jar("aws-lc");
    Path out = dir.resolve("native");
    assertThat(NativeLibraries.unpack(jar, out)).isEqualTo(2);
    assertThat(list(out)).isEqualTo("jar libamazonCorrettoCryptoProvider.so libzstd-jni-1.5.7-28.so");
    assertThat(Files.readString(out.resolve("libzstd-jni-1.5.7-28.so"))).isEqualTo("zstd for this machine");
    assertThat(Files.readString(out.resolve("libamazonCorrettoCryptoProvider.so"))).isEqualTo("aws-lc");
    assertThat(Files.readString(out.resolve("jar")).strip()).isEqualTo(NativeLibraries.identity(jar));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).isEqualTo("rwxr-xr-x");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("jar"))))
        .isEqualTo("rw-r--r--");

    // unpacked again (an upgrade): replaced whole, nothing of the old left
    Files.writeString(out.resolve("left-over.so"), "old");
    Files.delete(jar);
    jar = jar("aws-lc, newer");
    NativeLibraries.unpack(jar, out);
    assertThat(list(out)).isEqualTo("jar libamazonCorrettoCryptoProvider.so libzstd-jni-1.5.7-28.so");
    assertThat(Files.readString(out.resolve("libamazonCorrettoCryptoProvider.so"))).isEqualTo("aws-lc, newer");
    assertThat(list(dir)).isEqualTo("native penjaga-agent.jar");
  }

  @Test
  void theLibrariesAreUsedOnlyForTheJarTheyCameFromAndTheProviderOnlyFromItsPath() throws Exception {
    Path jar = jar("aws-lc");
    Path out = dir.resolve("native");
    NativeLibraries.unpack(jar, out);
    Map<String, String> set = NativeLibraries.properties(out, jar, "/usr/lib:" + out);
    assertThat(set)
        .containsEntry("com.amazon.corretto.crypto.provider.useExternalLib", "true")
        .containsEntry("ZstdNativePath", out.resolve("libzstd-jni-1.5.7-28.so").toAbsolutePath().toString())
        .hasSize(2);
    // the provider looks on java.library.path only: not there, it unpacks its own
    assertThat(NativeLibraries.properties(out, jar, "/usr/lib")).containsOnlyKeys("ZstdNativePath");

    // another jar in its place (an upgrade without unpacking again): none of them
    Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() - 60_000));
    assertThat(NativeLibraries.properties(out, jar, out.toString())).isEmpty();
    try (OutputStream o = Files.newOutputStream(jar, java.nio.file.StandardOpenOption.APPEND)) {
      o.write(0);
    }
    assertThat(NativeLibraries.properties(out, jar, out.toString())).isEmpty();
    // no stamp, no directory: none
    assertThat(NativeLibraries.properties(dir.resolve("missing"), jar, out.toString())).isEmpty();
  }

  @Test
  void withoutTheDirectoryNamedNothingIsSet() {
    assertThat(System.getProperty(NativeLibraries.DIR_PROPERTY)).isNull();
    assertThat(NativeLibraries.useUnpacked()).isFalse();
    assertThat(NativeLibraries.ownJar()).as("the tests run from classes, not a jar").isNull();
  }
}
