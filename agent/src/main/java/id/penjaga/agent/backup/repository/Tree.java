package id.penjaga.agent.backup.repository;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;

/** A directory listing, stored as a tree blob: nodes sorted by name. */
public record Tree(List<Node> nodes) {
  static final ObjectMapper JSON = new ObjectMapper();

  public byte[] toJson() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static Tree fromJson(byte[] json) throws IOException {
    Tree t = JSON.readValue(json, Tree.class);
    return t.nodes() == null ? new Tree(List.of()) : t;
  }
}
