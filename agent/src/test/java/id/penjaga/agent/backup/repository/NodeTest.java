package id.penjaga.agent.backup.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeTest {
  private static Node sample() {
    return new Node(
        "ba.pdf", Node.FILE, 0640, 1000, 1000, "appserv", "appserv", 1_700_000_000_123_456_789L,
        1_700_000_001_000_000_000L, 4242L, 2049L, 12_345L, List.of("aa", "bb"), "cc", null, null);
  }

  /** A value of the component's type that differs from {@code v}. */
  private static Object other(Class<?> type, Object v) {
    if (type == int.class) {
      return (Integer) v + 1;
    }
    if (type == long.class || type == Long.class) {
      return v == null ? 7L : (Long) v + 1;
    }
    if (type == Integer.class) {
      return v == null ? 7 : (Integer) v + 1;
    }
    if (type == String.class) {
      return v == null ? "x" : v + "x";
    }
    if (type == List.class) {
      return List.of("aa", "bc");
    }
    throw new AssertionError("no other value for " + type);
  }

  @Test
  void nodesAreEqualExactlyWhenEveryComponentIs() throws Exception {
    Node a = sample();
    Node b = sample();
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a).isNotEqualTo(null).isNotEqualTo("ba.pdf");

    RecordComponent[] components = Node.class.getRecordComponents();
    Class<?>[] types = new Class<?>[components.length];
    for (int i = 0; i < components.length; i++) {
      types[i] = components[i].getType();
    }
    Constructor<Node> canonical = Node.class.getDeclaredConstructor(types);
    for (int i = 0; i < components.length; i++) {
      List<Object> values = new ArrayList<>();
      for (RecordComponent c : components) {
        values.add(c.getAccessor().invoke(a));
      }
      values.set(i, other(types[i], values.get(i)));
      Node changed = canonical.newInstance(values.toArray());
      assertThat(changed).as("differs in %s", components[i].getName()).isNotEqualTo(a);
      assertThat(a).as("differs in %s", components[i].getName()).isNotEqualTo(changed);
      assertThat(changed.hashCode()).as("hash of one differing in %s", components[i].getName())
          .isNotEqualTo(a.hashCode());
    }
    assertThat(components).hasSize(16);
  }
}
