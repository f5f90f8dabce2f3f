package id.penjaga.collector.web;

import id.penjaga.collector.store.ReportStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Links in alert e-mails with which the recipient records a decision on that alert without logging
 * in: signed (HMAC-SHA-256 with a key kept beside the store, mode 0600), bound to one alert and one
 * recipient, expiring, and good for one use (its nonce is recorded when used, in the same
 * transaction as the decision).
 */
public final class DecisionLinks {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();
  private static final SecureRandom RANDOM = new SecureRandom();
  private final byte[] key;
  private final String baseUrl;
  private final Duration validity;
  private final ReportStore store;

  public DecisionLinks(ReportStore store, Path keyFile, String baseUrl, Duration validity) throws IOException {
    this.store = store;
    this.key = loadOrCreate(keyFile);
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.validity = validity;
  }

  private static byte[] loadOrCreate(Path keyFile) throws IOException {
    if (Files.exists(keyFile)) {
      byte[] k = Files.readAllBytes(keyFile);
      if (k.length < 32) {
        throw new IOException("link key " + keyFile + " is too short");
      }
      return k;
    }
    byte[] k = new byte[32];
    RANDOM.nextBytes(k);
    Files.createDirectories(keyFile.toAbsolutePath().getParent());
    Files.write(keyFile, k, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
    return k;
  }

  /** What a valid link names. */
  public record Claim(long alertId, String recipient, Instant expires, String nonce) {}

  /** The link for a recipient to decide on an alert. */
  public String link(long alertId, String recipient) {
    return baseUrl + WebUi.ROOT + "/link/" + token(alertId, recipient, store.clock().instant().plus(validity));
  }

  String token(long alertId, String recipient, Instant expires) {
    byte[] nonce = new byte[12];
    RANDOM.nextBytes(nonce);
    String payload = B64.encodeToString(("a|" + alertId + "|" + recipient + "|" + expires.getEpochSecond() + "|"
        + B64.encodeToString(nonce)).getBytes(StandardCharsets.UTF_8));
    return payload + "." + B64.encodeToString(mac(payload));
  }

  private byte[] mac(String payload) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(new SecretKeySpec(key, "HmacSHA256"));
      return m.doFinal(payload.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Why a link is refused. */
  public enum Refusal { FORGED, EXPIRED, USED }

  /** The link's claim if it is genuine and not expired (whether used is checked on use). */
  public Claim verify(String token) throws Refused {
    int dot = token.indexOf('.');
    if (dot < 0) {
      throw new Refused(Refusal.FORGED);
    }
    String payload = token.substring(0, dot);
    byte[] sig;
    try {
      sig = B64D.decode(token.substring(dot + 1));
    } catch (IllegalArgumentException e) {
      throw new Refused(Refusal.FORGED);
    }
    if (!MessageDigest.isEqual(mac(payload), sig)) {
      throw new Refused(Refusal.FORGED);
    }
    String[] f = new String(B64D.decode(payload), StandardCharsets.UTF_8).split("\\|");
    if (f.length != 5 || !f[0].equals("a")) {
      throw new Refused(Refusal.FORGED);
    }
    Instant expires = Instant.ofEpochSecond(Long.parseLong(f[3]));
    if (!store.clock().instant().isBefore(expires)) {
      throw new Refused(Refusal.EXPIRED);
    }
    return new Claim(Long.parseLong(f[1]), f[2], expires, f[4]);
  }

  /** Marks the link used, inside the caller's transaction; refused when it was used before. */
  public static void consume(Connection c, Claim claim, long nowMs) throws SQLException, Refused {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO used_link (nonce, alert_id, used_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
      ps.setString(1, claim.nonce());
      ps.setLong(2, claim.alertId());
      ps.setLong(3, nowMs);
      if (ps.executeUpdate() == 0) {
        throw new Refused(Refusal.USED);
      }
    }
  }

  /** A refused link. */
  public static final class Refused extends Exception {
    public final Refusal why;

    public Refused(Refusal why) {
      super(why.name());
      this.why = why;
    }
  }
}
