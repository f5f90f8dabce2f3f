package id.penjaga.collector.ingest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Which agent a bearer token belongs to. Tokens are kept only as SHA-256 digests and compared in
 * constant time against every agent's, so neither timing nor the answer tells whether an agent id
 * exists.
 */
public final class AgentTokens {
  /** Token digests and the agent each belongs to (an agent has two during a token rollover). */
  private final java.util.List<Map.Entry<byte[], String>> digests = new java.util.ArrayList<>();

  public AgentTokens(Map<String, String> tokensByAgent) {
    tokensByAgent.forEach((agent, token) -> digests.add(Map.entry(sha256(token), agent)));
  }

  /** Several valid tokens per agent: the current one and, during a rollover, the next. */
  public static AgentTokens of(Map<String, java.util.List<String>> tokensByAgent) {
    AgentTokens t = new AgentTokens(Map.of());
    tokensByAgent.forEach((agent, list) -> list.forEach(token -> t.digests.add(Map.entry(sha256(token), agent))));
    return t;
  }

  /** The agent whose token this is, if any. */
  public Optional<String> agentFor(String presentedToken) {
    byte[] presented = sha256(presentedToken);
    String match = null;
    for (Map.Entry<byte[], String> e : digests) {
      if (MessageDigest.isEqual(presented, e.getKey()) && match == null) {
        match = e.getValue();
      }
    }
    return Optional.ofNullable(match);
  }

  /** How many agents have a token. */
  public int size() {
    return (int) digests.stream().map(Map.Entry::getValue).distinct().count();
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
