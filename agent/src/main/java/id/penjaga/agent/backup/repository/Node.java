package id.penjaga.agent.backup.repository;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Objects;

/**
 * One entry of a directory listing (see REPOSITORY.md, "Trees"). Fields that do not apply to a
 * node's type are null.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Node(
    String name,
    String type,
    int mode,
    Integer uid,
    Integer gid,
    String user,
    String group,
    long mtime,
    Long ctime,
    Long inode,
    Long device,
    Long size,
    List<String> content,
    String sha256,
    String subtree,
    String target) {

  public static final String FILE = "file";
  public static final String DIR = "dir";
  public static final String SYMLINK = "symlink";

  @JsonIgnore
  public boolean isFile() {
    return FILE.equals(type);
  }

  @JsonIgnore
  public boolean isDir() {
    return DIR.equals(type);
  }

  @JsonIgnore
  public boolean isSymlink() {
    return SYMLINK.equals(type);
  }

  /**
   * Component by component, as a record's own equals; written out because the record's is built at
   * its first call from method handles (some twenty generated classes at every command's start)
   * and runs through them for every file a backup walks, which a short command's quick compiler
   * does not make fast. The record's own hashCode stays: it is derived from the same components,
   * and nothing on a command's path hashes nodes.
   */
  @Override
  public boolean equals(Object o) {
    return this == o
        || o instanceof Node n
            && mode == n.mode
            && mtime == n.mtime
            && Objects.equals(name, n.name)
            && Objects.equals(type, n.type)
            && Objects.equals(uid, n.uid)
            && Objects.equals(gid, n.gid)
            && Objects.equals(user, n.user)
            && Objects.equals(group, n.group)
            && Objects.equals(ctime, n.ctime)
            && Objects.equals(inode, n.inode)
            && Objects.equals(device, n.device)
            && Objects.equals(size, n.size)
            && Objects.equals(content, n.content)
            && Objects.equals(sha256, n.sha256)
            && Objects.equals(subtree, n.subtree)
            && Objects.equals(target, n.target);
  }

  /**
   * Whether a name can be restored as one path element inside a target directory: a name from a
   * damaged or hostile repository could otherwise write outside it.
   */
  public static boolean isSafeName(String name) {
    return name != null
        && !name.isEmpty()
        && !name.equals(".")
        && !name.equals("..")
        && name.indexOf('/') < 0
        && name.indexOf('\0') < 0;
  }
}
