package dev.weft.provider.buildkite.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.provider.buildkite.BuildkiteProviderFactory;
import dev.weft.provider.buildkite.fake.FakeBuildkite;
import dev.weft.provider.buildkite.fake.Scripts;
import dev.weft.provider.buildkite.internal.WebhookVerifier;
import dev.weft.testkit.ProviderCompatibilityKit;
import dev.weft.testkit.ProviderHarness;
import dev.weft.testkit.ProviderHarness.TestRun;
import mockwebserver3.RecordedRequest;
import okhttp3.Headers;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Buildkite provider inside a real weft runtime, against the fake Buildkite. */
class BuildkiteProviderTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String WORKFLOW = "engine: buildkite\nbuildkite: {pipeline: app}\n";
    static final String ESC = "\u001b";
    static final Duration PATIENCE = Duration.ofSeconds(20);

    FakeBuildkite bk;
    ProviderHarness h;
    final OkHttpClient http = new OkHttpClient();

    @BeforeEach
    void setUp() throws Exception {
        bk = new FakeBuildkite();
    }

    @AfterEach
    void tearDown() {
        if (h != null) h.close();
        bk.close();
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }

    ProviderHarness start(Consumer<Map<String, String>> tweak) {
        return start(tweak, Duration.ofMinutes(10));
    }

    ProviderHarness start(Consumer<Map<String, String>> tweak, Duration timeout) {
        Map<String, String> env = new LinkedHashMap<>(Harnesses.env(bk));
        tweak.accept(env);
        h = ProviderHarness.builder(new BuildkiteProviderFactory()).env(env).workflowTimeout(timeout)
                .cancelGrace(Duration.ofSeconds(60)).start();
        return h;
    }

    FakeBuildkite.FakeBuild awaitBuild(long number) {
        await().atMost(PATIENCE).until(() -> bk.builds().stream().anyMatch(b -> b.number == number));
        return bk.build(number);
    }

    static JsonNode createBody(FakeBuildkite bk, int i) throws Exception {
        return JSON.readTree(bk.requests("POST", ".*/builds").get(i).getBody().utf8());
    }

    static String ts(Instant t) {
        return ESC + "_bk;t=" + t.toEpochMilli() + "\u0007";
    }

    int postWebhook(String path, Map<String, String> headers, String body) throws Exception {
        Request.Builder rb = new Request.Builder().url(h.baseUrl() + path)
                .post(RequestBody.create(body, MediaType.get("application/json")));
        headers.forEach(rb::header);
        try (Response r = http.newCall(rb.build()).execute()) {
            return r.code();
        }
    }

    String webhookBody(FakeBuildkite.FakeBuild b, String event) {
        return webhookBody(b, event, b.state());
    }

    /** A delivery about {@code b} claiming {@code state} (a hint: weft reads the state from the API). */
    String webhookBody(FakeBuildkite.FakeBuild b, String event, String state) {
        var n = JSON.createObjectNode().put("event", event);
        var build = n.putObject("build");
        build.put("id", b.uuid).put("number", b.number).put("state", state)
                .put("url", bk.apiBase() + "/organizations/" + b.org + "/pipelines/" + b.pipeline + "/builds/" + b.number)
                .put("web_url", b.webUrl());
        n.putObject("pipeline").put("slug", b.pipeline);
        n.putObject("sender").put("name", "Keith");
        return n.toString();
    }

    /** GET reads of build {@code number} that arrived after {@code after}, in order. */
    List<RecordedRequest> buildReadsAfter(RecordedRequest after, long number) {
        List<RecordedRequest> all = bk.requests();
        return all.subList(all.indexOf(after) + 1, all.size()).stream()
                .filter(q -> q.getMethod().equals("GET") && q.getUrl().encodedPath().endsWith("/builds/" + number))
                .toList();
    }

    double rejectedWebhooks(String reason) {
        var c = h.meters().find("weft.buildkite.webhooks.rejected").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    static Map<String, String> signed(String body, long timestamp) {
        String ts = Long.toString(timestamp);
        return Map.of("X-Buildkite-Event", "build.finished", "X-Buildkite-Signature",
                "timestamp=" + ts + ",signature=" + WebhookVerifier.signatureHex(Harnesses.SECRET, ts,
                        body.getBytes(StandardCharsets.UTF_8)));
    }

    // ------------------------------------------------------------------ dispatch

    @Test
    @DisplayName("push: the build body, the stored identity, and the exact /logs frames of a scripted build")
    void pushAndExactFrames() throws Exception {
        start(e -> { });
        TestRun r = h.push("ci.yml", WORKFLOW, "refs/heads/feature/x", ProviderHarness.SHA);
        FakeBuildkite.FakeBuild b = awaitBuild(1);

        JsonNode body = createBody(bk, 0);
        assertEquals(ProviderHarness.SHA, body.path("commit").asText());
        assertEquals("feature/x", body.path("branch").asText());
        assertEquals(Long.toString(r.runId()), body.path("meta_data").path("weft_run_id").asText());
        assertEquals("true", body.path("env").path("CI").asText());
        assertEquals("refs/heads/feature/x", body.path("env").path("TANGLED_REF").asText());
        assertTrue(body.path("message").asText().contains(ProviderHarness.DID + "/" + ProviderHarness.REPO),
                body.toString());
        await().atMost(PATIENCE).until(() -> r.run().externalId().isPresent());
        assertEquals("acme/app/1", r.run().externalId().orElseThrow());
        assertEquals(b.webUrl(), r.run().webUrl().orElseThrow());
        assertEquals(b.uuid, r.run().attribute("uuid").orElseThrow());

        Instant t0 = Scripts.T0;
        FakeBuildkite.FakeJob job = b.addJob("Tests", "make test");
        b.state("running");
        job.start(t0);
        byte[] log = (ts(t0.plusMillis(100)) + "--- build\n"
                + ts(t0.plusMillis(200)) + "compiling " + ESC + "[32mok" + ESC + "[0m\n"
                + ts(t0.plusMillis(300)) + "+++ test <\"&\">\n"
                + ts(t0.plusMillis(400)) + "pass \u2713 caf\u00e9\r\n"
                + ts(t0.plusMillis(500)) + "done\n").getBytes(StandardCharsets.UTF_8);
        String text = new String(log, StandardCharsets.ISO_8859_1);
        int inUtf8 = text.indexOf("caf") + 4;       // between the two bytes of é
        int inMarker = text.lastIndexOf(ESC) + 4;   // inside the last "ESC _ bk;t="
        // Serve the log in three growing pieces, each fetched before the next is written.
        for (int[] piece : new int[][]{{0, inUtf8}, {inUtf8, inMarker}, {inMarker, log.length}}) {
            int before = job.fetches.size();
            job.append(Arrays.copyOfRange(log, piece[0], piece[1]));
            await().atMost(PATIENCE).until(() -> job.fetches.size() > before);
        }
        job.finish("passed", 0, t0.plusSeconds(1));
        b.state("passed");
        assertEquals(RunState.SUCCESS, r.awaitTerminal(PATIENCE).state());
        assertEquals(List.of(RunState.PENDING, RunState.RUNNING, RunState.SUCCESS), r.states());

        List<String> expected = List.of(
                "{\"kind\":\"control\",\"content\":\"Buildkite build #1\",\"time\":\"2026-01-01T00:00:01Z\",\"step_id\":0,\"step_status\":\"start\"}",
                "{\"kind\":\"data\",\"content\":\"https://buildkite.com/acme/app/builds/1\",\"time\":\"2026-01-01T00:00:01Z\",\"step_id\":0,\"stream\":\"stdout\"}",
                "{\"kind\":\"control\",\"content\":\"Buildkite build #1\",\"time\":\"2026-01-01T00:00:01Z\",\"step_id\":0,\"step_status\":\"end\"}",
                "{\"kind\":\"control\",\"content\":\"Tests \u203a build\",\"time\":\"2026-01-01T00:01:00.1Z\",\"step_id\":1,\"step_status\":\"start\",\"step_kind\":1,\"step_command\":\"make test\"}",
                "{\"kind\":\"data\",\"content\":\"compiling \\u001b[32mok\\u001b[0m\",\"time\":\"2026-01-01T00:01:00.2Z\",\"step_id\":1,\"stream\":\"stdout\"}",
                "{\"kind\":\"control\",\"content\":\"Tests \u203a build\",\"time\":\"2026-01-01T00:01:00.3Z\",\"step_id\":1,\"step_status\":\"end\",\"step_kind\":1,\"step_command\":\"make test\"}",
                "{\"kind\":\"control\",\"content\":\"Tests \u203a test \\u003c\\\"\\u0026\\\"\\u003e\",\"time\":\"2026-01-01T00:01:00.3Z\",\"step_id\":2,\"step_status\":\"start\",\"step_kind\":1,\"step_command\":\"make test\"}",
                "{\"kind\":\"data\",\"content\":\"pass \u2713 caf\u00e9\",\"time\":\"2026-01-01T00:01:00.4Z\",\"step_id\":2,\"stream\":\"stdout\"}",
                "{\"kind\":\"data\",\"content\":\"done\",\"time\":\"2026-01-01T00:01:00.5Z\",\"step_id\":2,\"stream\":\"stdout\"}",
                "{\"kind\":\"control\",\"content\":\"Tests \u203a test \\u003c\\\"\\u0026\\\"\\u003e\",\"time\":\"2026-01-01T00:01:01Z\",\"step_id\":2,\"step_status\":\"end\",\"step_kind\":1,\"step_command\":\"make test\"}");
        assertEquals(expected, r.logFrames());
        // Only suffix ranges were asked for, and together they cover the log exactly once.
        assertEquals(log.length, job.fetches.stream().mapToInt(String::length).sum());
        for (RecordedRequest q : bk.requests("GET", ".*/log(\\.txt)?")) {
            assertTrue(q.getHeaders().get("Range").matches("bytes=-\\d+"), q.getHeaders().toString());
        }
    }

    @Test
    @DisplayName("pull request: commit and branch from the source, pull_request_base_branch the target")
    void pullRequest() throws Exception {
        bk.script("app", b -> Scripts.runs(b, 0));
        start(e -> { });
        TestRun r = h.pullRequest("ci.yml", WORKFLOW);
        assertEquals(RunState.SUCCESS, r.awaitTerminal(PATIENCE).state());
        JsonNode body = createBody(bk, 0);
        assertEquals(ProviderHarness.SHA, body.path("commit").asText());
        assertEquals("feature", body.path("branch").asText());
        assertEquals("main", body.path("pull_request_base_branch").asText());
        assertEquals("feature", body.path("env").path("TANGLED_PR_SOURCE_BRANCH").asText());
    }

    @Test
    @DisplayName("manual: HEAD of the pipeline's default branch, inputs as env and meta_data, block env and meta_data")
    void manual() throws Exception {
        bk.script("app", b -> Scripts.runs(b, 0));
        bk.defaultBranch("trunk");
        start(e -> { });
        TestRun r = h.manual("ci.yml", "engine: buildkite\nbuildkite:\n  pipeline: app\n  env: {STAGE: prod}\n"
                + "  meta_data: {team: core}\n", Map.of("VERSION", "1.2.3"));
        assertEquals(RunState.SUCCESS, r.awaitTerminal(PATIENCE).state());
        JsonNode body = createBody(bk, 0);
        assertEquals("HEAD", body.path("commit").asText());
        assertEquals("trunk", body.path("branch").asText());
        assertEquals("1.2.3", body.path("env").path("VERSION").asText());
        assertEquals("1.2.3", body.path("meta_data").path("VERSION").asText());
        assertEquals("prod", body.path("env").path("STAGE").asText());
        assertEquals("core", body.path("meta_data").path("team").asText());
        assertEquals("1.2.3", body.path("env").path("TANGLED_INPUT_VERSION").asText());
    }

    @Test
    @DisplayName("a create that timed out is looked up by meta_data, not sent again")
    void idempotentCreateAfterTimeout() throws Exception {
        bk.script("app", b -> Scripts.runs(b, 0));
        bk.delayCreateResponses(2500);
        start(e -> e.put("WEFT_BUILDKITE_HTTP_TIMEOUT", "500ms"));
        TestRun r = h.push("ci.yml", WORKFLOW);
        assertEquals(RunState.SUCCESS, r.awaitTerminal(PATIENCE).state());
        assertEquals(1, bk.requests("POST", ".*/builds").size(), "one create");
        assertEquals(1, bk.builds().size(), "one build");
        List<RecordedRequest> lookups = bk.requests("GET", ".*/pipelines/app/builds");
        assertFalse(lookups.isEmpty(), "looked up");
        assertEquals(Long.toString(r.runId()), lookups.get(0).getUrl().queryParameter("meta_data[weft_run_id]"));
        assertEquals("acme/app/1", r.run().externalId().orElseThrow());
    }

    @Test
    @DisplayName("a create that keeps answering 5xx is retried only after a lookup finds nothing")
    void createAfter5xx() throws Exception {
        bk.script("app", b -> Scripts.runs(b, 0));
        bk.failNext("POST", ".*/builds", 502);
        start(e -> { });
        TestRun r = h.push("ci.yml", WORKFLOW);
        assertEquals(RunState.SUCCESS, r.awaitTerminal(PATIENCE).state());
        List<RecordedRequest> all = bk.requests();
        int firstPost = -1, secondPost = -1, lookupBetween = 0;
        for (int i = 0; i < all.size(); i++) {
            RecordedRequest q = all.get(i);
            boolean post = q.getMethod().equals("POST");
            if (post && firstPost < 0) firstPost = i;
            else if (post) secondPost = i;
            else if (firstPost >= 0 && secondPost < 0 && q.getUrl().queryParameter("meta_data[weft_run_id]") != null) {
                lookupBetween++;
            }
        }
        assertTrue(secondPost > firstPost, "created again after nothing was found");
        assertTrue(lookupBetween > 0, "looked up before creating again");
        assertEquals(1, bk.builds().size());
    }

    @Test
    @DisplayName("a 422 ends the run failed with Buildkite's message, shown in the log")
    void rejected() throws Exception {
        bk.rejectCreates("Validation failed: Branch can't be blank");
        start(e -> { });
        TestRun r = h.push("ci.yml", WORKFLOW);
        Status end = r.awaitTerminal(PATIENCE);
        assertEquals(RunState.FAILED, end.state());
        assertTrue(end.error().orElse("").contains("Validation failed: Branch can't be blank"), end.toString());
        assertTrue(String.join("\n", r.logFrames()).contains("Branch can't be blank"), r.logFrames().toString());
    }

    @Test
    @DisplayName("a workflow without a buildkite block fails naming the key, as a system step")
    void missingBlock() throws Exception {
        start(e -> { });
        TestRun r = h.push("ci.yml", "engine: buildkite\nbuildkite: {org: acme}\n");
        Status end = r.awaitTerminal(PATIENCE);
        assertEquals(RunState.FAILED, end.state());
        assertTrue(end.error().orElse("").contains("buildkite.pipeline"), end.toString());
        assertTrue(String.join("\n", r.logFrames()).contains("buildkite.pipeline"));
        assertEquals(0, bk.requests().size(), "nothing sent to Buildkite");
    }

    @Test
    @DisplayName("without a token, runs fail saying which variable to set")
    void noToken() {
        start(e -> e.remove("WEFT_BUILDKITE_TOKEN"));
        Status end = h.push("ci.yml", WORKFLOW).awaitTerminal(PATIENCE);
        assertEquals(RunState.FAILED, end.state());
        assertTrue(end.error().orElse("").contains("WEFT_BUILDKITE_TOKEN"), end.toString());
    }

    // ------------------------------------------------------------------ status

    @Test
    @DisplayName("a failed build reports the first failed script job's exit code")
    void failedExitCode() {
        bk.script("app", b -> Scripts.runs(b, 3));
        start(e -> { });
        Status end = h.push("ci.yml", WORKFLOW).awaitTerminal(PATIENCE);
        assertEquals(RunState.FAILED, end.state());
        assertEquals(3L, end.exitCode().orElseThrow());
        assertTrue(end.error().orElse("").contains("\"Tests\" exited with status 3"), end.toString());
    }

    @Test
    @DisplayName("webhooks that never come: polling finishes the run")
    void pollingWithoutWebhooks() throws Exception {
        bk.script("app", b -> Scripts.runs(b, 0));
        start(e -> e.remove("WEFT_BUILDKITE_WEBHOOK_SECRET"));
        TestRun r = h.push("ci.yml", WORKFLOW);
        assertEquals(RunState.SUCCESS, r.awaitTerminal(PATIENCE).state());
        ProviderCompatibilityKit.assertLogContract(r.logFrames());
        assertTrue(String.join("\n", r.logFrames()).contains("\"content\":\"bye\""));
        // With no secret configured, no delivery can be verified.
        String body = webhookBody(bk.build(1), "build.finished");
        assertEquals(401, postWebhook("/hooks/buildkite", Map.of("X-Buildkite-Token", Harnesses.SECRET), body));
    }

    @Test
    @DisplayName("signed webhooks drive the run; unsigned, forged, stale and replayed ones are refused")
    void webhooks() throws Exception {
        // Polls so rare that only a webhook can move the run within the test.
        start(e -> {
            e.put("WEFT_BUILDKITE_POLL", "1h");
            e.put("WEFT_BUILDKITE_LOG_POLL", "1h");
        });
        TestRun r = h.push("ci.yml", WORKFLOW);
        FakeBuildkite.FakeBuild b = awaitBuild(1);
        await().atMost(PATIENCE).until(() -> r.logFrames().size() >= 3); // first read done: intro written
        int reads = bk.requests("GET", ".*/builds/1").size();
        // The payload says passed, but the API keeps the build scheduled until the accepted delivery:
        // a refused delivery that still woke the watcher shows as one more read of the build.
        String body = webhookBody(b, "build.finished", "passed");
        long now = Instant.now().getEpochSecond();

        assertEquals(401, postWebhook("/hooks/buildkite", Map.of("X-Buildkite-Event", "build.finished"), body), "unsigned");
        Map<String, String> forged = new LinkedHashMap<>(signed(body, now));
        // One hex digit changed, always to another (forcing "f...0" was the real signature 1 time in 256).
        String real = forged.get("X-Buildkite-Signature");
        forged.put("X-Buildkite-Signature", real.substring(0, real.length() - 1) + (real.endsWith("0") ? "1" : "0"));
        assertEquals(401, postWebhook("/hooks/buildkite", forged, body), "forged");
        assertEquals(401, postWebhook("/hooks/buildkite", signed(body.replace("passed", "failed"), now), body),
                "signed over another body");
        assertEquals(401, postWebhook("/hooks/buildkite", signed(body, now - 301), body), "stale");
        assertEquals(401, postWebhook("/hooks/buildkite", Map.of("X-Buildkite-Token", "guess"), body), "wrong token");
        // Each answer came from the refusing branch (counted before the 401), which wakes nothing.
        assertEquals(1.0, rejectedWebhooks("missing"), "unsigned");
        assertEquals(3.0, rejectedWebhooks("forged"), "forged, signed over another body, wrong token");
        assertEquals(1.0, rejectedWebhooks("stale"), "stale");
        assertEquals(RunState.PENDING, r.run().state(), "refused deliveries moved nothing");
        assertEquals(List.of(RunState.PENDING), r.states());
        assertEquals(reads, bk.requests("GET", ".*/builds/1").size(), "and caused no API call");

        b.state("passed");
        Map<String, String> good = signed(body, now);
        assertEquals(200, postWebhook("/hooks/buildkite", good, body));
        assertEquals(RunState.SUCCESS, r.awaitTerminal(Duration.ofSeconds(10)).state());
        assertEquals(List.of(RunState.PENDING, RunState.RUNNING, RunState.SUCCESS), r.states());
        // The watcher reads the build once per wake-up and stopped at success: one read in all means
        // no refused delivery woke it, before or after the checks above (a wake-up merged into the
        // accepted one's is the one case no test from outside can tell apart).
        assertEquals(reads + 1, bk.requests("GET", ".*/builds/1").size(), "only the accepted delivery caused a read");
        assertEquals(401, postWebhook("/hooks/buildkite", good, body), "replayed");

        // tack's path and the plain token header work too, and ping is answered.
        assertEquals(200, postWebhook("/webhooks/buildkite", Map.of("X-Buildkite-Token", Harnesses.SECRET,
                "X-Buildkite-Event", "ping"), "{\"event\":\"ping\"}"));
    }

    @Test
    @DisplayName("a 429 while following pauses the organization until RateLimit-Reset, then the run carries on")
    void rateLimited() throws Exception {
        start(e -> { });
        TestRun r = h.push("ci.yml", WORKFLOW);
        FakeBuildkite.FakeBuild b = awaitBuild(1);
        await().atMost(PATIENCE).until(() -> r.logFrames().size() >= 3);
        bk.failNext("GET", ".*/builds/1", 429, Headers.of("RateLimit-Remaining", "0", "RateLimit-Reset", "2"),
                "{\"message\":\"You have hit the rate limit\"}");
        await().atMost(PATIENCE).until(() -> !bk.failedRequests().isEmpty());
        b.state("passed");
        assertEquals(RunState.SUCCESS, r.awaitTerminal(PATIENCE).state());
        List<RecordedRequest> all = bk.requests();
        RecordedRequest limited = bk.failedRequests().get(0);
        RecordedRequest next = all.get(all.indexOf(limited) + 1);
        long gapMs = (bk.arrival(next) - bk.arrival(limited)) / 1_000_000;
        assertTrue(gapMs >= 1800, "the next request waited for the reset: " + gapMs + " ms");
    }

    @Test
    @DisplayName("an unknown state keeps the last status; blocked stays running with a log line")
    void unknownAndBlocked() throws Exception {
        start(e -> { });
        TestRun r = h.push("ci.yml", WORKFLOW);
        FakeBuildkite.FakeBuild b = awaitBuild(1);
        b.state("running");
        r.awaitState(RunState.RUNNING, PATIENCE);
        int reads = bk.requests("GET", ".*/builds/1").size();
        b.state("frobnicating");
        await().atMost(PATIENCE).until(() -> bk.requests("GET", ".*/builds/1").size() > reads + 2);
        assertEquals(List.of(RunState.PENDING, RunState.RUNNING), r.states(), "unknown state kept running");

        b.state("passed").blocked(true);
        await().atMost(PATIENCE).until(() -> String.join("\n", r.logFrames()).contains("is blocked"));
        int reads2 = bk.requests("GET", ".*/builds/1").size();
        await().atMost(PATIENCE).until(() -> bk.requests("GET", ".*/builds/1").size() > reads2 + 2);
        assertEquals(List.of(RunState.PENDING, RunState.RUNNING), r.states(), "blocked stays running");
        assertEquals(1, r.logFrames().stream().filter(f -> f.contains("is blocked")).count(), "said once");

        b.blocked(false);
        assertEquals(RunState.SUCCESS, r.awaitTerminal(PATIENCE).state());
        assertEquals(List.of(RunState.PENDING, RunState.RUNNING, RunState.SUCCESS), r.states());
        ProviderCompatibilityKit.assertLogContract(r.logFrames());
    }

    @Test
    @DisplayName("skipped builds succeed with a note that nothing ran")
    void skipped() {
        bk.onCreate(b -> b.state("skipped"));
        start(e -> { });
        TestRun r = h.push("ci.yml", WORKFLOW);
        assertEquals(RunState.SUCCESS, r.awaitTerminal(PATIENCE).state());
        assertTrue(String.join("\n", r.logFrames()).contains("nothing ran"));
    }

    // ------------------------------------------------------------------ cancel, timeout, restart

    @Test
    @DisplayName("cancel sends PUT .../cancel and ends cancelled once Buildkite says canceled")
    void cancel() throws Exception {
        bk.script("app", Scripts::hangs);
        bk.cancelCompletesAtOnce(false);
        start(e -> { });
        TestRun r = h.push("ci.yml", WORKFLOW);
        r.awaitState(RunState.RUNNING, PATIENCE);
        r.cancel();
        FakeBuildkite.FakeBuild b = bk.build(1);
        await().atMost(PATIENCE).until(b::cancelRequested);
        RecordedRequest cancel = bk.requests("PUT", ".*/builds/1/cancel").get(0);
        // The watcher reads the build once per round: by its second read after the cancel it has
        // acted on a read that found the build canceling (a watcher that wrongly ended reads no more).
        await().atMost(PATIENCE).until(() -> buildReadsAfter(cancel, 1).size() >= 2 || r.run().state().isTerminal());
        assertEquals(RunState.RUNNING, r.run().state(), "still running while canceling");
        assertEquals(List.of(RunState.PENDING, RunState.RUNNING), r.states());
        b.state("canceled");
        Status end = r.awaitTerminal(PATIENCE);
        assertEquals(RunState.CANCELLED, end.state());
        assertEquals(1, bk.requests("PUT", ".*/builds/1/cancel").size());
        ProviderCompatibilityKit.assertLogContract(r.logFrames());
    }

    @Test
    @DisplayName("the workflow timeout cancels the build and ends timeout")
    void timeout() {
        bk.script("app", Scripts::hangs);
        start(e -> { }, Duration.ofSeconds(2));
        TestRun r = h.push("ci.yml", WORKFLOW);
        Status end = r.awaitTerminal(PATIENCE);
        assertEquals(RunState.TIMEOUT, end.state(), end.toString());
        assertEquals("canceled", bk.build(1).state());
        assertEquals(1, bk.requests("PUT", ".*/builds/1/cancel").size());
    }

    @Test
    @DisplayName("a restart mid-build re-attaches by number and carries on the log without repeating it")
    void restartMidBuild() throws Exception {
        start(e -> { });
        TestRun r = h.push("ci.yml", WORKFLOW);
        FakeBuildkite.FakeBuild b = awaitBuild(1);
        FakeBuildkite.FakeJob job = b.addJob("Tests", "make test");
        b.state("running");
        job.start(Scripts.T0).append("one\n--- second half\ntw");
        await().atMost(PATIENCE).until(() -> String.join("\n", r.logFrames()).contains("\"one\""));
        await().atMost(PATIENCE).until(() -> String.join("\n", r.logFrames()).contains("second half"));

        h = h.restart();
        TestRun after = h.run(r.workflowId());
        job.append("o\nthree\n").finish("passed", 0, Scripts.T0.plusSeconds(5));
        b.state("passed");
        assertEquals(RunState.SUCCESS, after.awaitTerminal(PATIENCE).state());
        assertEquals(List.of(RunState.PENDING, RunState.RUNNING, RunState.SUCCESS), after.states());
        List<String> frames = after.logFrames();
        ProviderCompatibilityKit.assertLogContract(frames);
        String all = String.join("\n", frames);
        for (String line : List.of("\"one\"", "\"two\"", "\"three\"", "Buildkite build #1\",\"time\"")) {
            assertTrue(all.contains(line), line + " in " + all);
        }
        assertEquals(1, frames.stream().filter(f -> f.contains("\"content\":\"one\"")).count(), all);
        assertEquals(1, frames.stream().filter(f -> f.contains("\"content\":\"two\"")).count(), all);
        assertEquals(2, frames.stream().filter(f -> f.contains("\"content\":\"Tests \u203a second half\"")).count(),
                "one start and one end of the section step: " + all);
        assertEquals(1, bk.requests("POST", ".*/builds").size(), "no second build");
    }

    @Test
    @DisplayName("a run whose build vanished while weft was down ends failed with a clear error")
    void restartBuildGone() throws Exception {
        bk.script("app", Scripts::hangs);
        Path dir = Files.createTempDirectory("weft-bk");
        Map<String, String> env = Harnesses.env(bk);
        h = ProviderHarness.builder(new BuildkiteProviderFactory()).env(env).dataDir(dir).start();
        TestRun r = h.push("ci.yml", WORKFLOW);
        r.awaitState(RunState.RUNNING, PATIENCE);
        h.close();
        bk.deleteBuild(1);
        h = ProviderHarness.builder(new BuildkiteProviderFactory()).env(env).dataDir(dir).start();
        Status end = h.run(r.workflowId()).awaitTerminal(PATIENCE);
        assertEquals(RunState.FAILED, end.state());
        assertTrue(end.error().orElse("").contains("acme/app#1 was not found"), end.toString());
    }

    @Test
    @DisplayName("tack's variables and workflow block are accepted as aliases")
    void tackAliases() {
        bk.script("legacy", b -> Scripts.runs(b, 0));
        start(e -> {
            e.put("TACK_BUILDKITE_TOKEN", e.remove("WEFT_BUILDKITE_TOKEN"));
            e.put("TACK_BUILDKITE_ORG", e.remove("WEFT_BUILDKITE_ORG"));
        });
        TestRun r = h.push("ci.yml", "engine: buildkite\ntack:\n  buildkite:\n    pipeline: legacy\n");
        assertEquals(RunState.SUCCESS, r.awaitTerminal(PATIENCE).state());
        assertEquals("/v2/organizations/acme/pipelines/legacy/builds",
                bk.requests("POST", ".*/builds").get(0).getUrl().encodedPath());
    }
}
