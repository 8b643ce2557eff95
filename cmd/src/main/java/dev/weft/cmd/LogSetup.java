package dev.weft.cmd;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * weft's logging, set up by Logback when the first logger is asked for (a {@link Configurator}
 * found with {@code ServiceLoader}, so no {@code logback.xml} is needed): one line per event on
 * stderr, in one of two formats.
 *
 * <ul>
 *   <li>{@code WEFT_LOG_FORMAT=plain} (the default): {@code 2026-01-02T03:04:05.678+00:00 INFO Weft - message},
 *       the lines weft has always written, a stack trace after the line of a failure;</li>
 *   <li>{@code WEFT_LOG_FORMAT=json}: one JSON object per line from Logback's own {@link JsonEncoder}
 *       ({@code timestamp} in epoch milliseconds, {@code level}, {@code loggerName},
 *       {@code threadName}, {@code formattedMessage}, {@code throwable} with its frames), for log
 *       collectors that would otherwise split a stack trace into events.</li>
 * </ul>
 *
 * <p>{@code WEFT_LOG_LEVEL} ({@code error}, {@code warn}, {@code info}, {@code debug}, {@code trace};
 * the system property {@code weft.log.level} wins) sets weft's level, {@code info} by default.
 * Netty, the WebSocket client and Flyway stay at {@code warn}: they narrate every connection and
 * every database open. A value weft does not know is reported in the log and the default used,
 * since logging is set up before the configuration is read and must not stop a daemon.
 */
public final class LogSetup extends ContextAwareBase implements Configurator {
    /** The system property that overrides {@code WEFT_LOG_LEVEL} (the benchmarks' forks set it). */
    public static final String LEVEL_PROPERTY = "weft.log.level";
    static final String PLAIN_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %level %logger{0} - %msg%n";
    private static final List<String> CHATTY = List.of("io.netty", "org.java_websocket", "org.flywaydb");

    /** The two formats of {@code WEFT_LOG_FORMAT}. */
    public enum Format { PLAIN, JSON }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setTarget("System.err");
        String level = System.getProperty(LEVEL_PROPERTY, System.getenv("WEFT_LOG_LEVEL"));
        List<String> problems = apply(context, System.getenv("WEFT_LOG_FORMAT"), level, console);
        // Straight from the context: SLF4J is still initialising while this runs.
        Logger log = context.getLogger(LogSetup.class);
        problems.forEach(p -> log.warn("logging: {}", p));
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /**
     * Sends every event to {@code appender} in {@code format} ({@code WEFT_LOG_FORMAT}) at
     * {@code level} ({@code WEFT_LOG_LEVEL}); null or blank means the default.
     *
     * @return what was wrong with the settings (the default was used instead), for the log
     */
    static List<String> apply(LoggerContext context, String format, String level, OutputStreamAppender<ILoggingEvent> appender) {
        List<String> problems = new ArrayList<>();
        Format f = Format.PLAIN;
        if (format != null && !format.isBlank()) {
            try {
                f = Format.valueOf(format.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                problems.add("WEFT_LOG_FORMAT: expected plain or json, got \"" + format + "\"; writing plain");
            }
        }
        Level l = Level.INFO;
        if (level != null && !level.isBlank()) {
            Level parsed = Level.toLevel(level.strip(), null);
            if (parsed == null) problems.add("WEFT_LOG_LEVEL: expected error, warn, info, debug or trace, got \"" + level + "\"; using info");
            else l = parsed;
        }
        context.reset();
        appender.setContext(context);
        appender.setName(f.name().toLowerCase(Locale.ROOT));
        appender.setEncoder(encoder(f, context));
        appender.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(l);
        root.addAppender(appender);
        for (String name : CHATTY) {
            if (l.isGreaterOrEqual(Level.WARN)) continue;
            context.getLogger(name).setLevel(Level.WARN);
        }
        return problems;
    }

    private static Encoder<ILoggingEvent> encoder(Format f, LoggerContext context) {
        return switch (f) {
            case PLAIN -> {
                PatternLayoutEncoder e = new PatternLayoutEncoder();
                e.setContext(context);
                e.setPattern(PLAIN_PATTERN);
                e.start();
                yield e;
            }
            case JSON -> {
                JsonEncoder e = new JsonEncoder();
                e.setContext(context);
                // The message as read, once: not its template and arguments beside it, nor the
                // logger context's name and birth time on every line, nor a sequence number that
                // is 0 on every line unless a generator is installed.
                e.setWithSequenceNumber(false);
                e.setWithFormattedMessage(true);
                e.setWithMessage(false);
                e.setWithArguments(false);
                e.setWithContext(false);
                e.start();
                yield e;
            }
        };
    }

    /**
     * Sets weft's level after start-up, unless the operator chose one ({@code WEFT_LOG_LEVEL} or
     * {@link #LEVEL_PROPERTY}): the benchmarks quieten the per-status lines they would otherwise time.
     */
    public static void defaultLevel(String level, Map<String, String> env) {
        if (System.getProperty(LEVEL_PROPERTY) != null) return;
        String chosen = env.get("WEFT_LOG_LEVEL");
        if (chosen != null && !chosen.isBlank()) return;
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.toLevel(level, Level.INFO));
        }
    }
}
