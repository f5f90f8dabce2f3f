package id.penjaga.agent.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The log's starting point, set up in code (found by logback through the service loader) rather
 * than from an XML file: warnings and errors on standard error, so the CLI's own output stays
 * clean; {@code run} then switches to the daemon's log ({@link LoggingSetup}). Reading logback's
 * XML loads about a thousand classes that an idle agent would keep in memory.
 */
public final class DefaultLogging extends ContextAwareBase implements Configurator {
  @Override
  public ExecutionStatus configure(LoggerContext ctx) {
    if (DefaultLogging.class.getResource("/logback-test.xml") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY; // tests bring their own
    }
    Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
    root.addAppender(LoggingSetup.console(ctx, "stderr", "System.err",
        LoggingSetup.pattern(ctx, "%d{yyyy-MM-dd HH:mm:ss.SSSXXX} %-5level %logger{0} - %msg%n")));
    root.setLevel(Level.WARN);
    ctx.getLogger("org.quartz").setLevel(Level.WARN);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
