package id.penjaga.agent.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent writes what the versioned contract in config/schema describes. */
class ReportContractTest {
  static final Path SCHEMA_DIR =
      Path.of(System.getProperty("penjaga.root", "..")).resolve("config/schema");

  @TempDir Path dir;

  static Validator validator() throws IOException {
    JsonObject schema =
        new JsonObject(Files.readString(SCHEMA_DIR.resolve("report-v1.schema.json")));
    return Validator.create(
        JsonSchema.of(schema),
        new JsonSchemaOptions()
            .setDraft(Draft.DRAFT202012)
            .setBaseUri("https://penjaga.id/schema/"));
  }

  static List<Path> samples(String kind) throws IOException {
    try (Stream<Path> s = Files.list(SCHEMA_DIR.resolve("samples").resolve(kind))) {
      return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
  }

  static OutputUnit validate(Validator v, byte[] json) {
    return v.validate(new JsonObject(new String(json, StandardCharsets.UTF_8)));
  }

  @Test
  void goldenSamplesFollowTheContract() throws IOException {
    Validator v = validator();
    List<Path> valid = samples("valid");
    assertThat(valid).isNotEmpty();
    for (Path p : valid) {
      assertThat(validate(v, Files.readAllBytes(p)).getValid()).as(p.toString()).isTrue();
    }
  }

  @Test
  void brokenSamplesAreRefused() throws IOException {
    Validator v = validator();
    List<Path> invalid = samples("invalid");
    assertThat(invalid).hasSizeGreaterThanOrEqualTo(5);
    for (Path p : invalid) {
      assertThat(validate(v, Files.readAllBytes(p)).getValid()).as(p.toString()).isFalse();
    }
  }

  @Test
  void heartbeatsTheAgentWritesFollowTheContract() throws Exception {
    Spool spool = new Spool(dir, 1 << 20, "lpse-demo", "0.1.0", Clock.systemUTC());
    new HeartbeatTask(spool, Clock.systemUTC()).run();
    byte[] json = Files.readAllBytes(spool.pending(1).get(0));
    OutputUnit result = validate(validator(), json);
    assertThat(result.getValid()).as(String.valueOf(result.getErrors())).isTrue();
  }
}
