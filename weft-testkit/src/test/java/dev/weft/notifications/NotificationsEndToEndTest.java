package dev.weft.notifications;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.model.RunState;
import dev.weft.model.TriggerKind;
import dev.weft.notifications.webhook.WebhookNotifier;
import dev.weft.testkit.Internals;
import dev.weft.testkit.ProviderHarness;
import dev.weft.testing.WebSocketRecorder;
import dev.weft.wire.CiLogFrames;
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
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Notifications through a real weft runtime to a webhook receiver on loopback (MockWebServer). */
class NotificationsEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "s3cret-signing-key";
    private static final Notifications.Options FAST =
            new Notifications.Options(Duration.ofMillis(20), Duration.ofMillis(50), Duration.ofSeconds(2), 5, 10_000,
                    Duration.ofMillis(500));

    @TempDir
    Path dir;
    private MockWebServer receiver;
    private ProviderHarness h;
    private final java.util.concurrent.ConcurrentLinkedQueue<MockResponse> answers = new java.util.concurrent.ConcurrentLinkedQueue<>();

    @BeforeEach
    void receiver() throws IOException {
        receiver = new MockWebServer();
        // Answers what a test queued in `answers`, then 200: a receiver that accepts by default.
        receiver.setDispatcher(new mockwebserver3.Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest r) {
                MockResponse next = answers.poll();
                return next != null ? next : new MockResponse.Builder().code(200).build();
            }
        });
        receiver.start(InetAddress.getLoopbackAddress(), 0);
    }

    @AfterEach
    void stop() {
        if (h != null) h.close();
        receiver.close();
    }

    private ProviderHarness start(String... env) throws IOException {
        ProviderHarness.Builder b = Internals.notifyOptions(ProviderHarness.builder(new ScriptEngine()).dataDir(dir), FAST)
                .env("WEFT_NOTIFY_WEBHOOK_URL", receiver.url("/hook").toString())
                .env("WEFT_NOTIFY_WEBHOOK_SECRET", SECRET)
                .env("WEFT_APPVIEW_URL", "https://appview.test/");
        for (int i = 0; i < env.length; i += 2) b.env(env[i], env[i + 1]);
        h = b.start();
        return h;
    }

    private static final String FAILING = """
            engine: script
            script:
              steps:
                - {name: deps, command: npm ci, lines: [installed]}
                - name: test
                  command: make test
                  lines: ["starting", {text: "waiting for db", times: 37}, "dial tcp 10.0.0.5:5432: connection refused"]
              result: failed
              exit: 2
              error: "exit status 2"
            """;

    private static final String PASSING = """
            engine: script
            script: {steps: [{name: test, command: make test, lines: [ok]}], result: success}
            """;

    private RecordedRequest take() throws InterruptedException {
        RecordedRequest r = receiver.takeRequest(20, TimeUnit.SECONDS);
        assertNotNull(r, "no request reached the receiver");
        return r;
    }

    private static String body(RecordedRequest r) {
        return r.getBody().utf8();
    }

    /** The document with the fields that depend on the run (ids, times, TIDs) replaced by what they must be. */
    private static String expected(ProviderHarness.TestRun run, String template) {
        var rec = Internals.record(run);
        return template.replace("$ID", NotificationBuilder.idOf(rec, rec.state()))
                .replace("$TID", rec.workflow().pipeline().rkey())
                .replace("$RUN", Long.toString(rec.id()))
                .replace("$AT", dev.weft.model.Nanos.instant(rec.updatedAt()).toString());
    }

    private static JsonNode tree(String s) throws IOException {
        return JSON.readTree(s);
    }

    @Test
    @DisplayName("a failed push posts one signed document: trigger, step, exit code, collapsed last lines, advice, links")
    void pushFailure() throws Exception {
        Path advice = dir.resolve("advice.toml");
        Files.writeString(advice, """
                [[rule]]
                match = 'connection refused.*:5432|:5432: connection refused'
                advice = "The staging database is down. Restart it from the ops console before re-running."
                link = "https://runbooks.example/staging-db"
                [people]
                "did:plc:testowner" = "U024BE7LH"
                """);
        start("WEFT_ADVICE_FILE", advice.toString());
        ProviderHarness.TestRun run = h.push("ci.yml", FAILING);
        assertEquals(RunState.FAILED, run.awaitTerminal().state());
        RecordedRequest r = take();
        String body = body(r);
        assertEquals("POST", r.getMethod());
        assertEquals("application/json", r.getHeaders().get("Content-Type"));
        // What a receiver does: recompute the HMAC over the raw body with the shared secret.
        assertEquals(WebhookNotifier.signature(SECRET.getBytes(StandardCharsets.UTF_8), body),
                r.getHeaders().get(WebhookNotifier.SIGNATURE_HEADER));
        assertEquals("failed", r.getHeaders().get("X-Weft-Event"));
        assertEquals(tree(expected(run, """
                {"id":"$ID","event":"failed","pipeline":"at://did:web:knot.test/sh.tangled.pipeline/$TID","workflow":"ci.yml",
                 "engine":"script","repo":{"knot":"knot.test","owner":"did:plc:testowner","name":"repo","did":""},
                 "trigger":{"kind":"push","ref":"refs/heads/main","branch":"main","target":"",
                   "sha":"0123456789abcdef0123456789abcdef01234567","shortSha":"0123456","actor":"did:plc:testowner",
                   "mention":"U024BE7LH","inputs":{},"pull":""},
                 "step":{"name":"test","command":"make test"},"exitCode":2,"error":"exit status 2",
                 "lines":[{"text":"starting","repeat":1},{"text":"waiting for db","repeat":37},
                   {"text":"dial tcp 10.0.0.5:5432: connection refused","repeat":1}],
                 "advice":{"text":"The staging database is down. Restart it from the ops console before re-running.",
                   "link":"https://runbooks.example/staging-db"},
                 "links":{"appview":"https://appview.test/did:plc:testowner/repo/pipelines/$TID/workflow/ci.yml",
                   "run":"https://ci.example/builds/$RUN"},
                 "incident":{"id":1,"opened":true,"closed":false},"at":"$AT",
                 "workflows":[{"workflow":"ci.yml","status":"failed"}]}
                """)), tree(body));
        assertEquals(r.getHeaders().get("X-Weft-Delivery"), tree(body).path("id").asText());

        // The same advice is the log's last system step, on /logs as served.
        List<String> frames = run.logFrames();
        int adviceStart = -1;
        for (int i = 0; i < frames.size(); i++) {
            JsonNode f = tree(frames.get(i));
            if ("control".equals(f.path("kind").asText()) && "advice".equals(f.path("content").asText())
                    && "start".equals(f.path("step_status").asText())) adviceStart = i;
        }
        assertTrue(adviceStart > 0, "no advice step in " + frames);
        assertTrue(frames.get(adviceStart + 1).contains("The staging database is down"), frames.get(adviceStart + 1));
        assertTrue(frames.get(adviceStart + 2).contains("See https://runbooks.example/staging-db"), frames.get(adviceStart + 2));
        assertTrue(tree(frames.get(adviceStart)).path("step_kind").isMissingNode(), "advice is a system step");
    }

    @Test
    @DisplayName("the advice step reaches viewers on /logs and on the CBOR log subscription")
    void adviceOnBothStreams() throws Exception {
        Path advice = dir.resolve("advice.toml");
        Files.writeString(advice, """
                [[rule]]
                match = 'connection refused'
                advice = "Database down: see the runbook."
                """);
        start("WEFT_ADVICE_FILE", advice.toString());
        ProviderHarness.TestRun run = h.push("ci.yml", FAILING);
        run.awaitTerminal();
        var id = run.workflowId();
        String base = h.baseUrl().replace("http://", "ws://");
        try (WebSocketRecorder logs = WebSocketRecorder.connect(URI.create(base + "/logs/" + id.pipeline().knot() + "/"
                + id.pipeline().rkey() + "/" + id.name()));
             WebSocketRecorder cbor = WebSocketRecorder.connect(URI.create(base
                     + "/xrpc/sh.tangled.ci.subscribePipelineLogs?pipeline=" + id.pipeline().rkey()))) {
            int n = run.logFrames().size();
            List<String> text = logs.awaitFrames(n, Duration.ofSeconds(10));
            assertTrue(text.stream().anyMatch(f -> f.contains("Database down: see the runbook.")), text.toString());
            List<byte[]> binary = cbor.awaitBinaryFrames(n, Duration.ofSeconds(10));
            assertTrue(binary.stream().anyMatch(b -> new String(b, StandardCharsets.ISO_8859_1).contains("Database down: see the runbook.")),
                    "advice missing from the CBOR stream");
            assertTrue(binary.stream().anyMatch(b -> new String(b, StandardCharsets.ISO_8859_1).contains("advice")));
        }
    }

    @Test
    @DisplayName("a pull request failure names its branches and its author; a timeout says timeout")
    void pullRequestAndTimeout() throws Exception {
        start();
        ProviderHarness.TestRun pr = h.submit(new TriggerKind.PullRequest("feature", "main", ProviderHarness.SHA, "create",
                "at://did:plc:author1/sh.tangled.repo.pull/3kabc"), "ci.yml", FAILING);
        pr.awaitTerminal();
        JsonNode a = tree(body(take()));
        assertEquals(tree("""
                {"kind":"pull_request","ref":"feature","branch":"feature","target":"main",
                 "sha":"0123456789abcdef0123456789abcdef01234567","shortSha":"0123456","actor":"did:plc:author1",
                 "mention":"","inputs":{},"pull":"at://did:plc:author1/sh.tangled.repo.pull/3kabc"}"""), a.path("trigger"));
        assertNull(a.get("advice").textValue());
        assertTrue(a.get("advice").isNull());

        ProviderHarness.TestRun slow = h.push("slow.yml", """
                engine: script
                script: {steps: [{name: build, command: make, lines: [compiling]}], result: timeout, error: "workflow timed out after 1h"}
                """);
        slow.awaitTerminal();
        JsonNode t = tree(body(take()));
        assertEquals(tree(expected(slow, """
                {"id":"$ID","event":"timeout","workflow":"slow.yml","step":{"name":"build","command":"make"},"exitCode":null,
                 "error":"workflow timed out after 1h","lines":[{"text":"compiling","repeat":1}]}""")),
                pick(t, "id", "event", "workflow", "step", "exitCode", "error", "lines"));
    }

    /** Only the named fields of a document, to compare the part a test is about. */
    private static JsonNode pick(JsonNode doc, String... fields) {
        var out = JSON.createObjectNode();
        for (String f : fields) out.set(f, doc.get(f));
        return out;
    }

    @Test
    @DisplayName("one incident: a repeated identical failure posts nothing, a different step posts, the pass posts fixed")
    void incident() throws Exception {
        start();
        h.push("ci.yml", FAILING, "refs/heads/main", "a".repeat(40)).awaitTerminal();
        JsonNode first = tree(body(take()));
        assertEquals("failed", first.path("event").asText());
        long incident = first.path("incident").path("id").asLong();

        h.push("ci.yml", FAILING, "refs/heads/main", "b".repeat(40)).awaitTerminal();
        // A different failing step within the same incident is news.
        h.push("ci.yml", FAILING.replace("name: test", "name: lint"), "refs/heads/main", "c".repeat(40)).awaitTerminal();
        JsonNode changed = tree(body(take()));
        assertEquals("lint", changed.path("step").path("name").asText());
        assertEquals("cccccccccccccccccccccccccccccccccccccccc", changed.path("trigger").path("sha").asText());
        assertEquals(incident, changed.path("incident").path("id").asLong());
        assertEquals(false, changed.path("incident").path("opened").asBoolean());

        ProviderHarness.TestRun fix = h.push("ci.yml", PASSING, "refs/heads/main", "d".repeat(40));
        fix.awaitTerminal();
        JsonNode fixed = tree(body(take()));
        assertEquals(tree(expected(fix, """
                {"id":"$ID","event":"fixed","step":null,"exitCode":null,"error":"","lines":[],"advice":null,
                 "incident":{"id":%d,"opened":false,"closed":true}}""".formatted(incident))),
                pick(fixed, "id", "event", "step", "exitCode", "error", "lines", "advice", "incident"));
        assertEquals(3, receiver.getRequestCount(), "the repeated failure must not have been posted");

        // A later pass without an incident is a plain success: not in the default WEFT_NOTIFY_ON.
        h.push("ci.yml", PASSING, "refs/heads/main", "e".repeat(40)).awaitTerminal();
        h.push("ci.yml", FAILING, "refs/heads/main", "f".repeat(40)).awaitTerminal();
        JsonNode again = tree(body(take()));
        assertEquals("failed", again.path("event").asText());
        assertTrue(again.path("incident").path("opened").asBoolean());
        assertTrue(again.path("incident").path("id").asLong() > incident);
    }

    @Test
    @DisplayName("500 and 429 are retried (Retry-After honoured) with the same id; a restart redelivers it, same id")
    void retriesAndRestart() throws Exception {
        answers.add(new MockResponse.Builder().code(500).body("boom").build());
        answers.add(new MockResponse.Builder().code(429).addHeader("Retry-After", "0").build());
        answers.add(new MockResponse.Builder().code(503).addHeader("Retry-After", "3600").build());
        start();
        ProviderHarness.TestRun run = h.push("ci.yml", FAILING);
        run.awaitTerminal();
        String id = tree(body(take())).path("id").asText();
        assertEquals(id, tree(body(take())).path("id").asText());
        assertEquals(id, tree(body(take())).path("id").asText());
        // The 503 asked for an hour (capped at maxBackoff, 2 s here): stop before it is due.
        h = h.restart();
        RecordedRequest again = take();
        assertEquals(id, tree(body(again)).path("id").asText(), "a redelivery keeps its id");
        assertEquals(id, again.getHeaders().get("X-Weft-Delivery"));
        assertEquals(WebhookNotifier.signature(SECRET.getBytes(StandardCharsets.UTF_8), body(again)),
                again.getHeaders().get(WebhookNotifier.SIGNATURE_HEADER));
        assertEquals(RunState.FAILED, h.run(run.workflowId()).state());
        // Delivered now: nothing more arrives, and the notifier reads healthy again.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> Internals.weft(h).notifications().failingNotifiers().isEmpty());
        assertNull(receiver.takeRequest(300, TimeUnit.MILLISECONDS));
    }

    @Test
    @DisplayName("an endpoint that hangs or answers garbage does not delay runs; a 404 is given up, not retried")
    void badEndpoints() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        receiver.setDispatcher(new mockwebserver3.Dispatcher() {
            final java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();

            @Override
            public MockResponse dispatch(RecordedRequest r) throws InterruptedException {
                int i = n.incrementAndGet();
                if (i == 1) release.await(20, TimeUnit.SECONDS); // hangs past weft's request timeout
                if (i == 2) return new MockResponse.Builder().code(200).body("\u0000garbage{{{").build();
                if (i == 3) return new MockResponse.Builder().code(404).body("no such hook").build();
                return new MockResponse.Builder().code(200).build();
            }
        });
        start("WEFT_NOTIFY_ON", "failed,success");
        ProviderHarness.TestRun failing = h.push("ci.yml", FAILING);
        failing.awaitTerminal();
        // While the receiver hangs, runs go on and end normally.
        for (int i = 0; i < 3; i++) {
            assertEquals(RunState.SUCCESS, h.push("ok" + i + ".yml", PASSING).awaitTerminal().state());
        }
        // The timeout counted as a failed attempt (a counter: the streak may already be over).
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> h.meters()
                .counter("weft.notify.deliveries", "notifier", "webhook", "outcome", "retry").count() >= 1);
        release.countDown();
        // Attempt 2 (the failure again, answered with garbage, which is still a 2xx) and the
        // successes follow; the 404 is given up and never retried.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> receiver.getRequestCount() >= 5);
        double rejected = h.meters().counter("weft.notify.deliveries", "notifier", "webhook", "outcome", "rejected").count();
        assertEquals(1.0, rejected);
    }

    @Test
    @DisplayName("a bad advice file or notify setting stops start-up, naming the problem")
    void badConfigStopsStart() throws Exception {
        Path advice = dir.resolve("advice.toml");
        Files.writeString(advice, "[[rule]]\nmatch = '(oops'\nadvice = \"x\"\n");
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> start("WEFT_ADVICE_FILE", advice.toString(), "WEFT_NOTIFY_ON", "failed,exploded"));
        assertTrue(e.getMessage().contains("WEFT_NOTIFY_ON: unknown event 'exploded'"), e.getMessage());
        h = null;
        var e2 = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> start("WEFT_ADVICE_FILE", advice.toString()));
        assertTrue(e2.getMessage().contains("rule 1: 'match' is not a valid regular expression"), e2.getMessage());
        h = null;
        var e3 = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> start("WEFT_NOTIFY_WEBHOOK_URL", "not a url"));
        assertTrue(e3.getMessage().contains("WEFT_NOTIFY_WEBHOOK_URL"), e3.getMessage());
        h = null;
    }
}
