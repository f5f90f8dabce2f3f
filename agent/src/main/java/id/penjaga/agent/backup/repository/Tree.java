package id.penjaga.agent.backup.repository;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
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
      expect(p, p.nextToken(), JsonToken.START_OBJECT);
      List<Node> nodes = List.of();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if ("nodes".equals(field) && value == JsonToken.START_ARRAY) {
          nodes = new ArrayList<>();
          while (p.nextToken() != JsonToken.END_ARRAY) {
            nodes.add(node(p));
          }
        } else if ("nodes".equals(field) && value != JsonToken.VALUE_NULL) {
          throw new IOException("tree: 'nodes' is not a list");
        } else {
          p.skipChildren();
        }
      }
      expect(p, p.currentToken(), JsonToken.END_OBJECT);
      if (p.nextToken() != null) {
        throw new IOException("tree: more after the listing");
      }
      return new Tree(nodes);
    }
  }

  private static Node node(JsonParser p) throws IOException {
    expect(p, p.currentToken(), JsonToken.START_OBJECT);
    String name = null;
    String type = null;
    int mode = 0;
    Integer uid = null;
    Integer gid = null;
    String user = null;
    String group = null;
    long mtime = 0;
    Long ctime = null;
    Long inode = null;
    Long device = null;
    Long size = null;
    List<String> content = null;
    String sha256 = null;
    String subtree = null;
    String target = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "name" -> name = text(p, field);
        case "type" -> type = text(p, field);
        case "mode" -> mode = p.currentToken() == JsonToken.VALUE_NULL ? 0 : integer(p, field).intValue();
        case "uid" -> uid = integer(p, field);
        case "gid" -> gid = integer(p, field);
        case "user" -> user = text(p, field);
        case "group" -> group = text(p, field);
        case "mtime" -> mtime = p.currentToken() == JsonToken.VALUE_NULL ? 0 : number(p, field);
        case "ctime" -> ctime = number(p, field);
        case "inode" -> inode = number(p, field);
        case "device" -> device = number(p, field);
        case "size" -> size = number(p, field);
        case "content" -> content = texts(p, field);
        case "sha256" -> sha256 = text(p, field);
        case "subtree" -> subtree = text(p, field);
        case "target" -> target = text(p, field);
        default -> p.skipChildren(); // a field of a later version
      }
    }
    expect(p, p.currentToken(), JsonToken.END_OBJECT);
    return new Node(
        name, type, mode, uid, gid, user, group, mtime, ctime, inode, device, size, content, sha256, subtree, target);
  }

  private static String text(JsonParser p, String field) throws IOException {
    return switch (p.currentToken()) {
      case VALUE_STRING -> p.getText();
      case VALUE_NULL -> null;
      default -> throw new IOException("tree: node field '" + field + "' is not text");
    };
  }

  private static Integer integer(JsonParser p, String field) throws IOException {
    Long n = number(p, field);
    if (n != null && (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE)) {
      throw new IOException("tree: node field '" + field + "' is out of range");
    }
    return n == null ? null : n.intValue();
  }

  private static Long number(JsonParser p, String field) throws IOException {
    return switch (p.currentToken()) {
      case VALUE_NUMBER_INT -> p.getLongValue();
      case VALUE_NULL -> null;
      default -> throw new IOException("tree: node field '" + field + "' is not a whole number");
    };
  }

  private static List<String> texts(JsonParser p, String field) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_NULL) {
      return null;
    }
    expect(p, p.currentToken(), JsonToken.START_ARRAY);
    List<String> out = new ArrayList<>();
    while (p.nextToken() != JsonToken.END_ARRAY) {
      String s = text(p, field);
      if (s == null) {
        throw new IOException("tree: node field '" + field + "' holds a null");
      }
      out.add(s);
    }
    return out;
  }

  private static void expect(JsonParser p, JsonToken got, JsonToken wanted) throws IOException {
    if (got != wanted) {
      throw new IOException("tree: expected " + wanted + " but found " + got + " at " + p.currentLocation());
    }
  }
}
