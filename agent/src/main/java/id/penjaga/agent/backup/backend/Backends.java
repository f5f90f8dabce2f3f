package id.penjaga.agent.backup.backend;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/** Opens the backend a repository location names: a directory, or {@code sftp://user@host:port/path}. */
public final class Backends {
  private Backends() {}

  /** How to reach and trust an SFTP server. */
  public record SftpOptions(Path identityFile, Path knownHosts, String fingerprint, Duration timeout) {}

  public static Backend open(String location, SftpOptions sftp) throws IOException {
    if (location.startsWith("sftp://")) {
      throw new IOException("sftp repositories are not available in this build");
    }
    String path = location.startsWith("file:") ? location.substring(5) : location;
    return new LocalBackend(Path.of(path));
  }
}
