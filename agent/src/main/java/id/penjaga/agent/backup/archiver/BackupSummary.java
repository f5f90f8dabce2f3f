package id.penjaga.agent.backup.archiver;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Counters of one file backup, and the problems it met (each named by path). */
final class BackupSummary {
  static final int MAX_LISTED_ERRORS = 100;
  long filesNew;
  long filesChanged;
  long filesUnchanged;
  long dirs;
  long bytesRead;
  long errorCount;
  private final List<String> errors = Collections.synchronizedList(new ArrayList<>());

  /** A file read and stored: changed if the parent snapshot had it as a file ({@code old}), else new. */
  synchronized void stored(id.penjaga.agent.backup.repository.Node old) {
    if (old != null && old.isFile()) {
      filesChanged++;
    } else {
      filesNew++;
    }
  }

  synchronized void dir() {
    dirs++;
  }

  synchronized void unchanged() {
    filesUnchanged++;
  }

  synchronized void read(long bytes) {
    bytesRead += bytes;
  }

  synchronized long bytesRead() {
    return bytesRead;
  }

  synchronized void error(String message) {
    errorCount++;
    if (errors.size() < MAX_LISTED_ERRORS) {
      errors.add(message);
    }
  }

  List<String> errors() {
    synchronized (errors) {
      return List.copyOf(errors);
    }
  }
}
