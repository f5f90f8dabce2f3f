package id.penjaga.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/** Files the backup tests set up again and again: a 0600 password file, a minimal agent.yaml. */
public final class AgentFixtures {
  private AgentFixtures() {}

  /** A secret file with mode 0600, as the agent demands. */
  public static Path secret(Path file, String value) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, value + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return file;
  }

  /**
   * An agent.yaml without collector or metrics: one local repository and one files source named
   * {@code uploads}; {@code more} lines are appended as they are.
   */
  public static Path backupConfig(
      Path file, String id, Path stateDir, Path repository, Path passwordFile, Path source, String... more)
      throws IOException {
    List<String> lines =
        new ArrayList<>(
            List.of(
                "agent:",
                "  id: " + id,
                "  state-dir: " + stateDir,
                "metrics:",
                "  enabled: false",
                "repository:",
                "  path: " + repository,
                "  password-file: " + passwordFile,
                "sources:",
                "  uploads:",
                "    type: files",
                "    path: " + source));
    lines.addAll(List.of(more));
    lines.add("");
    Files.writeString(file, String.join("\n", lines));
    return file;
  }
}
