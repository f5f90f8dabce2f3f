package id.penjaga.agent.backup.repository;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

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
