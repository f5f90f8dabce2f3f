package id.penjaga.agent.backup.repository;

import com.fasterxml.jackson.databind.ObjectMapper;
import id.penjaga.agent.backup.backend.Backend;
import id.penjaga.agent.backup.backend.FileKind;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.NoSuchFileException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lock file in {@code locks/}: writers hold an exclusive lock, readers a shared one (REPOSITORY.md,
 * "Locks"). Refreshed while held; removed on close.
 */
public final class RepositoryLock implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RepositoryLock.class);
  static final Duration STALE_AFTER = Duration.ofMinutes(30);
  static final Duration REFRESH_EVERY = Duration.ofMinutes(5);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The locks this process holds now: one of its own not among them is a leftover (its removal failed). */
  private static final java.util.Set<String> HELD = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** The content of a lock file. */
  record Info(String host, long pid, String time, boolean exclusive, String command) {}

  private final Backend backend;
  private final String name;
  private final Info info;
  private final Clock clock;
  private final ScheduledExecutorService refresher;

  private RepositoryLock(Backend backend, String name, Info info, Clock clock) {
    this.backend = backend;
    this.name = name;
    this.info = info;
    this.clock = clock;
    this.refresher =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "lock-refresh");
              t.setDaemon(true);
              return t;
            });
    refresher.scheduleAtFixedRate(
        this::refresh, REFRESH_EVERY.toSeconds(), REFRESH_EVERY.toSeconds(), TimeUnit.SECONDS);
  }

  /** Takes a lock, removing stale ones; refuses with who holds it when a live one conflicts. */
  public static RepositoryLock acquire(Backend backend, boolean exclusive, String command, Clock clock)
      throws IOException {
    removeStaleAndCheck(backend, exclusive, clock, null);
    byte[] rnd = new byte[16];
    new SecureRandom().nextBytes(rnd);
    String name = HexFormat.of().formatHex(rnd);
    Info info =
        new Info(hostName(), ProcessHandle.current().pid(), clock.instant().toString(), exclusive, command);
    backend.save(FileKind.LOCK, name, JSON.writeValueAsBytes(info));
    try {
      // Another process may have locked between our check and our write: look again.
      removeStaleAndCheck(backend, exclusive, clock, name);
    } catch (IOException e) {
      backend.remove(FileKind.LOCK, name);
      throw e;
    }
    HELD.add(name);
    return new RepositoryLock(backend, name, info, clock);
  }

  private static void removeStaleAndCheck(Backend backend, boolean exclusive, Clock clock, String ours)
      throws IOException {
    for (String other : backend.list(FileKind.LOCK)) {
      if (other.equals(ours)) {
        continue;
      }
      Info o;
      try {
        o = JSON.readValue(backend.load(FileKind.LOCK, other), Info.class);
      } catch (NoSuchFileException e) {
        continue;
      } catch (IOException e) {
        log.warn("removing unreadable lock {}: {}", other, e.getMessage());
        backend.remove(FileKind.LOCK, other);
        continue;
      }
      if (isStale(other, o, clock.instant())) {
        log.warn("removing stale lock of {} pid {} from {}", o.host(), o.pid(), o.time());
        backend.remove(FileKind.LOCK, other);
        continue;
      }
      if (exclusive || o.exclusive()) {
        throw new RepositoryException(
            "repository "
                + backend.location()
                + " is locked "
                + (o.exclusive() ? "exclusively" : "for reading")
                + " by '"
                + o.command()
                + "' on "
                + o.host()
                + " (pid "
                + o.pid()
                + ") since "
                + o.time()
                + "; try again when it has finished");
      }
    }
  }

  static boolean isStale(String name, Info o, Instant now) {
    if (Instant.parse(o.time()).plus(STALE_AFTER).isBefore(now)) {
      return true;
    }
    if (!o.host().equals(hostName())) {
      return false;
    }
    if (o.pid() == ProcessHandle.current().pid()) {
      // Ours, yet not held: left behind when a connection was cut before it could be removed (a
      // daemon lives on after a failed run; its next run must not wait for the lock to age).
      return !HELD.contains(name);
    }
    return ProcessHandle.of(o.pid()).map(p -> !p.isAlive()).orElse(true);
  }

  private void refresh() {
    try {
      Info fresh =
          new Info(info.host(), info.pid(), clock.instant().toString(), info.exclusive(), info.command());
      backend.save(FileKind.LOCK, name, JSON.writeValueAsBytes(fresh));
    } catch (IOException e) {
      log.warn("cannot refresh lock {}: {}", name, e.getMessage());
    }
  }

  static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown";
    }
  }

  @Override
  public void close() throws IOException {
    refresher.shutdownNow();
    HELD.remove(name);
    backend.remove(FileKind.LOCK, name);
  }
}
