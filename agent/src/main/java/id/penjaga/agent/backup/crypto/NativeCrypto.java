package id.penjaga.agent.backup.crypto;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.security.Provider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AES and SHA-256 in native code when this machine can load them: Amazon Corretto Crypto Provider
 * (AWS-LC), used by name, never installed for the rest of the JVM. The JDK's AES-GCM is as fast once the JIT
 * compiler has reached it, but until then (the first hundred megabytes or so of a backup) runs in
 * plain Java at a fiftieth of the speed. Where the provider does not load (another architecture,
 * a /tmp mounted noexec) the JDK's is used: the format is the same either way.
 * {@code -Dpenjaga.crypto=jdk} chooses the JDK's.
 */
public final class NativeCrypto {
  private static final Logger log = LoggerFactory.getLogger(NativeCrypto.class);
  private static final Provider PROVIDER = load();

  private NativeCrypto() {}

  /** The native provider, or null to use the JDK's. */
  public static Provider provider() {
    return PROVIDER;
  }

  /** A SHA-256 digest, native where it loads: the backup hashes every byte it reads with it. */
  public static java.security.MessageDigest sha256() {
    try {
      return PROVIDER != null
          ? java.security.MessageDigest.getInstance("SHA-256", PROVIDER)
          : java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  private static Provider load() {
    if ("jdk".equals(System.getProperty("penjaga.crypto"))) {
      return null;
    }
    try {
      AmazonCorrettoCryptoProvider p = AmazonCorrettoCryptoProvider.INSTANCE;
      Throwable error = p.getLoadingError();
      if (error != null) {
        log.debug("native AES not available, using the JDK's: {}", error.toString());
        return null;
      }
      return p;
    } catch (LinkageError | RuntimeException e) {
      log.debug("native AES not available, using the JDK's: {}", e.toString());
      return null;
    }
  }
}
