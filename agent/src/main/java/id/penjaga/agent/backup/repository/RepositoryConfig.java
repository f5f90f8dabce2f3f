package id.penjaga.agent.backup.repository;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/** The sealed {@code config} file: the repository's id, format version and chunker settings. */
record RepositoryConfig(int version, String id, int chunkerMin, int chunkerAvg, int chunkerMax, long chunkerSeed) {
  static final int VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper();

  byte[] toJson() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static RepositoryConfig fromJson(byte[] json) throws IOException {
    return JSON.readValue(json, RepositoryConfig.class);
  }
}
