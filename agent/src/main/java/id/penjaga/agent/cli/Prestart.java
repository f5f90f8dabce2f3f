package id.penjaga.agent.cli;

import id.penjaga.agent.backup.backend.FileKind;
import id.penjaga.agent.backup.backend.LocalBackend;
import id.penjaga.agent.backup.crypto.KeyCache;
import id.penjaga.agent.backup.crypto.KeySlot;
import id.penjaga.agent.backup.crypto.NativeCrypto;
import id.penjaga.agent.config.AgentConfig;
import id.penjaga.agent.config.ConfigException;
import id.penjaga.agent.config.SecretFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;

/**
 * What every command that opens a repository needs before its first byte of work, begun on a
 * thread of its own when the command line starts, while the main thread builds the command and
 * reads the configuration: the logging set up, native AES and SHA-256 (the provider's library is
 * unpacked from the jar and loaded), zstd's library; and, on threads of their own, the key
 * derivation itself ({@link #deriveKeyAhead}) and the reading of the configuration ({@link
 * #readConfigAhead}). Done on the main thread, after the configuration was read, they held back a
 * backup's first read by ~0.3 s. Nothing here can fail the command: whatever fails is met again
 * where it is used, and reported there (a configuration error read ahead is reported as it would
 * have been).
 */
final class Prestart {
  /** Counted down once the logging is set up; null when nothing was begun. */
  private static volatile CountDownLatch logging;

  /** The configuration file being read ahead, and its reading. */
  private record ConfigAhead(Path file, CompletableFuture<AgentConfig> config) {}

  private static volatile ConfigAhead configAhead;

  private Prestart() {}

  /**
   * Begins reading the configuration in {@code file} on a thread of its own (Jackson's set-up and
   * object mapping, ~0.15 s at a command's start), while the main thread builds the command line.
   */
  static CompletableFuture<AgentConfig> readConfigAhead(Path file) {
    CompletableFuture<AgentConfig> config = new CompletableFuture<>();
    configAhead = new ConfigAhead(file, config);
    Thread t =
        new Thread(
            () -> {
              try {
                config.complete(AgentConfig.load(file));
              } catch (Throwable e) {
                config.completeExceptionally(e);
              }
            },
            "config-ahead");
    t.setDaemon(true);
    t.start();
    return config;
  }

  /**
   * The configuration in {@code file}, as read ahead when {@link #begin} began reading that very
   * file, or read now. A configuration error is the same either way.
   */
  static AgentConfig config(Path file) throws ConfigException {
    ConfigAhead ahead = configAhead;
    if (ahead != null && ahead.file().equals(file)) {
      configAhead = null; // used once: a later reading reads the file again
      try {
        return ahead.config().join();
      } catch (java.util.concurrent.CompletionException e) {
        if (e.getCause() instanceof ConfigException c) {
          throw c;
        }
        // anything else: read it here, and meet it here
      }
    }
    return AgentConfig.load(file);
  }

  /** Begins the work for {@code command} when it opens a repository ({@link OpensRepository}). */
  static void begin(Class<?> command, String... args) {
    if (!OpensRepository.class.isAssignableFrom(command) || logging != null) {
      return;
    }
    if (command != InitCommand.class) {
      KeySlot.expectAhead();
      Thread key = new Thread(() -> deriveKeyAhead(args), "key-derivation-ahead");
      key.setDaemon(true);
      key.start();
    }
    Path file = configFile(args);
    if (file != null) {
      readConfigAhead(file);
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

  /**
   * Derives the main repository's key from its first key slot while the command line and the
   * configuration are still being read: from the configuration file as it stands, read here with
   * a plain YAML parser (a local repository and a password file given by absolute paths; anything
   * else is left to the command). What it derives is used only if the command, having read and
   * checked everything, opens that slot with that very password ({@link KeySlot#deriveAhead}).
   */
  static void deriveKeyAhead(String... args) {
    try {
      Path file = configFile(args);
      if (file == null) {
        return;
      }
      org.yaml.snakeyaml.Yaml yaml = new org.yaml.snakeyaml.Yaml(
          new org.yaml.snakeyaml.constructor.SafeConstructor(new org.yaml.snakeyaml.LoaderOptions()));
      Object root = yaml.load(Files.readString(file));
      if (!(root instanceof Map<?, ?> config) || !(config.get("repository") instanceof Map<?, ?> repository)
          || !(repository.get("path") instanceof String path)
          || !(repository.get("password-file") instanceof String passwordFile)
          || path.contains("://") || !Path.of(path).isAbsolute() || !Path.of(passwordFile).isAbsolute()) {
        return;
      }
      LocalBackend backend = new LocalBackend(Path.of(path));
      List<String> slots = backend.list(FileKind.KEY);
      if (slots.isEmpty()) {
        return;
      }
      // The slot's JSON read as YAML (a superset of JSON) by the parser already set up on this
      // thread: Jackson's object mapping would take as long again, beside the main thread's.
      KeySlot slot = slotOf(yaml.load(new String(backend.load(FileKind.KEY, slots.get(0)), StandardCharsets.UTF_8)));
      if (slot == null) {
        return;
      }
      Path stateDir = config.get("agent") instanceof Map<?, ?> agent && agent.get("state-dir") instanceof String dir
          ? Path.of(dir) : AgentConfig.DEFAULT_STATE_DIR;
      if (slot.cachedIn(KeyCache.of(KeyCache.dirIn(stateDir), Path.of(passwordFile)))) {
        return; // the opening finds the key there: nothing to derive
      }
      char[] password = new SecretFile(Path.of(passwordFile)).validated().read().toCharArray();
      try {
        KeySlot.deriveAhead(password, slot);
      } finally {
        java.util.Arrays.fill(password, '\0');
      }
    } catch (Exception | LinkageError e) {
      // the command reads it all again, and reports what is wrong
    } finally {
      KeySlot.abandonAhead(); // no effect once derived
    }
  }

  /** A key slot from its JSON as a plain map, or null when it is not one of ours. */
  static KeySlot slotOf(Object parsed) {
    if (parsed instanceof Map<?, ?> m
        && m.get("version") instanceof Integer version
        && m.get("kdf") instanceof String kdf
        && m.get("n") instanceof Integer n
        && m.get("r") instanceof Integer r
        && m.get("p") instanceof Integer p
        && m.get("salt") instanceof String salt
        && m.get("data") instanceof String data) {
      return new KeySlot(version, kdf, n, r, p, salt, data, null, null, null);
    }
    return null;
  }

  /**
   * The configuration file the command line names ({@code -c FILE}, {@code --config FILE} or
   * {@code --config=FILE}), or the default; null when it selects another repository ({@code --repo}).
   */
  static Path configFile(String... args) {
    Path file = AgentConfig.DEFAULT_FILE;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if ((a.equals("-c") || a.equals("--config")) && i + 1 < args.length) {
        file = Path.of(args[++i]);
      } else if (a.startsWith("--config=")) {
        file = Path.of(a.substring("--config=".length()));
      } else if (a.startsWith("-c") && a.length() > 2 && !a.startsWith("--")) {
        file = Path.of(a.substring(2));
      } else if (a.equals("--repo") || a.startsWith("--repo=")) {
        return null;
      }
    }
    return file;
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
