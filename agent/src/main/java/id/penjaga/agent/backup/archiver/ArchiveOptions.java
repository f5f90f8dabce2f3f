package id.penjaga.agent.backup.archiver;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.List;

/** What a file backup leaves out: glob excludes, and other file systems when asked. */
public record ArchiveOptions(List<String> excludes, boolean oneFileSystem) {
  public ArchiveOptions {
    excludes = excludes == null ? List.of() : List.copyOf(excludes);
  }

  /**
   * Glob patterns match a file's name ({@code *.tmp}) or its path below the source root
   * ({@code cache/**}).
   */
  List<PathMatcher> matchers() {
    return excludes.stream().map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g)).toList();
  }

  static boolean excluded(List<PathMatcher> matchers, Path relative) {
    Path name = relative.getFileName();
    for (PathMatcher m : matchers) {
      if (m.matches(relative) || (name != null && m.matches(name))) {
        return true;
      }
    }
    return false;
  }
}
