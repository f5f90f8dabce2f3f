package id.penjaga.agent.backup.crypto;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;

/**
 * A key slot ({@code keys/<id>}): the master key sealed with a key derived from a password by
 * scrypt, a memory-hard function that makes guessing passwords slow on any hardware.
 */
public record KeySlot(
    int version,
    String kdf,
    int n,
    int r,
    int p,
    String salt,
    String data,
    String created,
    String host,
    String user) {

  /** scrypt cost: 32 MiB of memory and a fraction of a second per try, like restic's default. */
  public static final int DEFAULT_N = 1 << 15;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] AAD = "master-key".getBytes(StandardCharsets.US_ASCII);

  /** Seals a master key with a password into a new slot. */
  public static KeySlot create(MasterKey key, char[] password, int n) {
    byte[] salt = new byte[32];
    new SecureRandom().nextBytes(salt);
    byte[] kek = derive(password, salt, n, 8, 1);
    byte[] sealed = new Sealer(kek).seal(key.bytes(), AAD);
    return new KeySlot(
        1,
        "scrypt",
        n,
        8,
        1,
        Base64.getEncoder().encodeToString(salt),
        Base64.getEncoder().encodeToString(sealed),
        Instant.now().toString(),
        hostName(),
        System.getProperty("user.name", "unknown"));
  }

  /**
   * Opens the master key with a password.
   *
   * @throws Sealer.TamperedException when the password is not this slot's (or the slot is damaged)
   */
  public MasterKey open(char[] password) throws Sealer.TamperedException {
    if (!"scrypt".equals(kdf) || version != 1) {
      throw new Sealer.TamperedException("unsupported key slot (kdf " + kdf + ", version " + version + ")");
    }
    byte[] kek;
    try {
      kek = derive(password, Base64.getDecoder().decode(salt), n, r, p);
    } catch (IllegalArgumentException e) {
      throw new Sealer.TamperedException("unsupported key slot (" + e.getMessage() + ")");
    }
    return MasterKey.of(new Sealer(kek).open(Base64.getDecoder().decode(data), AAD));
  }

  public byte[] toJson() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static KeySlot fromJson(byte[] json) throws IOException {
    return JSON.readValue(json, KeySlot.class);
  }

  private static byte[] derive(char[] password, byte[] salt, int n, int r, int p) {
    byte[] pw = new String(password).getBytes(StandardCharsets.UTF_8);
    byte[] kek = Scrypt.derive(pw, salt, n, r, p, 32);
    if ((long) n * r * 128 >= BIG_KDF_MEMORY) {
      // scrypt's memory (32 MiB by default) is garbage now. Collected at once, its room serves
      // what the command allocates next (a backup's buffers); else the heap would grow past it
      // and the process hold both.
      System.gc();
    }
    return kek;
  }

  /** scrypt memory from which {@link #derive} gives it back to the heap at once. */
  private static final long BIG_KDF_MEMORY = 8 << 20;

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
