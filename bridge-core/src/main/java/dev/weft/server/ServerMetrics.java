package dev.weft.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The meters the server owns: open stream counts, slow-client disconnects and webhook outcomes.
 * Thread-safe. Holds the gauges' numbers strongly (Micrometer only keeps a weak reference).
 */
final class ServerMetrics {
    static final String EVENTS = "events";
    static final String LOGS = "logs";
    static final String PIPELINE_LOGS = "pipeline_logs";

    final AtomicInteger eventsConnections = new AtomicInteger();
    final AtomicInteger logsConnections = new AtomicInteger();
    final AtomicInteger pipelineLogsConnections = new AtomicInteger();
    private final MeterRegistry registry;

    ServerMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("weft.events.connections", eventsConnections, AtomicInteger::get)
                .description("open /events WebSocket streams").register(registry);
        Gauge.builder("weft.logs.connections", logsConnections, AtomicInteger::get)
                .description("open /logs WebSocket streams").register(registry);
        Gauge.builder("weft.pipeline_logs.connections", pipelineLogsConnections, AtomicInteger::get)
                .description("open sh.tangled.ci.subscribePipelineLogs WebSocket streams").register(registry);
        // Register every series up front so a dashboard shows 0 rather than nothing.
        slowDisconnects(EVENTS);
        slowDisconnects(LOGS);
        slowDisconnects(PIPELINE_LOGS);
    }

    AtomicInteger connections(String endpoint) {
        return switch (endpoint) {
            case EVENTS -> eventsConnections;
            case PIPELINE_LOGS -> pipelineLogsConnections;
            default -> logsConnections;
        };
    }

    Counter slowDisconnects(String endpoint) {
        return Counter.builder("weft.ws.slow_disconnects").tag("endpoint", endpoint)
                .description("WebSocket clients disconnected for not reading fast enough").register(registry);
    }

    void webhook(String engine, int status) {
        Counter.builder("weft.webhooks").tag("engine", engine).tag("outcome", outcome(status))
                .description("webhook deliveries by outcome").register(registry).increment();
    }

    /** accepted (2xx), unauthorized (401), rejected (other 4xx), error (5xx), other (1xx/3xx). */
    static String outcome(int status) {
        if (status >= 200 && status < 300) return "accepted";
        if (status == 401) return "unauthorized";
        if (status >= 400 && status < 500) return "rejected";
        if (status >= 500) return "error";
        return "other";
    }
}
