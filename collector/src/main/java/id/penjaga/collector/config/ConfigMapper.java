package id.penjaga.collector.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Reads a YAML file into immutable records and turns every failure into one message that names the
 * file, the line and the key. Keys are kebab-case ({@code token-file}); unknown keys, duplicate
 * keys, wrong types and values that do not parse are all refused.
 */
final class ConfigMapper {
  private final YAMLMapper mapper;
  private final Set<Class<?>> scalarTypes = new HashSet<>();
  private final SimpleModule scalars = new SimpleModule("penjaga-scalars");

  ConfigMapper() {
    addScalar(Duration.class, HumanDuration::parse);
    addScalar(DataSize.class, DataSize::parse);
    addScalar(HostPort.class, HostPort::parse);
    addScalar(CronSchedule.class, CronSchedule::parse);
    addScalar(SecretFile.class, s -> new SecretFile(Path.of(s)).validated());
    this.mapper =
        YAMLMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .addModule(scalars)
            .build();
  }

  private <T> void addScalar(Class<T> type, Function<String, T> parse) {
    scalarTypes.add(type);
    scalars.addDeserializer(type, scalar(type, parse));
  }

  <T> T read(Path file, Class<T> type) throws ConfigException {
    try {
      return readText(file, Files.readString(file), type);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file + ": configuration file not found");
    } catch (MalformedInputException e) {
      throw new ConfigException(file + ": not UTF-8 text");
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read configuration file: " + e.getMessage(), e);
    }
  }

  /** Reads YAML {@code text} that came from {@code file} (a path, or a name for messages). */
  <T> T readText(Path file, String text, Class<T> type) throws ConfigException {
    T value;
    try {
      Map<String, JsonLocation> keys = new HashMap<>();
      try (JsonParser p = mapper.createParser(text)) {
        if (p.nextToken() != null) {
          checkKeys(file, p, mapper.constructType(type), "", keys);
        }
      }
      try {
        value = mapper.readValue(text, type);
      } catch (JsonMappingException e) {
        throw new ConfigException(describe(file, e, keys), e);
      }
    } catch (JsonProcessingException e) {
      throw new ConfigException(describe(file, e, Map.of()), e);
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read configuration file: " + e.getMessage(), e);
    }
    if (value == null) {
      throw new ConfigException(file + ": the file is empty");
    }
    return value;
  }

  /** A scalar deserializer whose parse failures carry the YAML location and the parser's reason. */
  static <T> StdScalarDeserializer<T> scalar(Class<T> type, Function<String, T> parse) {
    return new StdScalarDeserializer<>(type) {
      private static final long serialVersionUID = 1L;

      @Override
      public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        if (!p.currentToken().isScalarValue()) {
          return ctxt.reportInputMismatch(this, "expected %s", kind(type));
        }
        String text = p.getValueAsString();
        try {
          return parse.apply(text);
        } catch (IllegalArgumentException e) {
          throw InvalidFormatException.from(p, e.getMessage(), text, type);
        }
      }
    };
  }

  /**
   * Walks the document beside the target type before binding, so an unknown key is reported at its
   * own line (binding records buffers unknown keys and reports them late), and remembers where each
   * key stands for the messages of later errors.
   */
  private void checkKeys(
      Path file, JsonParser p, JavaType type, String path, Map<String, JsonLocation> keys)
      throws IOException, ConfigException {
    JsonToken token = p.currentToken();
    if (token == JsonToken.START_OBJECT && !scalarTypes.contains(type.getRawClass())) {
      Map<String, JavaType> known = null;
      if (type.isMapLikeType()) {
        known = null;
      } else if (type.getRawClass().isRecord()) {
        known = new TreeMap<>();
        for (BeanPropertyDefinition d :
            mapper.getDeserializationConfig().introspect(type).findProperties()) {
          known.put(d.getName(), d.getPrimaryType());
        }
      } else {
        p.skipChildren();
        return;
      }
      Set<String> seen = new HashSet<>();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        String keyPath = path.isEmpty() ? name : path + "." + name;
        JsonLocation at = p.currentTokenLocation();
        if (!seen.add(name)) {
          throw new ConfigException(file + location(at) + ": " + keyPath + ": key appears twice");
        }
        keys.putIfAbsent(keyPath, at);
        JavaType child;
        if (known == null) {
          child = type.getContentType();
        } else if (known.containsKey(name)) {
          child = known.get(name);
        } else {
          throw new ConfigException(
              file + location(at) + ": " + keyPath + ": unknown key"
                  + suggestion(name, List.copyOf(known.keySet())));
        }
        p.nextToken();
        checkKeys(file, p, child, keyPath, keys);
      }
    } else if (token == JsonToken.START_ARRAY && type.isCollectionLikeType()) {
      int i = 0;
      while (p.nextToken() != JsonToken.END_ARRAY) {
        checkKeys(file, p, type.getContentType(), path + "[" + i++ + "]", keys);
      }
    } else {
      p.skipChildren();
    }
  }

  static String describe(Path file, JsonProcessingException e, Map<String, JsonLocation> keys) {
    String where = file + location(e.getLocation());
    String original = firstLine(e.getOriginalMessage());
    if (!(e instanceof JsonMappingException m)) {
      return where + ": invalid YAML: " + original;
    }
    String key = keyPath(m.getPath());
    if (e.getCause() instanceof InvalidSetting s) {
      key = key.isEmpty() ? s.key() : key + "." + s.key();
    }
    // Prefer the line of the key itself (or, for a missing key, of its section).
    for (String k = key; !k.isEmpty(); k = k.contains(".") ? k.substring(0, k.lastIndexOf('.')) : "") {
      if (keys.containsKey(k)) {
        where = file + location(keys.get(k));
        break;
      }
    }
    String prefix = where + ": " + (key.isEmpty() ? "" : key + ": ");
    if (e instanceof UnrecognizedPropertyException u) {
      return prefix + "unknown key" + suggestion(u.getPropertyName(), u.getKnownPropertyIds());
    }
    if (original.startsWith("Missing required creator property")) {
      String missing = original.replaceAll("^[^']*'([^']*)'.*$", "$1");
      if (!key.equals(missing) && !key.endsWith("." + missing)) {
        key = key.isEmpty() ? missing : key + "." + missing;
      }
      // Point at the section that lacks the key; a missing top-level section at the file's start.
      String section = key.contains(".") ? key.substring(0, key.lastIndexOf('.')) : "";
      where = file + (section.isEmpty() ? ":1:1" : location(keys.get(section)));
      return where + ": " + key + ": required key is missing";
    }
    if (e.getCause() instanceof InvalidSetting s) {
      return prefix + s.getMessage();
    }
    if (isSyntaxError(e)) {
      return where + ": invalid YAML: " + original;
    }
    if (e instanceof InvalidFormatException f && f.getTargetType() != null
        && !isPlain(f.getTargetType())) {
      return prefix + original;
    }
    if (e instanceof ValueInstantiationException v && v.getCause() != null) {
      return prefix + v.getCause().getMessage();
    }
    if (e instanceof MismatchedInputException mi) {
      if (original.startsWith("expected ")) {
        return prefix + original;
      }
      if (original.startsWith("No content to map")) {
        return file + ": the file is empty";
      }
      return prefix + "expected " + kind(mi.getTargetType());
    }
    return prefix + original;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    // SnakeYAML's messages run over several lines and repeat the location: keep the reasons.
    StringBuilder sb = new StringBuilder();
    for (String line : message.split("\n")) {
      if (line.startsWith(" in '") || line.isBlank() || line.trim().equals("^")) {
        break;
      }
      sb.append(sb.length() > 0 ? "; " : "").append(line.trim());
    }
    return sb.toString();
  }

  private static boolean isSyntaxError(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getClass().getName().startsWith("org.yaml.snakeyaml")
          || t instanceof com.fasterxml.jackson.core.JsonParseException) {
        return true;
      }
    }
    return false;
  }

  private static boolean isPlain(Class<?> t) {
    return t.isPrimitive() || Number.class.isAssignableFrom(t) || t == Boolean.class
        || t == String.class;
  }

  static String kind(Class<?> t) {
    if (t == null) {
      return "another kind of value";
    }
    if (t == int.class || t == Integer.class || t == long.class || t == Long.class) {
      return "a whole number";
    }
    if (t == boolean.class || t == Boolean.class) {
      return "true or false";
    }
    if (t == String.class || t == Path.class) {
      return "a text value";
    }
    if (t == Duration.class) {
      return "a duration such as 30s, 15m, 26h or 92d";
    }
    if (t == DataSize.class) {
      return "a size such as 500MiB or 20GiB";
    }
    if (t == HostPort.class) {
      return "an address host:port";
    }
    if (t == CronSchedule.class) {
      return "a cron schedule such as \"15 3 * * *\"";
    }
    if (t == SecretFile.class) {
      return "the path of a secret file";
    }
    if (Collection.class.isAssignableFrom(t)) {
      return "a list";
    }
    if (Map.class.isAssignableFrom(t) || t.isRecord()) {
      return "a section of key: value lines";
    }
    return "a value of type " + t.getSimpleName();
  }

  private static String location(JsonLocation loc) {
    if (loc == null || loc.getLineNr() < 1) {
      return "";
    }
    return ":" + loc.getLineNr() + ":" + loc.getColumnNr();
  }

  private static String keyPath(List<JsonMappingException.Reference> path) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference r : path) {
      if (r.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        sb.append('[').append(r.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  /** " (did you mean 'token-file'?)" when a known key is close, else the list of known keys. */
  static String suggestion(String unknown, Collection<Object> known) {
    List<String> names = known.stream().map(String::valueOf).sorted().collect(Collectors.toList());
    Optional<String> close =
        names.stream()
            .filter(n -> distance(unknown, n) <= Math.max(2, n.length() / 3))
            .min(Comparator.comparingInt(n -> distance(unknown, n)));
    if (close.isPresent()) {
      return " (did you mean '" + close.get() + "'?)";
    }
    return names.isEmpty() ? "" : " (known keys: " + String.join(", ", names) + ")";
  }

  /** Levenshtein distance, case-insensitive, with '_' and '-' counted as the same. */
  static int distance(String a, String b) {
    String x = a.toLowerCase().replace('_', '-');
    String y = b.toLowerCase().replace('_', '-');
    int[] prev = new int[y.length() + 1];
    int[] cur = new int[y.length() + 1];
    for (int j = 0; j <= y.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= x.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= y.length(); j++) {
        int cost = x.charAt(i - 1) == y.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[y.length()];
  }
}
