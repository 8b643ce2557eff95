package dev.weft.provider.github;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.provider.github.FakeGitHub.DispatchMode;
import dev.weft.provider.github.FakeGitHub.GhJob;
import dev.weft.provider.github.FakeGitHub.GhRun;
import dev.weft.provider.github.webhook.Signature;
import dev.weft.testkit.LiveThreads;
import dev.weft.testkit.ProviderCompatibilityKit;
import dev.weft.testkit.ProviderHarness;
import dev.weft.testkit.ProviderHarness.TestRun;
import mockwebserver3.RecordedRequest;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The provider inside a real weft runtime (SQLite, Netty on loopback), against the fake GitHub. */
class GitHubEndToEndTest {
    static final String SECRET = "It's a Secret to Everybody";
    static final String YAML = """
            engine: github
            github:
              repo: octo/mirror
              workflow: ci.yml
            """;
    static final Instant T0 = Instant.parse("2026-02-03T10:00:00Z");

    FakeGitHub gh;
    ProviderHarness h;
    final OkHttpClient client = new OkHttpClient();

    @BeforeEach
    void setUp() throws Exception {
        gh = new FakeGitHub();
    }

    @AfterEach
    void tearDown() {
        if (h != null) h.close();
        gh.close();
        client.dispatcher().executorService().shutdown();
        client.connectionPool().evictAll();
    }

    Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("WEFT_GITHUB_TOKEN", gh.token);
        env.put("WEFT_GITHUB_API", gh.apiUrl());
        env.put("WEFT_GITHUB_POLL_INTERVAL", "100ms");
        env.put("WEFT_GITHUB_CORRELATE_TIMEOUT", "10s");
        env.put("WEFT_GITHUB_WEBHOOK_SECRET", SECRET);
        return env;
    }

    ProviderHarness start(Map<String, String> env) {
        return start(ProviderHarness.builder(new GitHubProviderFactory()).env(env));
    }

    ProviderHarness start(ProviderHarness.Builder b) {
        h = b.start();
        return h;
    }

    GhRun awaitRun(int count) {
        await().atMost(Duration.ofSeconds(20)).until(() -> gh.runs().size() >= count);
        return gh.runs().get(count - 1);
    }

    /** The recorded job of build.log, with its steps' API times (whole seconds, as GitHub gives them). */
    static GhJob recordedJob(GhRun run) throws IOException {
        GhJob job = run.job("build").start(T0);
        job.step("Set up job", T0).complete("success", T0.plusSeconds(1));
        job.step("Run actions/checkout@v4", T0.plusSeconds(1)).complete("success", T0.plusSeconds(1));
        job.step("Build", T0.plusSeconds(1)).complete("failure", T0.plusSeconds(3));
        job.step("Run actions/upload-artifact@v4", T0.plusSeconds(3)).complete("skipped", T0.plusSeconds(3));
        job.step("Post Run actions/checkout@v4", T0.plusSeconds(3)).complete("success", T0.plusSeconds(4));
        job.step("Complete job", T0.plusSeconds(4)).complete("success", T0.plusSeconds(4));
        job.complete("failure", T0.plusSeconds(4), buildLog());
        return job;
    }

    static String buildLog() throws IOException {
        try (InputStream in = GitHubEndToEndTest.class.getResourceAsStream("/joblogs/build.log")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Moves the fake run to in progress with a started "build" job, and waits until weft says running. */
    static GhJob startBuild(TestRun r, GhRun run) {
        GhJob job = run.job("build").start(T0);
        job.step("Set up job", T0);
        run.status("in_progress", null);
        r.awaitState(RunState.RUNNING);
        return job;
    }

    @Test
    @DisplayName("a dispatch answered with run details runs to the real conclusion with exact /logs frames")
    void exactFrames() throws Exception {
        start(env());
        TestRun r = h.push("ci.yml", YAML);
        GhRun run = awaitRun(1);
        GhJob job = startBuild(r, run);
        // Steps appear live, before the job completes.
        await().atMost(Duration.ofSeconds(10)).until(() -> r.logFrames().stream().anyMatch(f -> f.contains("build › Set up job")));
        synchronized (gh) {
            run.jobs.clear();
        }
        recordedJob(run);
        run.status("completed", "failure");
        Status end = r.awaitTerminal();
        assertEquals(new Status.Failed("GitHub Actions run concluded \"failure\"", -1), end);
        assertEquals(List.of(RunState.PENDING, RunState.RUNNING, RunState.FAILED), r.states());
        assertEquals(Long.toString(run.id), r.run().externalId().orElseThrow());
        assertEquals(run.htmlUrl(), r.run().webUrl().orElseThrow());

        List<String> frames = r.logFrames();
        ProviderCompatibilityKit.assertLogContract(frames);
        // Step 0: the system step whose data line is the run's address (stamped now by weft).
        assertTrue(frames.get(0).startsWith("{\"kind\":\"control\",\"content\":\"GitHub Actions\",\"time\":\""), frames.get(0));
        assertTrue(frames.get(1).startsWith("{\"kind\":\"data\",\"content\":\"" + run.htmlUrl() + "\",\"time\":"), frames.get(1));
        assertTrue(frames.get(2).contains("\"step_id\":0,\"step_status\":\"end\"}"), frames.get(2));
        String expected = """
                {"kind":"control","content":"build › Set up job","time":"2026-02-03T10:00:00Z","step_id":1,"step_status":"start","step_kind":1}
                {"kind":"control","content":"build › Run actions/checkout@v4","time":"2026-02-03T10:00:01Z","step_id":2,"step_status":"start","step_kind":1}
                {"kind":"control","content":"build › Build","time":"2026-02-03T10:00:01Z","step_id":3,"step_status":"start","step_kind":1}
                {"kind":"control","content":"build › Run actions/upload-artifact@v4","time":"2026-02-03T10:00:03Z","step_id":4,"step_status":"start","step_kind":1}
                {"kind":"control","content":"build › Post Run actions/checkout@v4","time":"2026-02-03T10:00:03Z","step_id":5,"step_status":"start","step_kind":1}
                {"kind":"control","content":"build › Complete job","time":"2026-02-03T10:00:04Z","step_id":6,"step_status":"start","step_kind":1}
                {"kind":"data","content":"Current runner version: '2.321.0'","time":"2026-02-03T10:00:00.417Z","step_id":1,"stream":"stdout"}
                {"kind":"data","content":"Operating System","time":"2026-02-03T10:00:00.419Z","step_id":1,"stream":"stdout"}
                {"kind":"data","content":"Ubuntu","time":"2026-02-03T10:00:00.419Z","step_id":1,"stream":"stdout"}
                {"kind":"data","content":"24.04.1","time":"2026-02-03T10:00:00.419Z","step_id":1,"stream":"stdout"}
                {"kind":"data","content":"Download action repository 'actions/checkout@v4' (SHA:11bd71901bbe5b1630ceea73d27597364c9af683)","time":"2026-02-03T10:00:00.9Z","step_id":1,"stream":"stdout"}
                {"kind":"data","content":"Run actions/checkout@v4","time":"2026-02-03T10:00:01.2Z","step_id":2,"stream":"stdout"}
                {"kind":"data","content":"with:","time":"2026-02-03T10:00:01.2Z","step_id":2,"stream":"stdout"}
                {"kind":"data","content":"  repository: octo/mirror","time":"2026-02-03T10:00:01.2Z","step_id":2,"stream":"stdout"}
                {"kind":"data","content":"Syncing repository: octo/mirror","time":"2026-02-03T10:00:01.3Z","step_id":2,"stream":"stdout"}
                {"kind":"data","content":"Getting Git version info","time":"2026-02-03T10:00:01.3Z","step_id":2,"stream":"stdout"}
                {"kind":"data","content":"/usr/bin/git version","time":"2026-02-03T10:00:01.3Z","step_id":2,"stream":"stdout"}
                {"kind":"data","content":"git version 2.47.1","time":"2026-02-03T10:00:01.31Z","step_id":2,"stream":"stdout"}
                {"kind":"data","content":"Run make test","time":"2026-02-03T10:00:01.9Z","step_id":3,"stream":"stdout"}
                {"kind":"data","content":"make test","time":"2026-02-03T10:00:01.9Z","step_id":3,"stream":"stdout"}
                {"kind":"data","content":"shell: /usr/bin/bash -e {0}","time":"2026-02-03T10:00:01.9Z","step_id":3,"stream":"stdout"}
                {"kind":"data","content":"go test ./... \\u003call\\u003e \\u0026 more","time":"2026-02-03T10:00:02.1Z","step_id":3,"stream":"stdout"}
                {"kind":"data","content":"\\u001b[31mFAIL\\u001b[0m\\texample.com/pkg\\t0.01s","time":"2026-02-03T10:00:03.5Z","step_id":3,"stream":"stdout"}
                {"kind":"data","content":"Error: Process completed with exit code 1.","time":"2026-02-03T10:00:03.6Z","step_id":3,"stream":"stderr"}
                {"kind":"data","content":"Post job cleanup.","time":"2026-02-03T10:00:03.8Z","step_id":5,"stream":"stdout"}
                {"kind":"data","content":"/usr/bin/git version","time":"2026-02-03T10:00:03.81Z","step_id":5,"stream":"stdout"}
                {"kind":"data","content":"Cleaning up orphan processes","time":"2026-02-03T10:00:04.1Z","step_id":6,"stream":"stdout"}
                {"kind":"control","content":"build › Set up job","time":"2026-02-03T10:00:01Z","step_id":1,"step_status":"end","step_kind":1}
                {"kind":"control","content":"build › Run actions/checkout@v4","time":"2026-02-03T10:00:01Z","step_id":2,"step_status":"end","step_kind":1}
                {"kind":"control","content":"build › Build","time":"2026-02-03T10:00:03Z","step_id":3,"step_status":"end","step_kind":1}
                {"kind":"control","content":"build › Run actions/upload-artifact@v4","time":"2026-02-03T10:00:03Z","step_id":4,"step_status":"end","step_kind":1}
                {"kind":"control","content":"build › Post Run actions/checkout@v4","time":"2026-02-03T10:00:04Z","step_id":5,"step_status":"end","step_kind":1}
                {"kind":"control","content":"build › Complete job","time":"2026-02-03T10:00:04Z","step_id":6,"step_status":"end","step_kind":1}
                """;
        assertEquals(expected, String.join("\n", frames.subList(3, frames.size())) + "\n");
        // The log was downloaded from storage without the token, after the API's 302.
        assertFalse(gh.downloads.isEmpty());
        for (RecordedRequest d : gh.downloads) assertNull(d.getHeaders().get("Authorization"));
    }

    @Test
    @DisplayName("the dispatch carries ref, inputs and weft_run_id, and asks for run details")
    void dispatchBody() throws Exception {
        start(env());
        TestRun r = h.push("ci.yml", """
                engine: github
                github:
                  repo: octo/mirror
                  workflow: ci.yml
                  inputs:
                    target: staging
                    sha: ${TANGLED_SHA}
                """, "refs/tags/v1.2", ProviderHarness.SHA);
        GhRun run = awaitRun(1);
        run.status("completed", "success");
        assertEquals(RunState.SUCCESS, r.awaitTerminal().state());
        RecordedRequest d = gh.requests("POST", "/dispatches").get(0);
        var body = FakeGitHub.JSON.readTree(d.getBody().utf8());
        assertEquals("v1.2", body.path("ref").asText());
        assertTrue(body.path("return_run_details").asBoolean());
        assertEquals("staging", body.path("inputs").path("target").asText());
        assertEquals(ProviderHarness.SHA, body.path("inputs").path("sha").asText());
        assertEquals(Long.toString(r.runId()), body.path("inputs").path("weft_run_id").asText());
        assertEquals(List.of(RunState.PENDING, RunState.RUNNING, RunState.SUCCESS), r.states());
    }

    @Test
    @DisplayName("a 204 dispatch is correlated by display_title")
    void noContentCorrelates() {
        gh.mode = DispatchMode.NO_CONTENT;
        start(env());
        TestRun r = h.pullRequest("ci.yml", YAML);
        GhRun run = awaitRun(1);
        await().atMost(Duration.ofSeconds(20)).until(() -> r.run().externalId().isPresent());
        assertEquals(Long.toString(run.id), r.run().externalId().get());
        assertEquals("feature", run.ref);
        run.status("completed", "success");
        assertEquals(RunState.SUCCESS, r.awaitTerminal().state());
    }

    @Test
    @DisplayName("an old GHES that rejects return_run_details gets one resend without it, then correlation")
    void oldServer() throws Exception {
        gh.mode = DispatchMode.OLD_SERVER;
        start(env());
        TestRun r = h.push("ci.yml", YAML);
        GhRun run = awaitRun(1);
        await().atMost(Duration.ofSeconds(20)).until(() -> r.run().externalId().isPresent());
        assertEquals(Long.toString(run.id), r.run().externalId().get());
        List<RecordedRequest> sent = gh.requests("POST", "/dispatches");
        assertEquals(2, sent.size());
        assertTrue(FakeGitHub.JSON.readTree(sent.get(0).getBody().utf8()).has("return_run_details"));
        assertFalse(FakeGitHub.JSON.readTree(sent.get(1).getBody().utf8()).has("return_run_details"));
        assertEquals(1, gh.runs().size());
        run.status("completed", "success");
        r.awaitTerminal();
    }

    @Test
    @DisplayName("after a 5xx the run is looked for first, and the dispatch is not sent again")
    void serverErrorLooksFirst() {
        gh.mode = DispatchMode.BAD_GATEWAY_BUT_CREATED;
        start(env());
        TestRun r = h.push("ci.yml", YAML);
        GhRun run = awaitRun(1);
        await().atMost(Duration.ofSeconds(20)).until(() -> r.run().externalId().isPresent());
        assertEquals(Long.toString(run.id), r.run().externalId().get());
        run.status("completed", "success");
        assertEquals(RunState.SUCCESS, r.awaitTerminal().state());
        assertEquals(1, gh.requests("POST", "/dispatches").size());
        assertEquals(1, gh.runs().size());
    }

    @Test
    @DisplayName("two dispatches of the same workflow in flight each find their own run")
    void twoInFlight() {
        gh.mode = DispatchMode.NO_CONTENT;
        // A decoy whose title holds a longer number that contains neither id as a whole number.
        gh.createRun("99999999", "ci.yml");
        start(env());
        TestRun a = h.push("ci.yml", YAML);
        TestRun b = h.push("ci.yml", YAML);
        await().atMost(Duration.ofSeconds(20)).until(() -> a.run().externalId().isPresent() && b.run().externalId().isPresent());
        GhRun ra = gh.run(Long.parseLong(a.run().externalId().get()));
        GhRun rb = gh.run(Long.parseLong(b.run().externalId().get()));
        assertNotEquals(ra.id, rb.id);
        assertEquals(Long.toString(a.runId()), ra.inputs.get("weft_run_id"));
        assertEquals(Long.toString(b.runId()), rb.inputs.get("weft_run_id"));
        ra.status("completed", "success");
        rb.status("completed", "failure");
        assertEquals(RunState.SUCCESS, a.awaitTerminal().state());
        assertEquals(RunState.FAILED, b.awaitTerminal().state());
    }

    @Test
    @DisplayName("a 204 dispatch to a workflow without the run-name line fails saying what to add")
    void noRunName() {
        gh.mode = DispatchMode.NO_CONTENT;
        gh.runName = null;
        Map<String, String> env = env();
        env.put("WEFT_GITHUB_CORRELATE_TIMEOUT", "1s");
        start(env);
        TestRun r = h.push("ci.yml", YAML);
        Status end = r.awaitTerminal();
        assertEquals(RunState.FAILED, end.state());
        assertTrue(end.error().orElse("").contains("run-name:"), end.toString());
        assertTrue(end.error().orElse("").contains("within 1s"), end.toString());
    }

    @Test
    @DisplayName("a refused dispatch fails the run with GitHub's reason")
    void refused() {
        gh.mode = DispatchMode.REJECT;
        start(env());
        TestRun r = h.push("ci.yml", YAML);
        Status end = r.awaitTerminal();
        assertEquals(RunState.FAILED, end.state());
        assertTrue(end.error().orElse("").contains("Unexpected inputs"), end.toString());
        assertTrue(r.logFrames().stream().anyMatch(f -> f.contains("Unexpected inputs")), "shown as a system step");
    }

    @Test
    @DisplayName("the dispatch waits until the mirror has the commit")
    void commitArrivesLate() {
        gh.allCommits = false;
        start(env());
        TestRun r = h.push("ci.yml", YAML);
        await().atMost(Duration.ofSeconds(10)).until(() -> gh.requests("GET", "/commits/").size() >= 2);
        assertTrue(gh.runs().isEmpty(), "no dispatch before the commit is there");
        gh.addCommit(ProviderHarness.SHA);
        GhRun run = awaitRun(1);
        run.status("completed", "success");
        assertEquals(RunState.SUCCESS, r.awaitTerminal().state());
    }

    @Test
    @DisplayName("a commit that never reaches the mirror fails the run with the exact message")
    void commitNeverArrives() {
        gh.allCommits = false;
        Map<String, String> env = env();
        env.put("WEFT_GITHUB_COMMIT_WAIT", "2s");
        start(env);
        TestRun r = h.push("ci.yml", YAML);
        Status end = r.awaitTerminal();
        assertEquals(new Status.Failed("commit " + ProviderHarness.SHA + " is not on octo/mirror after 2s", -1), end);
        assertTrue(gh.runs().isEmpty());
    }

    @Test
    @DisplayName("a head_sha other than the trigger's is said in the log")
    void headShaMismatch() {
        gh.headSha = "ffffffffffffffffffffffffffffffffffffffff";
        start(env());
        TestRun r = h.push("ci.yml", YAML);
        GhRun run = awaitRun(1);
        run.status("completed", "success");
        r.awaitTerminal();
        assertTrue(r.logFrames().get(2).contains("GitHub runs commit ffffffffffffffffffffffffffffffffffffffff, not the triggering commit "
                + ProviderHarness.SHA), r.logFrames().toString());
    }

    @Test
    @DisplayName("a missing github.repo fails the run naming the key, as a system step")
    void invalidBlock() {
        start(env());
        TestRun r = h.push("ci.yml", "engine: github\ngithub:\n  workflow: ci.yml\n");
        Status end = r.awaitTerminal();
        assertEquals(RunState.FAILED, end.state());
        assertTrue(end.error().orElse("").startsWith("github.repo: required"), end.toString());
        assertTrue(r.logFrames().stream().anyMatch(f -> f.contains("github.repo: required")));
        assertTrue(gh.requests.isEmpty(), "nothing sent to GitHub");
    }

    @Test
    @DisplayName("a manual run sends its inputs and uses the repository's default branch")
    void manual() throws Exception {
        start(env());
        TestRun r = h.manual("ci.yml", YAML, Map.of("level", "debug"));
        GhRun run = awaitRun(1);
        assertEquals("trunk", run.ref);
        assertEquals("debug", run.inputs.get("level"));
        assertTrue(gh.requests("GET", "/commits/").isEmpty(), "a manual run has no commit to wait for");
        run.status("completed", "success");
        r.awaitTerminal();
    }

    @Test
    @DisplayName("cancel posts cancel, and the run ends cancelled")
    void cancel() {
        start(env());
        TestRun r = h.push("ci.yml", YAML);
        GhRun run = awaitRun(1);
        run.job("build").start(T0).step("Run sleep 600", T0);
        run.status("in_progress", null);
        r.awaitState(RunState.RUNNING);
        r.cancel();
        Status end = r.awaitTerminal();
        assertEquals(RunState.CANCELLED, end.state());
        assertEquals(1, gh.requests("POST", "/runs/" + run.id + "/cancel").size());
        assertTrue(gh.requests("POST", "/force-cancel").isEmpty());
    }

    @Test
    @DisplayName("a cancel the run ignores is followed by force-cancel")
    void forceCancel() {
        gh.ignoreCancel = true;
        Map<String, String> env = env();
        env.put("WEFT_GITHUB_FORCE_CANCEL_AFTER", "300ms");
        start(env);
        TestRun r = h.push("ci.yml", YAML);
        GhRun run = awaitRun(1);
        run.job("build").start(T0);
        run.status("in_progress", null);
        r.awaitState(RunState.RUNNING);
        r.cancel();
        assertEquals(RunState.CANCELLED, r.awaitTerminal().state());
        assertEquals(1, gh.requests("POST", "/force-cancel").size());
    }

    @Test
    @DisplayName("the workflow timeout cancels the GitHub run and ends timeout")
    void timeout() {
        start(ProviderHarness.builder(new GitHubProviderFactory()).env(env()).workflowTimeout(Duration.ofSeconds(2)));
        TestRun r = h.push("ci.yml", YAML);
        GhRun run = awaitRun(1);
        run.job("build").start(T0);
        run.status("in_progress", null);
        Status end = r.awaitTerminal();
        assertEquals(RunState.TIMEOUT, end.state());
        assertEquals(1, gh.requests("POST", "/runs/" + run.id + "/cancel").size());
        assertEquals("completed", run.status);
    }

    @Test
    @DisplayName("after a restart the run is re-attached by its run id and carried to its end")
    void restart() throws Exception {
        start(env());
        TestRun before = h.push("ci.yml", YAML);
        GhRun run = awaitRun(1);
        GhJob job = startBuild(before, run);
        await().atMost(Duration.ofSeconds(10)).until(() -> before.logFrames().size() >= 4);
        h = h.restart();
        TestRun after = h.run(before.workflowId());
        job.steps.get(0).complete("success", T0.plusSeconds(1));
        job.complete("success", T0.plusSeconds(1), "2026-02-03T10:00:00.5000000Z hello\n");
        run.status("completed", "success");
        assertEquals(RunState.SUCCESS, after.awaitTerminal().state());
        assertEquals(List.of(RunState.PENDING, RunState.RUNNING, RunState.SUCCESS), after.states());
        List<String> frames = after.logFrames();
        ProviderCompatibilityKit.assertLogContract(frames);
        assertEquals(1, frames.stream().filter(f -> f.contains(run.htmlUrl())).count(), "announced once: " + frames);
        assertEquals(1, frames.stream().filter(f -> f.contains("\"build › Set up job\"") && f.contains("\"start\"")).count(),
                "the open step is continued, not started again: " + frames);
        assertTrue(frames.stream().anyMatch(f -> f.contains("\"hello\"")));
        assertEquals(1, gh.requests("POST", "/dispatches").size());
    }

    @Test
    @DisplayName("weft restarting between the dispatch and its answer finds the run again by weft_run_id, without a second dispatch")
    void restartDuringDispatch() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        gh.holdDispatchAnswers = answer; // until released: the restart surely lands before it
        start(env());
        TestRun before = h.push("ci.yml", YAML);
        GhRun run = awaitRun(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> before.run().attribute("dispatched_at").isPresent());
        assertTrue(before.run().externalId().isEmpty());
        // The first weft's run thread, waiting for the dispatch's answer.
        Set<Long> firstWeft = LiveThreads.now().stream().filter(t -> t.name().equals("weft-run-" + before.runId()))
                .map(LiveThreads.LiveThread::tid).collect(Collectors.toSet());
        assertEquals(1, firstWeft.size(), "one run thread waits for the answer");
        h = h.restart();
        TestRun after = h.run(before.workflowId());
        await().atMost(Duration.ofSeconds(20)).until(() -> after.run().externalId().isPresent());
        assertEquals(Long.toString(run.id), after.run().externalId().get());
        run.status("completed", "success");
        assertEquals(RunState.SUCCESS, after.awaitTerminal().state());
        // Only now may the first weft's dispatch call get its answer. Once its run thread has ended
        // (on the answer, or already on weft's interrupt at close), whatever it did is visible.
        answer.countDown();
        await().atMost(Duration.ofSeconds(20)).until(() -> LiveThreads.now().stream().noneMatch(t -> firstWeft.contains(t.tid())));
        assertEquals(1, gh.requests("POST", "/dispatches").size());
        assertEquals(1, gh.runs().size());
        assertEquals(List.of(RunState.PENDING, RunState.RUNNING, RunState.SUCCESS), after.states());
    }

    @Test
    @DisplayName("a cancel while waiting for the commit ends the run without dispatching")
    void cancelBeforeDispatch() {
        gh.allCommits = false;
        start(env());
        TestRun r = h.push("ci.yml", YAML);
        await().atMost(Duration.ofSeconds(10)).until(() -> !gh.requests("GET", "/commits/").isEmpty());
        r.cancel();
        assertEquals(RunState.CANCELLED, r.awaitTerminal().state());
        assertTrue(gh.runs().isEmpty());
        assertTrue(gh.requests("POST", "/dispatches").isEmpty());
    }

    @Test
    @DisplayName("rate-limited answers in the middle of a run are waited out (retry-after) and the run goes on")
    void rateLimitedMidRun() {
        java.util.concurrent.atomic.AtomicInteger limited = new java.util.concurrent.atomic.AtomicInteger();
        gh.intercept = req -> req.getUrl().encodedPath().endsWith("/jobs") && limited.getAndIncrement() < 2
                ? new mockwebserver3.MockResponse.Builder().code(limited.get() == 1 ? 429 : 403)
                .addHeader("retry-after", "1").body("{\"message\":\"You have exceeded a secondary rate limit\"}").build()
                : null;
        start(env());
        TestRun r = h.push("ci.yml", YAML);
        GhRun run = awaitRun(1);
        run.job("build").start(T0);
        run.status("in_progress", null);
        r.awaitState(RunState.RUNNING);
        run.status("completed", "success");
        assertEquals(RunState.SUCCESS, r.awaitTerminal().state());
        assertTrue(limited.get() >= 3, "both limited answers were retried");
    }

    @Test
    @DisplayName("a re-run started on GitHub (new run_attempt) is followed to its own end")
    void rerunFollowed() {
        start(env());
        TestRun r = h.push("ci.yml", YAML);
        GhRun run = awaitRun(1);
        run.job("build").start(T0);
        run.status("in_progress", null);
        r.awaitState(RunState.RUNNING);
        run.rerun();
        run.status("in_progress", null);
        await().atMost(Duration.ofSeconds(10)).until(() -> r.run().attribute("attempt").equals(java.util.Optional.of("2")));
        assertFalse(r.state().isTerminal());
        run.status("completed", "success");
        assertEquals(RunState.SUCCESS, r.awaitTerminal().state());
        assertTrue(r.logFrames().stream().anyMatch(f -> f.contains("attempt 2")));
    }

    @Test
    @DisplayName("GitHub App credentials: the provider mints an installation token and uses it")
    void appAuth() throws Exception {
        var key = AppKeys.pkcs1Pem();
        java.nio.file.Path pem = java.nio.file.Files.createTempFile("app", ".pem");
        pem.toFile().deleteOnExit();
        java.nio.file.Files.writeString(pem, key);
        gh.token = "none-yet";
        Map<String, String> env = env();
        env.remove("WEFT_GITHUB_TOKEN");
        env.put("WEFT_GITHUB_APP_ID", "12345");
        env.put("WEFT_GITHUB_APP_PRIVATE_KEY", pem.toString());
        env.put("WEFT_GITHUB_APP_INSTALLATION_ID", "678");
        start(env);
        TestRun r = h.push("ci.yml", YAML);
        GhRun run = awaitRun(1);
        run.status("completed", "success");
        assertEquals(RunState.SUCCESS, r.awaitTerminal().state());
        assertEquals(1, gh.requests("POST", "/app/installations/678/access_tokens").size());
        assertEquals("Bearer ghs_app1", gh.requests("POST", "/dispatches").get(0).getHeaders().get("Authorization"));
    }

    // ------------------------------------------------------------------ webhooks

    Response deliver(String event, String delivery, byte[] body, String signature) throws IOException {
        Request.Builder b = new Request.Builder().url(h.baseUrl() + "/hooks/github")
                .post(RequestBody.create(body, MediaType.get("application/json")))
                .header("X-GitHub-Event", event)
                .header("X-GitHub-Delivery", delivery);
        if (signature != null) b.header("X-Hub-Signature-256", signature);
        return client.newCall(b.build()).execute();
    }

    int deliverFixture(String fixture, long runId, String delivery) throws IOException {
        ObjectNode p = (ObjectNode) FakeGitHub.JSON.readTree(Fixtures.webhook(fixture));
        String event = p.has("workflow_run") ? "workflow_run" : "workflow_job";
        ObjectNode o = (ObjectNode) p.get(event);
        o.put(event.equals("workflow_run") ? "id" : "run_id", runId);
        byte[] body = FakeGitHub.JSON.writeValueAsBytes(p);
        try (Response resp = deliver(event, delivery, body, Signature.sign(Signature.secret(SECRET), body))) {
            return resp.code();
        }
    }

    @Test
    @DisplayName("webhooks, not polling, move the run: states come from status/conclusion, never action")
    void webhooksDriveState() throws Exception {
        Map<String, String> env = env();
        env.put("WEFT_GITHUB_POLL_INTERVAL", "1h");
        start(env);
        TestRun r = h.push("ci.yml", YAML);
        GhRun run = awaitRun(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> r.run().externalId().isPresent()
                && gh.requests("GET", "/actions/runs/" + run.id + "/jobs").size() >= 1);
        // queued with status waiting: still pending.
        GhJob job = run.job("test");
        synchronized (gh) {
            job.status = "waiting";
        }
        int polls = gh.requests("GET", "/actions/runs/" + run.id + "/jobs").size();
        assertEquals(202, deliverFixture("workflow_job.queued.with-deployment.payload.json", run.id, "d-1"));
        await().atMost(Duration.ofSeconds(10)).until(() -> gh.requests("GET", "/actions/runs/" + run.id + "/jobs").size() > polls);
        assertEquals(List.of(RunState.PENDING), r.states());
        // in progress: running.
        job.start(T0);
        assertEquals(202, deliverFixture("workflow_job.in_progress.payload.json", run.id, "d-2"));
        r.awaitState(RunState.RUNNING, Duration.ofSeconds(10));
        // "requested" with a completed run and conclusion action_required: failed.
        job.complete("cancelled", T0.plusSeconds(1), null);
        run.status("completed", "action_required");
        assertEquals(202, deliverFixture("workflow_run.requested.with-conclusion.payload.json", run.id, "d-3"));
        Status end = r.awaitTerminal(Duration.ofSeconds(10));
        assertEquals(new Status.Failed("GitHub Actions run concluded \"action_required\"", -1), end);
    }

    @Test
    @DisplayName("a forged or missing signature is refused with 401; a redelivery is dropped")
    void webhookVerification() throws Exception {
        start(env());
        byte[] body = Fixtures.webhook("workflow_run.completed.payload.json").getBytes(StandardCharsets.UTF_8);
        String good = Signature.sign(Signature.secret(SECRET), body);
        try (Response forged = deliver("workflow_run", "x-1", body, Signature.sign(Signature.secret("wrong"), body))) {
            assertEquals(401, forged.code());
        }
        try (Response missing = deliver("workflow_run", "x-2", body, null)) {
            assertEquals(401, missing.code());
        }
        byte[] tampered = (new String(body, StandardCharsets.UTF_8) + " ").getBytes(StandardCharsets.UTF_8);
        try (Response t = deliver("workflow_run", "x-3", tampered, good)) {
            assertEquals(401, t.code());
        }
        try (Response first = deliver("workflow_run", "x-4", body, good)) {
            assertEquals(202, first.code());
        }
        try (Response again = deliver("workflow_run", "x-4", body, good)) {
            assertEquals(200, again.code());
            assertEquals("duplicate delivery\n", again.body().string());
        }
        try (Response ping = deliver("ping", "x-5", "{}".getBytes(StandardCharsets.UTF_8),
                Signature.sign(Signature.secret(SECRET), "{}".getBytes(StandardCharsets.UTF_8)))) {
            assertEquals(200, ping.code());
        }
    }

    @Test
    @DisplayName("partial or contradictory credentials stop start-up, naming every problem")
    void badConfiguration() throws Exception {
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> ProviderHarness.builder(new GitHubProviderFactory()).env(Map.of("WEFT_GITHUB_APP_ID", "1",
                        "WEFT_GITHUB_COMMIT_WAIT", "soon", "WEFT_GITHUB_API", "not a url")).start());
        String m = e.getMessage();
        assertTrue(m.contains("WEFT_GITHUB_APP_INSTALLATION_ID"), m);
        assertTrue(m.contains("WEFT_GITHUB_APP_PRIVATE_KEY"), m);
        assertTrue(m.contains("WEFT_GITHUB_COMMIT_WAIT"), m);
        assertTrue(m.contains("WEFT_GITHUB_API"), m);
        java.nio.file.Path junk = java.nio.file.Files.createTempFile("junk", ".pem");
        junk.toFile().deleteOnExit();
        var both = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> ProviderHarness.builder(new GitHubProviderFactory()).env(Map.of("WEFT_GITHUB_TOKEN", "t",
                        "WEFT_GITHUB_APP_ID", "1")).start());
        assertTrue(both.getMessage().contains("not both"), both.getMessage());
        var badKey = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> ProviderHarness.builder(new GitHubProviderFactory()).env(Map.of("WEFT_GITHUB_APP_ID", "1",
                        "WEFT_GITHUB_APP_INSTALLATION_ID", "2", "WEFT_GITHUB_APP_PRIVATE_KEY", junk.toString())).start());
        assertTrue(badKey.getMessage().contains("WEFT_GITHUB_APP_PRIVATE_KEY"), badKey.getMessage());
    }

    @Test
    @DisplayName("without credentials the provider starts, and its runs fail saying what to set")
    void unconfigured() {
        start(Map.of());
        TestRun r = h.push("ci.yml", YAML);
        Status end = r.awaitTerminal();
        assertEquals(RunState.FAILED, end.state());
        assertTrue(end.error().orElse("").contains("WEFT_GITHUB_TOKEN"), end.toString());
    }
}
