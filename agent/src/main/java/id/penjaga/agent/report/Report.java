package id.penjaga.agent.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One report to the collector, in the versioned contract of {@code config/schema/report-v1.schema.json}.
 * ({@code agent}, {@code seq}) identifies it: the collector stores a repeat only once.
 */
public record Report(
    int schemaVersion,
    String agent,
    long seq,
    String type,
    String time,
    String agentVersion,
    JsonNode body) {

  /** The contract version this agent writes. */
  public static final int SCHEMA_VERSION = 1;

  static final ObjectMapper JSON =
      JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();

  public byte[] toJson() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Report fromJson(byte[] json) throws IOException {
    return JSON.readValue(json, Report.class);
  }
}
