package dev.weft.notifications;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.model.RunState;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Slack in both modes, with MockWebServer as Slack on loopback. */
class SlackNotificationsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    // Fast polls and backoffs, but a request timeout a loaded machine's loopback Slack answers well
    // within: at 500 ms a slow answer read as an empty one made the bot post its message twice.
    private static final Notifications.Options FAST =
            new Notifications.Options(Duration.ofMillis(20), Duration.ofMillis(50), Duration.ofSeconds(2), 5, 10_000,
                    Duration.ofSeconds(5)); // a cold JVM's first request may take over 500 ms: a timeout would re-post
    private static final String FAILING = """
            engine: script
            script:
              steps:
                - name: test
                  command: make test
                  lines: ["starting", {text: "waiting for db", times: 37}, "dial tcp 10.0.0.5:5432: connection <refused>"]
              result: failed
              exit: 2
              error: "exit status 2"
            """;
    private static final String PASSING = """
            engine: script
            script: {steps: [{name: test, command: make test, lines: [ok]}], result: success}
            """;

    @TempDir
    Path dir;
    private MockWebServer slack;
    private ProviderHarness h;
    private final AtomicInteger posts = new AtomicInteger();

    @BeforeEach
    void slack() throws IOException {
        slack = new MockWebServer();
        slack.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest r) {
                String path = r.getUrl().encodedPath();
                String body = switch (path) {
                    case "/api/chat.postMessage" -> "{\"ok\":true,\"channel\":\"C0CHAN\",\"ts\":\"1700000000.00010" + posts.incrementAndGet() + "\"}";
                    case "/api/chat.update" -> "{\"ok\":true,\"channel\":\"C0CHAN\",\"ts\":\"1700000000.000101\"}";
                    default -> "ok";
                };
                return new MockResponse.Builder().code(200).body(body).build();
            }
        });
        slack.start(InetAddress.getLoopbackAddress(), 0);
    }

    @AfterEach
    void stop() {
        if (h != null) h.close();
        slack.close();
    }

    private RecordedRequest take() throws InterruptedException {
        RecordedRequest r = slack.takeRequest(20, TimeUnit.SECONDS);
        assertNotNull(r, "nothing reached Slack");
        return r;
    }

    private static JsonNode body(RecordedRequest r) throws IOException {
        return JSON.readTree(r.getBody().utf8());
    }

    @Test
    @DisplayName("incoming webhook: one Block Kit message, exactly, with mention, collapsed lines, advice and links")
    void incomingWebhook() throws Exception {
        Path advice = dir.resolve("advice.toml");
        Files.writeString(advice, """
                [[rule]]
                match = ':5432'
                advice = "Staging DB is down & needs a restart."
                link = "https://runbooks.example/staging-db"
                [people]
                "did:plc:testowner" = "U024BE7LH"
                """);
        h = Internals.notifyOptions(ProviderHarness.builder(new ScriptEngine()).dataDir(dir), FAST)
                .env("WEFT_NOTIFY_SLACK_WEBHOOK_URL", slack.url("/services/T0/B0/x").toString())
                .env("WEFT_ADVICE_FILE", advice.toString()).env("WEFT_APPVIEW_URL", "https://appview.test").start();
        ProviderHarness.TestRun run = h.push("ci.yml", FAILING);
        assertEquals(RunState.FAILED, run.awaitTerminal().state());
        RecordedRequest r = take();
        assertEquals("/services/T0/B0/x", r.getUrl().encodedPath());
        String tid = run.workflowId().pipeline().rkey();
        assertEquals(JSON.readTree("""
                {"text":":x: did:plc:testowner/repo ci.yml Failed (step test, exit 2)",
                 "blocks":[
                  {"type":"section","text":{"type":"mrkdwn","text":":x: *Failed* · `did:plc:testowner/repo` · *ci.yml*"}},
                  {"type":"context","elements":[{"type":"mrkdwn","text":"push to `main` at `0123456` by <@U024BE7LH>"}]},
                  {"type":"section","text":{"type":"mrkdwn","text":"*Step* `test` — `make test` · *Exit code* 2\\n> exit status 2"}},
                  {"type":"section","text":{"type":"mrkdwn","text":"```\\nstarting\\nwaiting for db  × 37\\ndial tcp 10.0.0.5:5432: connection &lt;refused&gt;\\n```"}},
                  {"type":"section","text":{"type":"mrkdwn","text":":bulb: Staging DB is down &amp; needs a restart. <https://runbooks.example/staging-db|Runbook>"}},
                  {"type":"context","elements":[{"type":"mrkdwn","text":"<https://appview.test/did:plc:testowner/repo/pipelines/TID/workflow/ci.yml|View on Tangled> · <https://ci.example/builds/RUN|CI run>"}]}
                 ]}
                """.replace("TID", tid).replace("RUN", Long.toString(run.runId()))), body(r));
    }

    @Test
    @DisplayName("bot: the message shows the pipeline, and is updated (same ts) as its other workflows finish")
    void botPipeline() throws Exception {
        h = Internals.notifyOptions(ProviderHarness.builder(new ScriptEngine()).dataDir(dir), FAST)
                .env("WEFT_NOTIFY_SLACK_TOKEN", "xoxb-test-token").env("WEFT_NOTIFY_SLACK_CHANNEL", "#ci")
                .env("WEFT_NOTIFY_SLACK_API", slack.url("/api").toString()).start();
        java.util.Map<String, String> wfs = new java.util.LinkedHashMap<>();
        wfs.put("a.yml", FAILING);
        wfs.put("b.yml", """
                engine: script
                script: {gate: botPipeline, steps: [{name: e2e, command: make e2e, lines: [ok]}], result: success}
                """);
        var runs = h.submitAll(new dev.weft.model.TriggerKind.Push("refs/heads/main", "d".repeat(40), ""), wfs);
        runs.get(0).awaitTerminal();
        RecordedRequest post = take();
        assertEquals("/api/chat.postMessage", post.getUrl().encodedPath());
        assertEquals(":x: a.yml · :hourglass_flowing_sand: b.yml",
                body(post).path("blocks").get(2).path("elements").get(0).path("text").asText());
        ScriptEngine.gate("botPipeline").countDown();
        runs.get(1).awaitTerminal();
        RecordedRequest update = take();
        assertEquals("/api/chat.update", update.getUrl().encodedPath());
        assertEquals("1700000000.000101", body(update).path("ts").asText());
        assertEquals(":x: a.yml · :white_check_mark: b.yml",
                body(update).path("blocks").get(2).path("elements").get(0).path("text").asText());
        assertEquals(":x: did:plc:testowner/repo a.yml Failed (step test, exit 2)", body(update).path("text").asText());
        assertNull(slack.takeRequest(300, TimeUnit.MILLISECONDS));
    }

    @Test
    @DisplayName("bot: a second workflow failing in the same pipeline updates the pipeline's message; both fixes go to it too")
    void botSecondFailureSameMessage() throws Exception {
        h = Internals.notifyOptions(ProviderHarness.builder(new ScriptEngine()).dataDir(dir), FAST)
                .env("WEFT_NOTIFY_SLACK_TOKEN", "xoxb-test-token").env("WEFT_NOTIFY_SLACK_CHANNEL", "#ci")
                .env("WEFT_NOTIFY_SLACK_API", slack.url("/api").toString()).start();
        java.util.Map<String, String> wfs = new java.util.LinkedHashMap<>();
        wfs.put("a.yml", FAILING);
        wfs.put("b.yml", """
                engine: script
                script: {gate: botSecond, steps: [{name: e2e, command: make e2e, lines: [boom]}], result: failed, exit: 1, error: "exit status 1"}
                """);
        var runs = h.submitAll(new dev.weft.model.TriggerKind.Push("refs/heads/main", "d".repeat(40), ""), wfs);
        runs.get(0).awaitTerminal();
        RecordedRequest post = take();
        assertEquals("/api/chat.postMessage", post.getUrl().encodedPath());
        ScriptEngine.gate("botSecond").countDown();
        runs.get(1).awaitTerminal();
        RecordedRequest update = take();
        assertEquals("/api/chat.update", update.getUrl().encodedPath(), "not a second message for the same pipeline");
        assertEquals("1700000000.000101", body(update).path("ts").asText());
        assertEquals(":x: a.yml · :x: b.yml", body(update).path("blocks").get(2).path("elements").get(0).path("text").asText());
        assertEquals(":x: did:plc:testowner/repo b.yml Failed (step e2e, exit 1)", body(update).path("text").asText());
        assertNull(slack.takeRequest(300, TimeUnit.MILLISECONDS), "one update, not one per incident");

        java.util.Map<String, String> fixed = new java.util.LinkedHashMap<>();
        fixed.put("a.yml", PASSING);
        fixed.put("b.yml", PASSING);
        for (var r : h.submitAll(new dev.weft.model.TriggerKind.Push("refs/heads/main", "e".repeat(40), ""), fixed)) {
            r.awaitTerminal();
        }
        List<RecordedRequest> after = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) after.add(take());
        assertNull(slack.takeRequest(300, TimeUnit.MILLISECONDS));
        for (RecordedRequest r : after) {
            JsonNode b = body(r);
            if (r.getUrl().encodedPath().equals("/api/chat.update")) assertEquals("1700000000.000101", b.path("ts").asText());
            else assertEquals("1700000000.000101", b.path("thread_ts").asText(), "a fix is a reply in the pipeline's thread");
        }
        assertEquals(2, after.stream().filter(r -> r.getUrl().encodedPath().equals("/api/chat.update")).count());
    }

    @Test
    @DisplayName("bot: chat.postMessage on the first failure, chat.update of that ts after, and a thread reply on the fix")
    void bot() throws Exception {
        h = Internals.notifyOptions(ProviderHarness.builder(new ScriptEngine()).dataDir(dir), FAST)
                .env("WEFT_NOTIFY_SLACK_TOKEN", "xoxb-test-token").env("WEFT_NOTIFY_SLACK_CHANNEL", "#ci")
                .env("WEFT_NOTIFY_SLACK_API", slack.url("/api").toString()).start();
        h.push("ci.yml", FAILING, "refs/heads/main", "a".repeat(40)).awaitTerminal();
        RecordedRequest post = take();
        assertEquals("/api/chat.postMessage", post.getUrl().encodedPath());
        assertEquals("Bearer xoxb-test-token", post.getHeaders().get("Authorization"));
        assertEquals("#ci", body(post).path("channel").asText());
        assertNull(body(post).get("thread_ts"));

        // The same failure again: in bot mode the incident's message is updated, not reposted.
        h.push("ci.yml", FAILING, "refs/heads/main", "b".repeat(40)).awaitTerminal();
        RecordedRequest update = take();
        assertEquals("/api/chat.update", update.getUrl().encodedPath());
        assertEquals("C0CHAN", body(update).path("channel").asText());
        assertEquals("1700000000.000101", body(update).path("ts").asText());
        assertEquals("push to `main` at `bbbbbbb` by did:plc:testowner",
                body(update).path("blocks").get(1).path("elements").get(0).path("text").asText());

        h.push("ci.yml", PASSING, "refs/heads/main", "c".repeat(40)).awaitTerminal();
        RecordedRequest fixed = take();
        assertEquals("/api/chat.update", fixed.getUrl().encodedPath());
        assertEquals("1700000000.000101", body(fixed).path("ts").asText());
        assertEquals(":white_check_mark: did:plc:testowner/repo ci.yml Fixed", body(fixed).path("text").asText());
        RecordedRequest reply = take();
        assertEquals("/api/chat.postMessage", reply.getUrl().encodedPath());
        assertEquals("1700000000.000101", body(reply).path("thread_ts").asText());
        assertEquals("C0CHAN", body(reply).path("channel").asText());
        assertEquals(":white_check_mark: Fixed by push to `main` at `ccccccc` by did:plc:testowner",
                body(reply).path("text").asText());
        assertNull(slack.takeRequest(300, TimeUnit.MILLISECONDS));
    }
}
