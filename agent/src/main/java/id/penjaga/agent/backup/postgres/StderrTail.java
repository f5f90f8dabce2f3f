package id.penjaga.agent.backup.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a program's standard error to its end on a thread of its own (a full pipe would stall the
 * program) and keeps its last {@value #KEEP} bytes: what a failure record needs to say why.
 */
final class StderrTail {
  static final int KEEP = 8192;

  private final byte[] buf = new byte[KEEP];
  private int len;
  private boolean cut;
  private final Thread thread;

  private StderrTail(InputStream in, String name) {
    this.thread =
        new Thread(
            () -> {
              byte[] b = new byte[4096];
              int n;
              try (in) {
                while ((n = in.read(b)) >= 0) {
                  add(b, n);
                }
              } catch (IOException e) {
                // the program went away; what was read is kept
              }
            },
            name);
    thread.setDaemon(true);
  }

  static StderrTail drain(InputStream in, String name) {
    StderrTail t = new StderrTail(in, name);
    t.thread.start();
    return t;
  }

  private synchronized void add(byte[] b, int n) {
    if (n >= KEEP) {
      System.arraycopy(b, n - KEEP, buf, 0, KEEP);
      len = KEEP;
      cut = true;
      return;
    }
    if (len + n > KEEP) {
      int drop = len + n - KEEP;
      System.arraycopy(buf, drop, buf, 0, len - drop);
      len -= drop;
      cut = true;
    }
    System.arraycopy(b, 0, buf, len, n);
    len += n;
  }

  /** Waits (a little) for the end of the stream, then returns what was kept, trimmed. */
  String text() {
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (this) {
      String s = new String(Arrays.copyOf(buf, len), StandardCharsets.UTF_8).strip();
      return cut ? "..." + s : s;
    }
  }
}
