package dev.weft.cmd;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** WEFT_LOG_FORMAT and WEFT_LOG_LEVEL, on a logger context of the test's own. */
class LogSetupTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LoggerContext context = new LoggerContext();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    LogSetupTest() {
        // A context of our own has no MDC adapter until given one (SLF4J's binding gives the real one).
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    }

    @AfterEach
    void stop() {
        context.stop();
    }

    private List<String> setUp(String format, String level) {
        OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
        appender.setOutputStream(out);
        return LogSetup.apply(context, format, level, appender);
    }

    private List<String> lines() {
        String text = out.toString(StandardCharsets.UTF_8);
        return text.isEmpty() ? List.of() : List.of(text.split("\n"));
    }

    @Test
    @DisplayName("json: one object per line with timestamp, level, logger, thread, message and the exception")
    void json() throws IOException {
        assertEquals(List.of(), setUp("json", null));
        Logger log = context.getLogger("dev.weft.daemon.Weft");
        log.info("weft {} serving", "1.0");
        log.error("dispatch failed\nsecond line", new IllegalStateException("backend said no"));
        List<String> lines = lines();
        assertEquals(2, lines.size(), out.toString(StandardCharsets.UTF_8));
        JsonNode first = JSON.readTree(lines.get(0));
        assertTrue(first.path("timestamp").canConvertToLong() && first.path("timestamp").asLong() > 0, lines.get(0));
        assertEquals("INFO", first.path("level").asText());
        assertEquals("dev.weft.daemon.Weft", first.path("loggerName").asText());
        assertEquals(Thread.currentThread().getName(), first.path("threadName").asText());
        assertEquals("weft 1.0 serving", first.path("formattedMessage").asText());
        assertTrue(first.path("sequenceNumber").isMissingNode() && first.path("message").isMissingNode()
                && first.path("arguments").isMissingNode(), "no noise beside the message: " + lines.get(0));
        JsonNode second = JSON.readTree(lines.get(1));
        assertEquals("ERROR", second.path("level").asText());
        assertEquals("dispatch failed\nsecond line", second.path("formattedMessage").asText(), "a newline stays inside the line");
        assertEquals("java.lang.IllegalStateException", second.path("throwable").path("className").asText(), lines.get(1));
        assertEquals("backend said no", second.path("throwable").path("message").asText());
        assertTrue(second.path("throwable").path("stepArray").size() > 0, "frames included");
    }

    @Test
    @DisplayName("plain (the default): the lines weft always wrote, with the stack trace after a failure")
    void plain() {
        assertEquals(List.of(), setUp(null, ""));
        Logger log = context.getLogger("dev.weft.daemon.Weft");
        log.info("weft {} serving", "1.0");
        log.warn("dispatch failed", new IllegalStateException("backend said no"));
        List<String> lines = lines();
        assertTrue(lines.get(0).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}([+-]\\d\\d:\\d\\d|Z) INFO Weft - weft 1.0 serving"),
                lines.get(0));
        assertTrue(lines.get(1).endsWith(" WARN Weft - dispatch failed"), lines.get(1));
        assertEquals("java.lang.IllegalStateException: backend said no", lines.get(2));
        assertFalse(lines.get(0).startsWith("{"));
    }

    @Test
    @DisplayName("WEFT_LOG_LEVEL sets weft's level; Netty stays at warn")
    void level() {
        setUp("plain", "warn");
        context.getLogger("dev.weft.daemon.Weft").info("not shown");
        context.getLogger("dev.weft.daemon.Weft").warn("shown");
        assertEquals(1, lines().size(), lines().toString());
        out.reset();
        setUp("plain", "debug");
        context.getLogger("dev.weft.runs.Dispatcher").debug("shown at debug");
        context.getLogger("io.netty.channel.Foo").info("netty chatter");
        assertEquals(1, lines().size(), lines().toString());
        assertTrue(lines().get(0).endsWith("DEBUG Dispatcher - shown at debug"));
    }

    @Test
    @DisplayName("an unknown format or level is reported and the default used, never a silent log")
    void unknown() {
        List<String> problems = setUp("xml", "loud");
        assertEquals(List.of("WEFT_LOG_FORMAT: expected plain or json, got \"xml\"; writing plain",
                "WEFT_LOG_LEVEL: expected error, warn, info, debug or trace, got \"loud\"; using info"), problems);
        context.getLogger("dev.weft.daemon.Weft").info("still plain");
        assertTrue(lines().get(0).endsWith("INFO Weft - still plain"), lines().toString());
    }

    @Test
    @DisplayName("the weft command's runtime logs through Logback, configured by LogSetup")
    void installed() {
        LoggerContext real = assertInstanceOf(LoggerContext.class, LoggerFactory.getILoggerFactory());
        String expected = "json".equalsIgnoreCase(String.valueOf(System.getenv("WEFT_LOG_FORMAT")).strip()) ? "json" : "plain";
        assertEquals(expected, real.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).iteratorForAppenders().next().getName(),
                "LogSetup configured the process");
    }
}
