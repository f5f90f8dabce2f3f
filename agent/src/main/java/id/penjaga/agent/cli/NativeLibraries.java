package id.penjaga.agent.cli;

import id.penjaga.agent.backup.crypto.NativeCrypto;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The native libraries of the agent's commands — Amazon Corretto Crypto Provider (AES-GCM,
 * SHA-256) and zstd — unpacked once, at install, into a directory of their own rather than by
 * every command into a temporary file: that is ~9 MB written, loaded and removed at each start
 * (~0.05 s of a short backup), and impossible where {@code /tmp} is mounted noexec (AES then falls
 * back to the JDK's, fifty times slower until the JIT compiler reaches it).
 *
 * <pre>
 *   java -cp penjaga-agent.jar id.penjaga.agent.cli.NativeLibraries unpack DIR
 *   java -Djava.library.path=DIR -Dpenjaga.native.dir=DIR -cp penjaga-agent.jar \
 *       id.penjaga.agent.cli.NativeLibraries check
 * </pre>
 *
 * A command given {@code -Dpenjaga.native.dir=DIR} (with DIR on {@code java.library.path}, where
 * the provider looks) uses DIR's libraries only when DIR's stamp names this very jar (its size and
 * modification time): a jar replaced without unpacking again unpacks its own, as before.
 */
public final class NativeLibraries {
  /** The system property naming the directory. */
  public static final String DIR_PROPERTY = "penjaga.native.dir";

  static final String ACCP_RESOURCE = "com/amazon/corretto/crypto/provider/libamazonCorrettoCryptoProvider.so";
  static final String ACCP_FILE = "libamazonCorrettoCryptoProvider.so";
  static final String STAMP = "jar";

  private NativeLibraries() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 2 && args[0].equals("unpack")) {
      Path jar = ownJar();
      if (jar == null) {
        System.err.println("native libraries: not run from a jar");
        System.exit(1);
      }
      System.out.println("native libraries: " + unpack(jar, Path.of(args[1])));
    } else if (args.length == 1 && args[0].equals("check")) {
      boolean used = useUnpacked();
      boolean aes = NativeCrypto.provider() != null;
      com.github.luben.zstd.util.Native.load(); // throws when it cannot
      System.out.println("native libraries: " + (used ? "the unpacked ones" : "not the unpacked ones") + ", AES "
          + (aes ? "native" : "the JDK's") + ", zstd native");
      boolean accpThere = Files.isRegularFile(Path.of(System.getProperty(DIR_PROPERTY, ".")).resolve(ACCP_FILE));
      System.exit(used && (aes || !accpThere) ? 0 : 1);
    } else {
      System.err.println("usage: NativeLibraries unpack DIR | check");
      System.exit(2);
    }
  }

  /**
   * Unpacks {@code jar}'s libraries for this machine into {@code dir} (replacing what is there,
   * all at once) and stamps it with the jar; returns how many libraries.
   */
  static int unpack(Path jar, Path dir) throws IOException {
    Path fresh = dir.resolveSibling(dir.getFileName() + ".new");
    deleteTree(fresh);
    Files.createDirectories(fresh);
    String zstd = "linux/" + System.getProperty("os.arch") + "/libzstd-jni-";
    boolean linux = System.getProperty("os.name", "").equals("Linux");
    int count = 0;
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      Enumeration<? extends ZipEntry> entries = zip.entries();
      while (entries.hasMoreElements()) {
        String name = entries.nextElement().getName();
        boolean wanted = name.equals(ACCP_RESOURCE)
            || linux && name.startsWith(zstd) && name.endsWith(".so") && name.indexOf('/', zstd.length()) < 0;
        if (wanted) {
          Path to = fresh.resolve(name.substring(name.lastIndexOf('/') + 1));
          try (InputStream in = zip.getInputStream(zip.getEntry(name))) {
            Files.copy(in, to);
          }
          Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rw-r--r--"));
          count++;
        }
      }
    }
    Files.writeString(fresh.resolve(STAMP), identity(jar) + "\n");
    Files.setPosixFilePermissions(fresh, PosixFilePermissions.fromString("rwxr-xr-x"));
    deleteTree(dir);
    Files.move(fresh, dir, StandardCopyOption.ATOMIC_MOVE);
    return count;
  }

  /**
   * Points the provider and zstd at the libraries of {@code -Dpenjaga.native.dir} when they were
   * unpacked from this jar; otherwise leaves both to unpack their own. Call it before either
   * loads. Returns whether it did.
   */
  public static boolean useUnpacked() {
    String d = System.getProperty(DIR_PROPERTY);
    Path jar = d == null ? null : ownJar();
    if (jar == null) {
      return false;
    }
    Map<String, String> set = properties(Path.of(d), jar, System.getProperty("java.library.path", ""));
    set.forEach(System::setProperty);
    return !set.isEmpty();
  }

  /**
   * The system properties that point the provider and zstd at {@code dir}'s libraries: none when
   * {@code dir} was not unpacked from {@code jar} as it is now; the provider's only when {@code
   * dir} is on {@code libraryPath}, where it looks.
   */
  static Map<String, String> properties(Path dir, Path jar, String libraryPath) {
    Map<String, String> set = new LinkedHashMap<>();
    try {
      if (!Files.readString(dir.resolve(STAMP)).strip().equals(identity(jar))) {
        return set;
      }
      if (Files.isRegularFile(dir.resolve(ACCP_FILE)) && onPath(dir, libraryPath)) {
        set.put("com.amazon.corretto.crypto.provider.useExternalLib", "true");
      }
      try (DirectoryStream<Path> libs = Files.newDirectoryStream(dir, "libzstd-jni-*.so")) {
        for (Path lib : libs) {
          set.put("ZstdNativePath", lib.toAbsolutePath().toString());
        }
      }
      return set;
    } catch (IOException | RuntimeException e) {
      return new LinkedHashMap<>();
    }
  }

  private static boolean onPath(Path dir, String libraryPath) {
    for (String p : libraryPath.split(File.pathSeparator)) {
      if (!p.isEmpty() && Path.of(p).toAbsolutePath().normalize().equals(dir.toAbsolutePath().normalize())) {
        return true;
      }
    }
    return false;
  }

  /** The jar these classes are run from; null when they are not run from one. */
  static Path ownJar() {
    try {
      Path p = Path.of(NativeLibraries.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return Files.isRegularFile(p) ? p : null;
    } catch (Exception e) {
      return null;
    }
  }

  /** A jar as its stamp names it: size and modification time. */
  static String identity(Path jar) throws IOException {
    return Files.size(jar) + " " + Files.getLastModifiedTime(jar).toMillis();
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
