package id.penjaga.agent.backup.repository;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.time.Instant;
import java.util.List;

/** A snapshot file's content (see REPOSITORY.md, "Snapshots"); {@code id} is its file name. */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Snapshot(
    @JsonIgnore String id,
    String time,
    String host,
    String source,
    String path,
    String tree,
    String parent,
    List<String> tags,
    String reason,
    String agentVersion,
    Summary summary) {

  static final ObjectMapper JSON =
      JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();

  /** What the backup that made the snapshot did. */
  public record Summary(
      long filesNew,
      long filesChanged,
      long filesUnchanged,
      long dirs,
      long bytesRead,
      long bytesAdded,
      long bytesStored,
      long dataBlobsAdded,
      long treeBlobsAdded,
      long errors) {}

  public Instant instant() {
    return Instant.parse(time);
  }

  public String shortId() {
    return id == null ? null : id.substring(0, 8);
  }

  public Snapshot withId(String newId) {
    return new Snapshot(newId, time, host, source, path, tree, parent, tags, reason, agentVersion, summary);
  }

  byte[] toJson() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static Snapshot fromJson(String id, byte[] json) throws IOException {
    return JSON.readValue(json, Snapshot.class).withId(id);
  }
}
