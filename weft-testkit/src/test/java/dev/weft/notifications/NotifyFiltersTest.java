package dev.weft.notifications;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.testkit.Internals;
import dev.weft.testkit.ProviderHarness;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** WEFT_NOTIFY_ON, the repo and branch filters, and the bound on queued notifications. */
class NotifyFiltersTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FAILING = """
            engine: script
            script: {steps: [{name: test, command: make, lines: [boom]}], result: failed, exit: 1, error: "exit status 1"}
            """;
    private static final String PASSING = """
            engine: script
            script: {steps: [{name: test, command: make, lines: [ok]}], result: success}
            """;

    @TempDir
    Path dir;
    private MockWebServer receiver;
    private ProviderHarness h;
    private volatile int answer = 200;

    @BeforeEach
    void receiver() throws IOException {
        receiver = new MockWebServer();
        receiver.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest r) {
                return new MockResponse.Builder().code(answer).build();
            }
        });
        receiver.start(InetAddress.getLoopbackAddress(), 0);
    }

    @AfterEach
    void stop() {
        if (h != null) h.close();
        receiver.close();
    }

    private void start(Notifications.Options o, String... env) {
        ProviderHarness.Builder b = Internals.notifyOptions(ProviderHarness.builder(new ScriptEngine()).dataDir(dir), o)
                .env("WEFT_NOTIFY_WEBHOOK_URL", receiver.url("/hook").toString());
        for (int i = 0; i < env.length; i += 2) b.env(env[i], env[i + 1]);
        h = b.start();
    }

    private static Notifications.Options fast(int maxQueued) {
        return new Notifications.Options(Duration.ofMillis(20), Duration.ofMillis(50), Duration.ofSeconds(2), 5, maxQueued,
                Duration.ofMillis(500));
    }

    private JsonNode take() throws Exception {
        RecordedRequest r = receiver.takeRequest(20, TimeUnit.SECONDS);
        assertNotNull(r, "nothing arrived");
        return JSON.readTree(r.getBody().utf8());
    }

    @Test
    @DisplayName("WEFT_NOTIFY_ON=started,success,cancelled sends those, in order, and no failure")
    void events() throws Exception {
        start(fast(10_000), "WEFT_NOTIFY_ON", "started, success ,cancelled");
        h.push("ok.yml", PASSING).awaitTerminal();
        assertEquals("started", take().path("event").asText());
        assertEquals("success", take().path("event").asText());
        h.push("bad.yml", FAILING, "refs/heads/main", "b".repeat(40)).awaitTerminal();
        JsonNode started = take();
        assertEquals("started", started.path("event").asText());
        assertTrue(started.path("step").isNull());
        assertNull(receiver.takeRequest(300, TimeUnit.MILLISECONDS), "failed is not in WEFT_NOTIFY_ON");
    }

    @Test
    @DisplayName("repository and branch filters: only matching runs notify")
    void filters() throws Exception {
        start(fast(10_000), "WEFT_NOTIFY_BRANCHES", "release/*", "WEFT_NOTIFY_REPOS", "did:plc:testowner/repo");
        h.push("ci.yml", FAILING, "refs/heads/main", "a".repeat(40)).awaitTerminal();
        h.push("ci.yml", FAILING, "refs/heads/release/1.2", "b".repeat(40)).awaitTerminal();
        JsonNode n = take();
        assertEquals("release/1.2", n.path("trigger").path("branch").asText());
        assertNull(receiver.takeRequest(300, TimeUnit.MILLISECONDS), "main is filtered out");
    }

    @Test
    @DisplayName("a flood for a receiver that is down keeps at most maxQueued notifications, dropping the oldest, and says so")
    void flood() throws Exception {
        answer = 503;
        // Retries far apart and never exhausted: rows leave the queue only by the bound.
        start(new Notifications.Options(Duration.ofMillis(20), Duration.ofMinutes(1), Duration.ofMinutes(1), 1000, 3,
                Duration.ofMillis(500)));
        List<ProviderHarness.TestRun> runs = new ArrayList<>();
        for (int i = 0; i < 8; i++) runs.add(h.push("wf" + i + ".yml", FAILING, "refs/heads/main", Integer.toHexString(i).repeat(40)));
        for (ProviderHarness.TestRun r : runs) r.awaitTerminal();
        await().atMost(Duration.ofSeconds(10)).until(() -> h.meters()
                .counter("weft.notify.deliveries", "notifier", "webhook", "outcome", "dropped").count() >= 5);
        assertTrue(Internals.weft(h).store().notifications().queued("webhook") <= 3);
        assertTrue(Internals.weft(h).notifications().failingNotifiers().containsKey("webhook"));
        var healthz = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(h.baseUrl() + "/healthz")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, healthz.statusCode(), "a failing notifier does not make weft unhealthy");
        assertTrue(healthz.body().contains("\"failingNotifiers\":{\"webhook\":"), healthz.body());
    }
}
