package id.penjaga.agent.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import id.penjaga.agent.backup.backend.Backend;
import id.penjaga.agent.backup.backend.FileKind;
import id.penjaga.agent.config.AgentConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Backup media used in their set order (SOP 10 langkah 2: "sesuai dengan urutannya"). Which medium
 * a run reached is read from the repository itself (its {@code medium} file, written at {@code
 * init --medium-name}), not from where it is mounted. The turn of each target is kept in the
 * agent's state directory.
 */
public final class MediaRotation {
  private static final ObjectMapper JSON = new ObjectMapper();

  private MediaRotation() {}

  /** The medium's name written in a repository, if any. */
  public static Optional<String> name(Backend backend) {
    try {
      if (backend.stat(FileKind.MEDIUM, "medium").isEmpty()) {
        return Optional.empty();
      }
      JsonNode n = JSON.readTree(backend.load(FileKind.MEDIUM, "medium"));
      return Optional.ofNullable(n.path("name").asText(null));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Writes the medium's name into a repository. */
  public static void label(Backend backend, String name, Instant now) throws IOException {
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}")) {
      throw new IOException("a medium name is 1-40 letters, digits, spaces, '.', '_' or '-'");
    }
    ObjectNode n = JSON.createObjectNode().put("name", name).put("labelled_at", now.toString());
    if (backend.stat(FileKind.MEDIUM, "medium").isPresent()) {
      backend.remove(FileKind.MEDIUM, "medium"); // files are written once: a new name replaces the old
    }
    backend.save(FileKind.MEDIUM, "medium", JSON.writeValueAsBytes(n));
  }

  /**
   * Checks a run that reached {@code medium} (null: a repository without a name) on a target with a
   * rotation, moves the turn on, and returns what is wrong (empty when in order).
   */
  public static List<String> check(Path stateDir, String target, AgentConfig.Rotation rotation, String medium, Instant now)
      throws IOException {
    List<String> problems = new ArrayList<>();
    Path file = stateDir.resolve("rotation-" + target + ".json");
    ObjectNode state = Files.exists(file) ? (ObjectNode) JSON.readTree(file.toFile()) : JSON.createObjectNode();
    ObjectNode seen = state.has("last_seen") ? (ObjectNode) state.get("last_seen") : state.putObject("last_seen");
    if (medium == null) {
      problems.add("the backup medium of " + target + " has no name, so its turn cannot be checked; name it with: "
          + "penjaga-agent init --repo " + target + " --medium-name NAME");
      return problems;
    }
    List<String> media = rotation.media();
    if (!media.contains(medium)) {
      problems.add("medium " + medium + " of " + target + " is not in the rotation " + media);
    } else {
      String current = state.path("current").asText(null);
      if (current != null && !current.equals(medium) && media.contains(current)) {
        String expected = media.get((media.indexOf(current) + 1) % media.size());
        if (!expected.equals(medium)) {
          List<String> skipped = new ArrayList<>();
          for (int i = (media.indexOf(current) + 1) % media.size(); !media.get(i).equals(medium); i = (i + 1) % media.size()) {
            skipped.add(media.get(i));
          }
          problems.add("medium " + medium + " of " + target + " was used out of turn: after " + current + " comes " + expected
              + " (skipped: " + String.join(", ", skipped) + ")");
        }
      }
      if (current != null && current.equals(medium) && state.has("since")) {
        Duration in = Duration.between(Instant.parse(state.get("since").asText()), now);
        if (in.compareTo(rotation.every().plusDays(1)) > 0) {
          problems.add("medium " + medium + " of " + target + " has been in use for " + in.toDays() + " days; its turn is "
              + rotation.every().toDays() + " days: attach " + media.get((media.indexOf(medium) + 1) % media.size()));
        }
      }
      if (current == null || !current.equals(medium)) {
        state.put("current", medium);
        state.put("since", now.toString());
      }
    }
    seen.put(medium, now.toString());
    // a medium unused for a whole round and a day is overdue
    Duration round = rotation.every().multipliedBy(media.size()).plusDays(1);
    for (String m : media) {
      Instant last = seen.has(m) ? Instant.parse(seen.get(m).asText()) : null;
      Instant first = state.has("first_run") ? Instant.parse(state.get("first_run").asText()) : now;
      Instant since = last != null ? last : first;
      if (!m.equals(medium) && Duration.between(since, now).compareTo(round) > 0) {
        problems.add("medium " + m + " of " + target + " is overdue: not used for " + Duration.between(since, now).toDays()
            + " days (each medium's turn comes every " + rotation.every().multipliedBy(media.size()).toDays() + " days)");
      }
    }
    if (!state.has("first_run")) {
      state.put("first_run", now.toString());
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(state));
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return problems;
  }
}
