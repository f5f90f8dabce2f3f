package id.penjaga.agent.report;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * How the agent trusts the collector and proves itself to it over HTTPS: the collector's
 * certificate chains to a CA file and/or matches a pinned SHA-256 fingerprint; optionally the agent
 * presents its own client certificate (mutual TLS).
 *
 * @param caFile PEM certificates the collector's must chain to (null: the system's, or none when pinned)
 * @param pinSha256 the SHA-256 of the collector's certificate (hex, colons allowed) or null
 * @param clientCertFile PEM certificate chain of this agent, or null
 * @param clientKey PEM PKCS#8 private key of that certificate, or null
 */
public record CollectorTls(Path caFile, String pinSha256, Path clientCertFile, String clientKey) {
  public static final CollectorTls DEFAULT = new CollectorTls(null, null, null, null);

  /** Whether anything differs from the JDK's default client. */
  boolean custom() {
    return caFile != null || pinSha256 != null || clientCertFile != null;
  }

  /** A pin as 32 bytes, from hex with or without colons (as openssl x509 -fingerprint -sha256 prints it). */
  public static byte[] parsePin(String pin) {
    String hex = pin.replace(":", "").trim().toLowerCase(Locale.ROOT);
    if (hex.startsWith("sha256/")) {
      byte[] b = Base64.getDecoder().decode(hex.substring(7));
      if (b.length == 32) {
        return b;
      }
    }
    if (!hex.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException(
          "a SHA-256 fingerprint is 64 hex digits (colons allowed), as printed by: openssl x509 -noout -fingerprint -sha256 -in CERT");
    }
    return HexFormat.of().parseHex(hex);
  }

  SSLContext context() {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(keyManagers(), trustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException("cannot set up TLS to the collector: " + e.getMessage(), e);
    }
  }

  private TrustManager[] trustManagers() throws GeneralSecurityException, IOException {
    X509ExtendedTrustManager chain = null;
    if (caFile != null || pinSha256 == null) {
      KeyStore ks = null;
      if (caFile != null) {
        ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        int i = 0;
        try (InputStream in = Files.newInputStream(caFile)) {
          for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
            ks.setCertificateEntry("ca-" + i++, c);
          }
        }
        if (i == 0) {
          throw new IOException("no certificate in " + caFile);
        }
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      for (TrustManager t : tmf.getTrustManagers()) {
        if (t instanceof X509ExtendedTrustManager x) {
          chain = x;
        }
      }
    }
    if (pinSha256 == null) {
      return new TrustManager[] {chain};
    }
    return new TrustManager[] {new Pinned(parsePin(pinSha256), chain)};
  }

  private KeyManager[] keyManagers() throws GeneralSecurityException, IOException {
    if (clientCertFile == null) {
      return null;
    }
    List<Certificate> certs = new ArrayList<>();
    try (InputStream in = Files.newInputStream(clientCertFile)) {
      certs.addAll(CertificateFactory.getInstance("X.509").generateCertificates(in));
    }
    if (certs.isEmpty()) {
      throw new IOException("no certificate in " + clientCertFile);
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    char[] none = new char[0];
    ks.setKeyEntry("agent", privateKey(clientKey), none, certs.toArray(new Certificate[0]));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, none);
    return kmf.getKeyManagers();
  }

  static PrivateKey privateKey(String pem) throws GeneralSecurityException, IOException {
    if (pem.contains("BEGIN RSA PRIVATE KEY") || pem.contains("BEGIN EC PRIVATE KEY") || pem.contains("ENCRYPTED")) {
      throw new IOException("the client key must be an unencrypted PKCS#8 PEM key (BEGIN PRIVATE KEY); convert it with:"
          + " openssl pkcs8 -topk8 -nocrypt -in OLD.key -out NEW.key");
    }
    int start = pem.indexOf("-----BEGIN PRIVATE KEY-----");
    int end = pem.indexOf("-----END PRIVATE KEY-----");
    if (start < 0 || end < start) {
      throw new IOException("no PEM private key (BEGIN PRIVATE KEY) in the client key file");
    }
    byte[] der = Base64.getMimeDecoder().decode(
        pem.substring(start + "-----BEGIN PRIVATE KEY-----".length(), end).getBytes(StandardCharsets.US_ASCII));
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    for (String alg : new String[] {"RSA", "EC", "Ed25519", "Ed448"}) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(spec);
      } catch (GeneralSecurityException e) {
        // try the next
      }
    }
    throw new IOException("the client key is not an RSA, EC or EdDSA key");
  }

  /**
   * Accepts the collector's certificate only when its SHA-256 matches the pin, and, when a CA is
   * configured too, when it also chains to it (with the host name checked).
   */
  static final class Pinned extends X509ExtendedTrustManager {
    private final byte[] pin;
    private final X509ExtendedTrustManager chain;

    Pinned(byte[] pin, X509ExtendedTrustManager chain) {
      this.pin = pin;
      this.chain = chain;
    }

    private void pinned(X509Certificate[] certs) throws CertificateException {
      if (certs == null || certs.length == 0) {
        throw new CertificateException("the collector sent no certificate");
      }
      byte[] got;
      try {
        got = MessageDigest.getInstance("SHA-256").digest(certs[0].getEncoded());
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new CertificateException(e);
      }
      if (!MessageDigest.isEqual(got, pin)) {
        throw new CertificateException("the collector's certificate (SHA-256 " + HexFormat.ofDelimiter(":").withUpperCase()
            .formatHex(got) + ") does not match the pinned fingerprint collector.pin-sha256");
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certs, String authType, SSLEngine engine) throws CertificateException {
      pinned(certs);
      if (chain != null) {
        chain.checkServerTrusted(certs, authType, engine);
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certs, String authType, Socket socket) throws CertificateException {
      pinned(certs);
      if (chain != null) {
        chain.checkServerTrusted(certs, authType, socket);
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certs, String authType) throws CertificateException {
      pinned(certs);
      if (chain != null) {
        ((X509TrustManager) chain).checkServerTrusted(certs, authType);
      }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certs, String authType, SSLEngine engine) throws CertificateException {
      throw new CertificateException("not a server");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certs, String authType, Socket socket) throws CertificateException {
      throw new CertificateException("not a server");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certs, String authType) throws CertificateException {
      throw new CertificateException("not a server");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
