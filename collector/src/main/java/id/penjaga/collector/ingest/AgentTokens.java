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
  private final Map<String, byte[]> digests = new LinkedHashMap<>();

  public AgentTokens(Map<String, String> tokensByAgent) {
    tokensByAgent.forEach((agent, token) -> digests.put(agent, sha256(token)));
  }

  /** The agent whose token this is, if any. */
  public Optional<String> agentFor(String presentedToken) {
    byte[] presented = sha256(presentedToken);
    String match = null;
    for (Map.Entry<String, byte[]> e : digests.entrySet()) {
      if (MessageDigest.isEqual(presented, e.getValue()) && match == null) {
        match = e.getKey();
      }
    }
    return Optional.ofNullable(match);
  }

  public int size() {
    return digests.size();
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
