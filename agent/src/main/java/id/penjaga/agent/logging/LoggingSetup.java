package id.penjaga.agent.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import org.slf4j.LoggerFactory;

/**
 * Points the log at standard output for the daemon (journald takes it from there), as text for
 * people or JSON for log shippers. CLI commands keep the default of {@code logback.xml}: warnings
 * only, on standard error, so their own output stays clean.
 */
public final class LoggingSetup {
  private LoggingSetup() {}

  public static void forDaemon(String format, String level) {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
    root.detachAndStopAllAppenders();

    Encoder<ILoggingEvent> encoder;
    if (format.equals("json")) {
      JsonEncoder json = new JsonEncoder();
      json.setContext(ctx);
      json.start();
      encoder = json;
    } else {
      encoder = pattern(ctx, "%d{yyyy-MM-dd HH:mm:ss.SSSXXX} %-5level [%thread] %logger{0} - %msg%n");
    }
    root.addAppender(console(ctx, "stdout", "System.out", encoder));
    root.setLevel(Level.toLevel(level, Level.INFO));
  }

  static Encoder<ILoggingEvent> pattern(LoggerContext ctx, String pattern) {
    PatternLayoutEncoder text = new PatternLayoutEncoder();
    text.setContext(ctx);
    text.setPattern(pattern);
    text.start();
    return text;
  }

  static ConsoleAppender<ILoggingEvent> console(LoggerContext ctx, String name, String target, Encoder<ILoggingEvent> encoder) {
    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setContext(ctx);
    console.setName(name);
    console.setTarget(target);
    console.setEncoder(encoder);
    console.start();
    return console;
  }
}
