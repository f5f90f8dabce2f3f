package id.penjaga.agent.cli;

import id.penjaga.agent.backup.crypto.NativeCrypto;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;

/**
 * What every command that opens a repository needs before its first byte of work, begun on a
 * thread of its own when the command line starts, while the main thread builds the command and
 * reads the configuration: the logging set up, native AES and SHA-256 (the provider's library is
 * unpacked from the jar and loaded), zstd's library, the key derivation's classes. Done on the
 * main thread, after the key is derived, they held back a backup's first read by ~0.1 s of one
 * core. Nothing here can fail the command: whatever fails is met again where it is used, and
 * reported there.
 */
final class Prestart {
  /** The commands that open a repository (the names of their picocli commands). */
  private static final Set<Class<?>> COMMANDS =
      Set.of(
          InitCommand.class,
          BackupCommand.class,
          SnapshotsCommand.class,
          RestoreCommand.class,
          RestoreDbCommand.class,
          RestoreTestCommand.class,
          RotateLogsCommand.class,
          KeyCommand.class,
          CheckCommand.class,
          ForgetCommand.class);

  /** Counted down once the logging is set up; null when nothing was begun. */
  private static volatile CountDownLatch logging;

  private Prestart() {}

  /** Begins the work for {@code command} when it is one that opens a repository. */
  static void begin(Class<?> command) {
    if (!COMMANDS.contains(command) || logging != null) {
      return;
    }
    CountDownLatch ready = new CountDownLatch(1);
    logging = ready;
    Thread t =
        new Thread(
            () -> {
              try {
                LoggerFactory.getILoggerFactory();
              } catch (RuntimeException | LinkageError e) {
                // the main thread meets it again
              } finally {
                ready.countDown();
              }
              quietly(Prestart::nativeCrypto);
              quietly(com.github.luben.zstd.util.Native::load);
              quietly(() -> new org.bouncycastle.crypto.digests.SHA256Digest());
            },
            "prestart");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Waits for the logging to be set up when {@link #begin} began it: a class that asked SLF4J for
   * a logger meanwhile would get a stand-in that queues its messages until then.
   */
  static void awaitLogging() {
    CountDownLatch ready = logging;
    if (ready == null) {
      return;
    }
    boolean interrupted = false;
    while (true) {
      try {
        ready.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static void nativeCrypto() throws Exception {
    java.security.Provider p = NativeCrypto.provider();
    if (p != null) {
      javax.crypto.Cipher.getInstance("AES/GCM/NoPadding", p);
      NativeCrypto.sha256();
    }
  }

  private interface Step {
    void run() throws Exception;
  }

  private static void quietly(Step step) {
    try {
      step.run();
    } catch (Exception | LinkageError e) {
      // the command meets it again where it is used
    }
  }
}
