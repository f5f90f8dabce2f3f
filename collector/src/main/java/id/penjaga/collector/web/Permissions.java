package id.penjaga.collector.web;

/**
 * Who may record a decision or follow-up on what, as the SOPs name them: Kepala LPSE decides on
 * everything; Administrator Sistem follows up backup, restore-test and log items (SOP 10, SOP 11);
 * Pengelola Kapasitas capacity items (SOP 6); Penilai only reads.
 */
public final class Permissions {
  private Permissions() {}

  public static boolean mayAcknowledge(String role, String sopRef) {
    if (role == null) {
      return false;
    }
    String sop = sopRef == null ? "" : sopRef;
    return switch (role) {
      case "kepala-lpse" -> true;
      case "admin-sistem" -> sop.startsWith("SOP 10") || sop.startsWith("SOP 11");
      case "pengelola-kapasitas" -> sop.startsWith("SOP 6");
      default -> false;
    };
  }

  /** The role's name as the SOP writes it. */
  public static String title(String role) {
    return switch (role == null ? "" : role) {
      case "kepala-lpse" -> "Kepala LPSE";
      case "admin-sistem" -> "Administrator Sistem";
      case "pengelola-kapasitas" -> "Pengelola Kapasitas";
      case "penilai" -> "Penilai";
      default -> "operator";
    };
  }
}
