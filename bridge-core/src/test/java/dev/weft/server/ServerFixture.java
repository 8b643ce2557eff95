package dev.weft.server;

import dev.weft.events.EventFeed;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/** A started {@link WeftServer} on an ephemeral loopback port with in-memory feeds. */
final class ServerFixture implements AutoCloseable {
    static final String OWNER = "did:plc:owner123";

    final TestEventFeed events = new TestEventFeed();
    final TestLogFeed logs = new TestLogFeed();
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final AtomicReference<Health> health = new AtomicReference<>(new Health(true, "1.2.3", "ok"));
    final WeftServer server;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    ServerFixture() {
        this(ServerOptions.defaults());
    }

    ServerFixture(ServerOptions options) {
        this(null, options);
    }

    /** With {@code feed} serving /events instead of {@link #events}. */
    ServerFixture(EventFeed feed, ServerOptions options) {
        server = new WeftServer("127.0.0.1", 0, feed != null ? feed : events, logs, OWNER, () -> {
            Health h = health.get();
            if (h == null) throw new IllegalStateException("store on fire");
            return h;
        }, registry, options);
        server.start();
    }

    URI ws(String pathAndQuery) {
        return URI.create("ws://127.0.0.1:" + server.port() + pathAndQuery);
    }

    URI http(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server.port() + pathAndQuery);
    }

    HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(http(pathAndQuery)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    double gauge(String name) {
        Gauge g = registry.find(name).gauge();
        if (g == null) throw new AssertionError("no gauge " + name);
        return g.value();
    }

    double counter(String name, String... tags) {
        Counter c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    @Override
    public void close() {
        server.close();
        registry.close();
    }
}
