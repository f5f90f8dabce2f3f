package id.penjaga.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The bad-input sweep over a configuration: from a valid document, one document per key with that
 * key's value of the wrong type (a mapping where a value or list belongs), and, where the value has
 * a recognisable kind (a number, a duration, a size, yes/no, host:port), one with a value of the
 * right shape but wrong. Each must be refused with the file, a line and the key named.
 */
public final class ConfigSweep {
  private static final YAMLMapper YAML = new YAMLMapper();

  private ConfigSweep() {}

  /** One bad document: the key it breaks (as errors name it), how, and the YAML text. */
  public record Case(String key, String how, String yaml) {}

  public static List<Case> cases(String validYaml) throws IOException {
    JsonNode root = YAML.readTree(validYaml);
    List<Case> out = new ArrayList<>();
    walk(root, root, new ArrayList<>(), out);
    return out;
  }

  private static void walk(JsonNode root, JsonNode node, List<Object> path, List<Case> out) throws IOException {
    if (node.isObject()) {
      for (var it = node.fields(); it.hasNext(); ) {
        var e = it.next();
        List<Object> p = new ArrayList<>(path);
        p.add(e.getKey());
        walk(root, e.getValue(), p, out);
      }
      return;
    }
    if (node.isArray() && node.size() > 0 && node.get(0).isObject()) {
      for (int i = 0; i < node.size(); i++) {
        List<Object> p = new ArrayList<>(path);
        p.add(i);
        walk(root, node.get(i), p, out);
      }
      return;
    }
    // a value, or a list of values
    ObjectNode wrongType = JsonNodeFactory.instance.objectNode();
    wrongType.putArray("wrong").add(1).add(2);
    out.add(new Case(name(path), "a mapping instead of " + node, replaced(root, path, wrongType)));
    String wrongValue = wrongValueFor(node);
    if (wrongValue != null) {
      out.add(new Case(name(path), "\"" + wrongValue + "\" instead of " + node,
          replaced(root, path, JsonNodeFactory.instance.textNode(wrongValue))));
    }
  }

  /** A value of the same shape that no key of that kind accepts; null when the kind is not known. */
  static String wrongValueFor(JsonNode v) {
    if (v.isBoolean()) {
      return "mungkin";
    }
    if (v.isIntegralNumber()) {
      return "sebelas";
    }
    if (!v.isTextual()) {
      return null;
    }
    String t = v.asText();
    if (t.matches("\\d+(\\.\\d+)?(ms|s|m|h|d|w)")) {
      return "forever";
    }
    if (t.matches("\\d+(\\.\\d+)?\\s*(B|KiB|MiB|GiB|TiB|KB|MB|GB|TB|%)")) {
      return "banyak";
    }
    if (t.matches("[0-9.]+:\\d+")) {
      return t.substring(0, t.lastIndexOf(':')) + ":99999";
    }
    return null;
  }

  private static String replaced(JsonNode root, List<Object> path, JsonNode value) throws IOException {
    JsonNode copy = root.deepCopy();
    JsonNode parent = copy;
    for (int i = 0; i < path.size() - 1; i++) {
      Object k = path.get(i);
      parent = k instanceof Integer n ? parent.get(n) : parent.get((String) k);
    }
    Object last = path.get(path.size() - 1);
    if (last instanceof Integer n) {
      ((ArrayNode) parent).set(n, value);
    } else {
      ((ObjectNode) parent).set((String) last, value);
    }
    return YAML.writeValueAsString(copy);
  }

  /** The key as error messages name it: {@code capacity.processes[0].name}. */
  static String name(List<Object> path) {
    StringBuilder b = new StringBuilder();
    for (Object k : path) {
      if (k instanceof Integer n) {
        b.append('[').append(n).append(']');
      } else {
        b.append(b.length() > 0 ? "." : "").append(k);
      }
    }
    return b.toString();
  }
}
