package id.penjaga.collector.web;

import id.penjaga.collector.TestStores;
import static org.assertj.core.api.Assertions.assertThat;

import id.penjaga.collector.evidence.EvidenceRegister;
import id.penjaga.collector.store.ReportStore;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page in a real headless Chromium (Debian's chromium and chromedriver): a wrong password
 * is refused, the right one opens the dashboard with the agent, its failed backup and the alert,
 * and a report opens from the reports page. Screenshots go to target/screenshots.
 */
class WebPageBrowserTest {
  @TempDir Path dir;
  WebFixture collector;
  WebDriver browser;
  static final Path SHOTS = Path.of("target/screenshots");

  @BeforeEach
  void start() throws Exception {
    collector = new WebFixture(dir);
    File chromium = new File("/usr/bin/chromium");
    File driver = new File("/usr/bin/chromedriver");
    assertThat(chromium).as("Debian's chromium (installed by .ci/test)").exists();
    assertThat(driver).as("Debian's chromium-driver (installed by .ci/test)").exists();
    ChromeOptions o = new ChromeOptions();
    o.setBinary(chromium);
    o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
        "--window-size=1280,1000", "--user-data-dir=" + dir.resolve("chromium-profile"));
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver).usingAnyFreePort().build();
    browser = new ChromeDriver(service, o);
    browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    Files.createDirectories(SHOTS);
  }

  @AfterEach
  void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (collector != null) {
      collector.close();
    }
  }

  private void shot(String name) throws Exception {
    Files.write(SHOTS.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
  }

  private void logIn(String user, String password) {
    browser.findElement(By.id("username")).sendKeys(user);
    browser.findElement(By.id("password")).sendKeys(password);
    follow(By.id("login"));
  }

  /**
   * Clicks a link or a submit button and waits until the page it opens has loaded: the click
   * returns before a slow answer (the Argon2id check of a login on a busy machine) arrives. The
   * old page is marked with a script variable that the new page's window does not have; asking
   * for it while the browser is between the two pages may fail (Chromium answers "Node with given
   * id does not belong to the document" or a script error rather than "stale element"), so such
   * answers only mean "not yet".
   */
  private void follow(By what) {
    JavascriptExecutor js = (JavascriptExecutor) browser;
    js.executeScript("window.penjagaOldPage = true");
    browser.findElement(what).click();
    new WebDriverWait(browser, Duration.ofSeconds(30)).ignoring(WebDriverException.class)
        .until(b -> Boolean.TRUE.equals(((JavascriptExecutor) b).executeScript(
            "return window.penjagaOldPage === undefined && document.readyState === 'complete'")));
  }

  @Test
  void logsInOpensTheDashboardAndAReportAndRefusesAWrongPassword() throws Exception {
    browser.get(collector.base() + "/ui/");
    assertThat(browser.getCurrentUrl()).endsWith("/ui/login");

    logIn("kepala", "salah-sekali-123");
    assertThat(browser.getCurrentUrl()).endsWith("/ui/login?error=1");
    assertThat(browser.findElement(By.id("error")).getText()).isEqualTo("Nama pengguna atau kata sandi salah.");
    browser.get(collector.base() + "/ui/evidence");
    assertThat(browser.getCurrentUrl()).as("no way in without logging in").endsWith("/ui/login");
    shot("login-failed");

    logIn("kepala", WebFixture.PASSWORD);
    assertThat(browser.getCurrentUrl()).endsWith("/ui/");
    String agents = browser.findElement(By.id("agents")).getText();
    assertThat(agents).contains("lpse-demo").contains("melapor");
    assertThat(browser.findElement(By.id("alerts")).getText()).contains("BackupGagal");
    String backups = browser.findElement(By.id("backups")).getText();
    assertThat(backups).contains("uploads").contains("berhasil").contains("db").contains("gagal").contains("5c2f0f6a");
    assertThat(browser.getPageSource()).doesNotContain(WebFixture.PASSWORD);
    shot("dashboard");

    // Kepala LPSE decides on the failed backup from the dashboard
    follow(By.cssSelector("#alerts a[href^='/ui/ack?alert=']"));
    assertThat(browser.findElement(By.id("item")).getText()).contains("BackupGagal");
    browser.findElement(By.id("decision")).sendKeys("Perbaiki kata sandi basis data dan ulangi backup hari ini");
    browser.findElement(By.id("pic")).sendKeys("Budi (Admin Sistem)");
    follow(By.id("save"));
    assertThat(browser.findElement(By.id("history")).getText()).contains("Perbaiki kata sandi basis data")
        .contains("kepala (Kepala LPSE)").contains("Budi (Admin Sistem)");
    shot("decision");

    follow(By.linkText("Register bukti"));
    String evidence = browser.findElement(By.id("evidence")).getText();
    assertThat(evidence).contains("login-failed").contains("login").contains("kepala (Kepala LPSE)")
        .contains("SOP 10 langkah 4").contains("SOP 10 langkah 6")
        .contains("Tindak lanjut atas peringatan").contains("Perbaiki kata sandi basis data");
    shot("evidence");

    follow(By.linkText("Laporan"));
    String month = YearMonth.now(ZoneId.of("Asia/Jakarta")).toString();
    follow(By.cssSelector("a[href='/ui/reports/backup-effectiveness/" + month + ".html']"));
    assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Analisa Efektifitas Backup");
    assertThat(browser.findElement(By.tagName("body")).getText()).contains("LPSE Kabupaten Contoh").contains("50,0%")
        .contains("pg_dump exited with status 1");
    // the report's inline style is allowed by its CSP hash: the table has its borders
    assertThat(browser.findElement(By.cssSelector("table td")).getCssValue("border-top-style")).isEqualTo("solid");
    shot("report-backup-effectiveness");

    // the analysis was discussed in the meeting: its minutes are attached
    browser.get(collector.base() + "/ui/minutes?month=" + month);
    assertThat(browser.findElement(By.id("none")).getText()).contains("Belum ada notulen");
    Path notulen = dir.resolve("notulen rapat.txt");
    Files.writeString(notulen, "Notulen rapat bulanan: backup db gagal sekali, kata sandi diperbaiki.\n");
    ((JavascriptExecutor) browser).executeScript(
        "arguments[0].value = arguments[1]", browser.findElement(By.id("meeting")), java.time.LocalDate.now().toString());
    browser.findElement(By.id("file")).sendKeys(notulen.toString());
    browser.findElement(By.id("note")).sendKeys("dipimpin Kepala LPSE");
    follow(By.id("upload"));
    String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
        .digest(Files.readAllBytes(notulen)));
    assertThat(browser.findElement(By.id("minutes")).getText()).contains("notulen_rapat.txt").contains(sha)
        .contains("dipimpin Kepala LPSE");
    browser.get(collector.base() + "/ui/reports/backup-effectiveness/" + month + ".html");
    assertThat(browser.findElement(By.tagName("body")).getText()).as("the decision on the alert follows up the failed run")
        .contains("Perbaiki kata sandi basis data").doesNotContain("belum ada tindak lanjut");
    assertThat(browser.findElement(By.className("discussed")).getText()).contains("notulen_rapat.txt")
        .contains(sha.substring(0, 16));

    try (ReportStore store = TestStores.open(dir.resolve("c.db"), Clock.systemUTC())) {
      EvidenceRegister reg = new EvidenceRegister(store, null);
      List<EvidenceRegister.Record> access = reg.list(null, null, "report-download", null);
      assertThat(access).anyMatch(r -> r.summary().contains("backup-effectiveness") && r.actor().startsWith("kepala"));
      assertThat(reg.list(null, null, "login-failed", null)).hasSize(1);
      assertThat(reg.verify()).isEmpty();
    }
  }
}
