package id.penjaga.collector.web;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows password guessing: after {@code limit} failed logins within the window, for one account or
 * from one address, further attempts for it are refused until the window has passed. A success
 * clears the account's count (not the address's).
 */
final class LoginThrottle {
  private final int limit;
  private final Duration window;
  private final Clock clock;
  private final Map<String, Deque<Long>> failures = new ConcurrentHashMap<>();

  LoginThrottle(int limit, Duration window, Clock clock) {
    this.limit = limit;
    this.window = window;
    this.clock = clock;
  }

  /** Seconds to wait before another attempt for this account or from this address (0: go ahead). */
  long waitSeconds(String account, String address) {
    return Math.max(wait("user:" + account), wait("addr:" + address));
  }

  private long wait(String key) {
    Deque<Long> d = failures.get(key);
    if (d == null) {
      return 0;
    }
    synchronized (d) {
      long now = clock.millis();
      while (!d.isEmpty() && d.peekFirst() <= now - window.toMillis()) {
        d.pollFirst();
      }
      return d.size() < limit ? 0 : Math.max(1, (d.peekFirst() + window.toMillis() - now + 999) / 1000);
    }
  }

  void failed(String account, String address) {
    if (failures.size() > 10_000) { // many names or addresses: forget those whose failures are all old
      long cutoff = clock.millis() - window.toMillis();
      failures.entrySet().removeIf(e -> {
        synchronized (e.getValue()) {
          return e.getValue().isEmpty() || e.getValue().peekLast() <= cutoff;
        }
      });
    }
    for (String key : new String[] {"user:" + account, "addr:" + address}) {
      Deque<Long> d = failures.computeIfAbsent(key, k -> new ArrayDeque<>());
      synchronized (d) {
        d.addLast(clock.millis());
        while (d.size() > limit * 4) {
          d.pollFirst();
        }
      }
    }
  }

  void succeeded(String account) {
    failures.remove("user:" + account);
  }
}
