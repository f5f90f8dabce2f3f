package id.penjaga.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.Validator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Checks a record body the agent prints against the contract (config/schema/report-v1.schema.json). */
public final class Contract {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final Path SCHEMA =
      Path.of(System.getProperty("penjaga.root", "..")).resolve("config/schema/report-v1.schema.json");

  private Contract() {}

  /** Wraps {@code body} in a report of {@code type} and asserts that the contract accepts it. */
  public static void assertValid(String type, JsonNode body) throws IOException {
    Validator v =
        Validator.create(
            JsonSchema.of(new JsonObject(Files.readString(SCHEMA))),
            new JsonSchemaOptions().setDraft(Draft.DRAFT202012).setBaseUri("https://penjaga.id/schema/"));
    ObjectNode report = JSON.createObjectNode();
    report.put("schema_version", 1).put("agent", "lpse-uji").put("seq", 1).put("type", type)
        .put("time", "2026-11-24T00:00:00Z");
    report.set("body", body);
    var out = v.validate(new JsonObject(JSON.writeValueAsString(report)));
    assertThat(out.getValid()).as(out.toString()).isTrue();
  }
}
