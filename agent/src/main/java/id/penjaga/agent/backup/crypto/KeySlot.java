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

  /**
   * The slot's JSON mapper, made at first use: announcing a key derivation ahead
   * ({@link #expectAhead}), the first thing a command does, does not wait for Jackson to set up.
   */
  private static final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();
  }
  private static final byte[] AAD = "master-key".getBytes(StandardCharsets.US_ASCII);

  /** Seals a master key with a password into a new slot. */
  public static KeySlot create(MasterKey key, char[] password, int n) {
    return create(key, password, n, KeyCache.NONE);
  }

  /** Seals a master key with a password into a new slot, keeping the key derived in {@code keys}. */
  public static KeySlot create(MasterKey key, char[] password, int n, KeyCache keys) {
    byte[] salt = new byte[32];
    new SecureRandom().nextBytes(salt);
    byte[] kek = derive(password, salt, n, 8, 1);
    keys.remember(salt, n, 8, 1, kek);
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
    return open(password, KeyCache.NONE);
  }

  /**
   * Opens the master key with a password, deriving its key unless {@code cache} holds it, and
   * keeping the key derived in {@code cache} once it opened the slot.
   *
   * @throws Sealer.TamperedException when the password is not this slot's (or the slot is damaged)
   */
  public MasterKey open(char[] password, KeyCache cache) throws Sealer.TamperedException {
    MasterKey cached = openCached(cache);
    if (cached != null) {
      return cached;
    }
    byte[] saltBytes = saltBytes();
    byte[] kek;
    try {
      kek = derive(password, saltBytes, n, r, p);
    } catch (IllegalArgumentException e) {
      throw new Sealer.TamperedException("unsupported key slot (" + e.getMessage() + ")");
    }
    MasterKey key = MasterKey.of(new Sealer(kek).open(sealedKey(), AAD));
    cache.remember(saltBytes, n, r, p, kek);
    return key;
  }

  /**
   * The master key opened with the key {@code cache} holds for this slot, without deriving; null
   * when it holds none, or one that does not open the slot (that one is removed).
   */
  public MasterKey openCached(KeyCache cache) {
    byte[] saltBytes;
    byte[] kek;
    try {
      saltBytes = saltBytes();
      kek = supported() ? cache.find(saltBytes, n, r, p) : null;
    } catch (Sealer.TamperedException e) {
      return null;
    }
    if (kek == null) {
      return null;
    }
    try {
      return MasterKey.of(new Sealer(kek).open(sealedKey(), AAD));
    } catch (Sealer.TamperedException | RuntimeException e) {
      cache.forget(saltBytes, n, r, p);
      return null;
    }
  }

  /** Whether {@code cache} holds a key for this slot (not checked against the slot). */
  public boolean cachedIn(KeyCache cache) {
    try {
      return supported() && cache.find(saltBytes(), n, r, p) != null;
    } catch (Sealer.TamperedException e) {
      return false;
    }
  }

  private boolean supported() {
    return "scrypt".equals(kdf) && version == 1;
  }

  private byte[] saltBytes() throws Sealer.TamperedException {
    if (!supported()) {
      throw new Sealer.TamperedException("unsupported key slot (kdf " + kdf + ", version " + version + ")");
    }
    try {
      return Base64.getDecoder().decode(salt);
    } catch (IllegalArgumentException e) {
      throw new Sealer.TamperedException("unsupported key slot (" + e.getMessage() + ")");
    }
  }

  private byte[] sealedKey() throws Sealer.TamperedException {
    try {
      return Base64.getDecoder().decode(data);
    } catch (IllegalArgumentException e) {
      throw new Sealer.TamperedException("damaged key slot (" + e.getMessage() + ")");
    }
  }

  public byte[] toJson() {
    try {
      return Json.MAPPER.writeValueAsBytes(this);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static KeySlot fromJson(byte[] json) throws IOException {
    return Json.MAPPER.readValue(json, KeySlot.class);
  }

  private static byte[] derive(char[] password, byte[] salt, int n, int r, int p) {
    byte[] pw = new String(password).getBytes(StandardCharsets.UTF_8);
    byte[] ready = takeAhead(pw, salt, n, r, p);
    if (ready != null) {
      return ready;
    }
    return scrypt(pw, salt, n, r, p);
  }

  /** Times scrypt ran in this process (the tests count them). */
  private static final java.util.concurrent.atomic.AtomicInteger DERIVATIONS =
      new java.util.concurrent.atomic.AtomicInteger();

  /** How many times scrypt ran in this process. */
  public static int derivations() {
    return DERIVATIONS.get();
  }

  private static byte[] scrypt(byte[] pw, byte[] salt, int n, int r, int p) {
    DERIVATIONS.incrementAndGet();
    byte[] kek = Scrypt.derive(pw, salt, n, r, p, 32);
    if ((long) n * r * 128 >= BIG_KDF_MEMORY) {
      // scrypt's memory (32 MiB by default) is garbage now. Collected at once, its room serves
      // what the command allocates next (a backup's buffers); else the heap would grow past it
      // and the process hold both.
      System.gc();
    }
    return kek;
  }

  /** A key derived ahead of need, with what it was derived from. */
  private record Ahead(byte[] password, byte[] salt, int n, int r, int p, byte[] kek) {}

  /** The key derivation begun ahead ({@link #expectAhead}), until a slot's opening takes it. */
  private static java.util.concurrent.CompletableFuture<Ahead> ahead;

  /**
   * Announces that {@link #deriveAhead} will follow (or {@link #abandonAhead}): the first slot
   * opened waits for it rather than run scrypt beside it. A command begins the derivation while it
   * still reads its command line and configuration, since scrypt takes a fifth of a second.
   */
  public static synchronized void expectAhead() {
    if (ahead == null) {
      ahead = new java.util.concurrent.CompletableFuture<>();
    }
  }

  /** Nothing will be derived ahead after all. */
  public static synchronized void abandonAhead() {
    if (ahead != null) {
      ahead.complete(null);
    }
  }

  /**
   * Derives, on the calling thread, the key that opening {@code slot} with {@code password} will
   * need, and keeps it for that opening. An opening with anything else (another password, another
   * slot) does not use it: it is wiped, and scrypt runs again.
   */
  public static void deriveAhead(char[] password, KeySlot slot) {
    java.util.concurrent.CompletableFuture<Ahead> f;
    synchronized (KeySlot.class) {
      f = ahead;
    }
    if (f == null || f.isDone()) {
      return;
    }
    Ahead a = null;
    try {
      if ("scrypt".equals(slot.kdf()) && slot.version() == 1) {
        byte[] pw = new String(password).getBytes(StandardCharsets.UTF_8);
        byte[] salt = Base64.getDecoder().decode(slot.salt());
        a = new Ahead(pw, salt, slot.n(), slot.r(), slot.p(), scrypt(pw, salt, slot.n(), slot.r(), slot.p()));
      }
    } catch (RuntimeException e) {
      a = null; // the opening meets the same problem and reports it
    } finally {
      f.complete(a);
    }
  }

  /** The key derived ahead when it was derived from these very inputs; null otherwise. */
  private static byte[] takeAhead(byte[] pw, byte[] salt, int n, int r, int p) {
    java.util.concurrent.CompletableFuture<Ahead> f;
    synchronized (KeySlot.class) {
      f = ahead;
      ahead = null;
    }
    if (f == null) {
      return null;
    }
    Ahead a;
    try {
      a = f.get(AHEAD_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      return null;
    }
    if (a == null) {
      return null;
    }
    boolean same = java.security.MessageDigest.isEqual(a.password(), pw)
        && java.util.Arrays.equals(a.salt(), salt) && a.n() == n && a.r() == r && a.p() == p;
    java.util.Arrays.fill(a.password(), (byte) 0);
    if (!same) {
      java.util.Arrays.fill(a.kek(), (byte) 0);
      return null;
    }
    return a.kek();
  }

  /** How long an opening waits for the derivation begun ahead before running its own. */
  private static final int AHEAD_WAIT_SECONDS = 30;

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
