package id.penjaga.agent.backup.repository;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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

  /**
   * Reads a tree blob's JSON with Jackson's streaming parser, field by field: a backup reads
   * back every listing of its parent snapshot, thousands in a few tenths of a second, and object
   * mapping took three times as long per listing. Fields this version does not know are skipped
   * (REPOSITORY.md, "Trees"); a field of the wrong kind is an error.
   */
  public static Tree fromJson(byte[] json) throws IOException {
    return fromJson(json, 0, json.length);
  }

  /** As {@link #fromJson(byte[])}, from {@code json[offset, offset + length)}. */
  public static Tree fromJson(byte[] json, int offset, int length) throws IOException {
    try (JsonParser p = JSON.getFactory().createParser(json, offset, length)) {
      return new Tree(JsonFields.document(p, WHAT, "nodes", Tree::node));
    }
  }

  private static final String WHAT = "tree";

  private static Node node(JsonParser p) throws IOException {
    JsonFields.expect(p, JsonToken.START_OBJECT, WHAT);
    String name = null;
    String type = null;
    Integer mode = null;
    Integer uid = null;
    Integer gid = null;
    String user = null;
    String group = null;
    Long mtime = null;
    Long ctime = null;
    Long inode = null;
    Long device = null;
    Long size = null;
    List<String> content = null;
    String sha256 = null;
    String subtree = null;
    String target = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String f = p.currentName();
      p.nextToken();
      switch (f) {
        case "name" -> name = JsonFields.text(p, WHAT, f);
        case "type" -> type = JsonFields.text(p, WHAT, f);
        case "mode" -> mode = JsonFields.integer(p, WHAT, f);
        case "uid" -> uid = JsonFields.integer(p, WHAT, f);
        case "gid" -> gid = JsonFields.integer(p, WHAT, f);
        case "user" -> user = JsonFields.text(p, WHAT, f);
        case "group" -> group = JsonFields.text(p, WHAT, f);
        case "mtime" -> mtime = JsonFields.number(p, WHAT, f);
        case "ctime" -> ctime = JsonFields.number(p, WHAT, f);
        case "inode" -> inode = JsonFields.number(p, WHAT, f);
        case "device" -> device = JsonFields.number(p, WHAT, f);
        case "size" -> size = JsonFields.number(p, WHAT, f);
        case "content" -> content = JsonFields.list(p, WHAT, f, q -> JsonFields.text(q, WHAT, f));
        case "sha256" -> sha256 = JsonFields.text(p, WHAT, f);
        case "subtree" -> subtree = JsonFields.text(p, WHAT, f);
        case "target" -> target = JsonFields.text(p, WHAT, f);
        default -> p.skipChildren(); // a field of a later version
      }
    }
    JsonFields.expect(p, JsonToken.END_OBJECT, WHAT);
    return new Node(name, type, mode == null ? 0 : mode, uid, gid, user, group, mtime == null ? 0 : mtime, ctime,
        inode, device, size, content, sha256, subtree, target);
  }
}
