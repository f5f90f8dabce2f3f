package id.penjaga.agent.backup.backend;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;

/** Opens the backend a repository location names: a directory, or {@code sftp://user@host:port/path}. */
public final class Backends {
  private Backends() {}

  /** How to reach and trust an SFTP server. */
  public record SftpOptions(Path identityFile, Path knownHosts, String fingerprint, Duration timeout) {}

  public static Backend open(String location, SftpOptions sftp) throws IOException {
    if (location.startsWith("sftp://")) {
      URI uri;
      try {
        uri = new URI(location);
      } catch (URISyntaxException e) {
        throw new IOException("invalid sftp location " + location + ": " + e.getReason());
      }
      Duration timeout = sftp != null && sftp.timeout() != null ? sftp.timeout() : Duration.ofSeconds(30);
      return SftpBackend.connect(
          uri,
          sftp != null ? sftp.identityFile() : null,
          sftp != null ? sftp.knownHosts() : null,
          sftp != null ? sftp.fingerprint() : null,
          timeout);
    }
    String path = location.startsWith("file:") ? location.substring(5) : location;
    return new LocalBackend(Path.of(path));
  }
}
