package dev.weft.provider.github;

import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.provider.github.FakeGitHub.GhJob;
import dev.weft.provider.github.FakeGitHub.GhRun;
import dev.weft.testkit.ProviderCompatibilityKit;
import dev.weft.testkit.ProviderHarness;
import dev.weft.testkit.ProviderHarness.TestRun;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Repository secrets delivered as the mirror's Actions secrets, against the fake GitHub in a real runtime. */
@DisplayName("GitHub: repository secrets become the mirror's Actions secrets")
class GitHubSecretsTest {
    static final String YAML = GitHubEndToEndTest.YAML;
    static final String ALPHA = "alpha-Secret-value-0001";
    static final String BETA = "beta/secret+value=0002";
    static final String GAMMA = "gamma secret value 0003 ✓";
    static final String MANUAL = "set by the mirror's owner";
    static final Instant T0 = GitHubEndToEndTest.T0;

    FakeGitHub gh;
    ProviderHarness h;

    @BeforeEach
    void setUp() throws Exception {
        gh = new FakeGitHub();
    }

    @AfterEach
    void tearDown() {
        if (h != null) h.close();
        gh.close();
    }

    Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("WEFT_GITHUB_TOKEN", gh.token);
        env.put("WEFT_GITHUB_API", gh.apiUrl());
        env.put("WEFT_GITHUB_POLL_INTERVAL", "100ms");
        env.put("WEFT_GITHUB_CORRELATE_TIMEOUT", "10s");
        return env;
    }

    void start(Map<String, String> env) {
        h = ProviderHarness.builder(new GitHubProviderFactory()).env(env).start();
    }

    void addSecret(String key, String value) {
        assertTrue(h.addSecret(key, value));
    }

    void removeSecret(String key) {
        assertTrue(h.removeSecret(key));
    }

    GhRun awaitRun(int count) {
        await().atMost(Duration.ofSeconds(20)).until(() -> gh.runs().size() >= count);
        return gh.runs().get(count - 1);
    }

    /** Pushes, lets the GitHub run succeed, and returns the finished Tangled run. */
    TestRun runToSuccess(int nth) {
        TestRun r = h.push("ci.yml", YAML);
        GhRun run = awaitRun(nth);
        run.status("completed", "success");
        assertEquals(RunState.SUCCESS, r.awaitTerminal().state(), () -> r.statuses().toString());
        return r;
    }

    List<String> paths(String method) {
        return gh.requests.stream().filter(q -> q.getMethod().equals(method)
                && q.getUrl().encodedPath().contains("/actions/secrets/")).map(q -> q.getUrl().encodedPath()).toList();
    }

    static String secretPath(String name) {
        return "/repos/octo/mirror/actions/secrets/" + name;
    }

    /** No value, nor its base64 forms, in any URL, header or body GitHub received, nor in the log. */
    void assertNothingLeaked(List<TestRun> runs, String... values) {
        List<String> seen = new ArrayList<>();
        for (RecordedRequest q : gh.requests) {
            seen.add(q.getUrl().toString());
            seen.add(q.getHeaders().toString());
            if (q.getBody() != null) seen.add(q.getBody().utf8());
        }
        for (TestRun r : runs) {
            seen.addAll(r.logFrames());
            r.statuses().forEach(s -> seen.add(s.toString()));
        }
        for (String v : values) {
            byte[] b = v.getBytes(StandardCharsets.UTF_8);
            for (String form : List.of(v, Base64.getEncoder().encodeToString(b),
                    Base64.getUrlEncoder().withoutPadding().encodeToString(b))) {
                for (String s : seen) assertFalse(s.contains(form), "secret found in " + s);
            }
        }
    }

    @Test
    @DisplayName("every secret is PUT sealed for the repository's key before the dispatch; GitHub opens each to its value")
    void putSealedBeforeDispatch() throws Exception {
        start(env());
        addSecret("ALPHA", ALPHA);
        addSecret("beta", BETA);
        TestRun r = runToSuccess(1);

        assertEquals(Map.of("ALPHA", ALPHA, "BETA", BETA), gh.secrets());
        List<RecordedRequest> puts = gh.requests("PUT", "/actions/secrets/");
        assertEquals(List.of(secretPath("ALPHA"), secretPath("BETA")),
                puts.stream().map(q -> q.getUrl().encodedPath()).toList());
        for (RecordedRequest put : puts) {
            var body = FakeGitHub.JSON.readTree(put.getBody().utf8());
            assertEquals(List.of("encrypted_value", "key_id"), names(body.fieldNames()));
            assertEquals(gh.secretsKeyId, body.path("key_id").asText());
        }
        // Sealed and put before the dispatch, which carries no secret.
        int lastPut = gh.requests.indexOf(puts.get(puts.size() - 1));
        RecordedRequest dispatch = gh.requests("POST", "/dispatches").get(0);
        assertTrue(lastPut < gh.requests.indexOf(dispatch));
        assertEquals(List.of("weft_run_id"),
                names(FakeGitHub.JSON.readTree(dispatch.getBody().utf8()).path("inputs").fieldNames()));
        assertNothingLeaked(List.of(r), ALPHA, BETA);

        List<String> frames = r.logFrames();
        ProviderCompatibilityKit.assertLogContract(frames);
        assertTrue(frames.get(0).contains("\"content\":\"" + SecretSync.STEP + "\""), frames.get(0));
        assertTrue(frames.get(1).contains("\"content\":\"set ALPHA, BETA as Actions secrets of octo/mirror\""), frames.get(1));
    }

    @Test
    @DisplayName("a name the repository no longer has is deleted; secrets weft never set are left alone")
    void staleDeleted() {
        start(env());
        gh.secret("MANUAL", MANUAL);
        addSecret("ALPHA", ALPHA);
        addSecret("BETA", BETA);
        TestRun first = runToSuccess(1);
        assertEquals(Map.of("ALPHA", ALPHA, "BETA", BETA, "MANUAL", MANUAL), gh.secrets());

        removeSecret("BETA");
        addSecret("GAMMA", GAMMA);
        TestRun second = runToSuccess(2);
        assertEquals(Map.of("ALPHA", ALPHA, "GAMMA", GAMMA, "MANUAL", MANUAL), gh.secrets());
        assertEquals(List.of(secretPath("BETA")), paths("DELETE"));
        assertTrue(String.join("\n", second.logFrames())
                .contains("deleted BETA from octo/mirror: no longer secrets of this repository"));
        assertNothingLeaked(List.of(first, second), ALPHA, BETA, GAMMA);
    }

    @Test
    @DisplayName("after a restart, what weft set is found again, and a run without secrets deletes them all")
    void staleAfterRestart() {
        start(env());
        gh.secret("MANUAL", MANUAL);
        addSecret("ALPHA", ALPHA);
        addSecret("BETA", BETA);
        runToSuccess(1);
        h = h.restart();
        removeSecret("ALPHA");
        removeSecret("BETA");
        TestRun second = runToSuccess(2);
        assertEquals(Map.of("MANUAL", MANUAL), gh.secrets());
        assertEquals(List.of(secretPath("ALPHA"), secretPath("BETA")), paths("DELETE"));
        assertTrue(String.join("\n", second.logFrames()).contains("deleted ALPHA, BETA from octo/mirror"));

        // Known now: the next run neither lists runs again nor deletes anything.
        int lists = gh.requests("GET", "/repos/octo/mirror/actions/runs").stream()
                .filter(q -> q.getUrl().encodedPath().endsWith("/actions/runs")).toList().size();
        runToSuccess(3);
        assertEquals(2, paths("DELETE").size());
        assertEquals(lists, gh.requests("GET", "/repos/octo/mirror/actions/runs").stream()
                .filter(q -> q.getUrl().encodedPath().endsWith("/actions/runs")).toList().size());
    }

    @Test
    @DisplayName("a failed PUT is retried without sending the secrets already set again, and the workflow is dispatched once")
    void retryDoesNotDuplicate() {
        AtomicInteger failures = new AtomicInteger();
        gh.intercept = q -> q.getMethod().equals("PUT") && q.getUrl().encodedPath().endsWith("/BETA")
                && failures.getAndIncrement() == 0 ? FakeGitHub.json(502, "{\"message\":\"Server Error\"}") : null;
        start(env());
        addSecret("ALPHA", ALPHA);
        addSecret("BETA", BETA);
        addSecret("GAMMA", GAMMA);
        TestRun r = runToSuccess(1);
        assertEquals(Map.of("ALPHA", ALPHA, "BETA", BETA, "GAMMA", GAMMA), gh.secrets());
        assertEquals(List.of(secretPath("ALPHA"), secretPath("BETA"), secretPath("BETA"), secretPath("GAMMA")),
                paths("PUT"));
        assertEquals(1, gh.requests("POST", "/dispatches").size());
        assertEquals(1, gh.runs().size());
        assertTrue(r.logFrames().get(1).contains("\"content\":\"set ALPHA, BETA, GAMMA as Actions secrets of octo/mirror\""),
                r.logFrames().get(1));
        assertNothingLeaked(List.of(r), ALPHA, BETA, GAMMA);
    }

    @Test
    @DisplayName("a dispatch retried after an unclear answer does not set the secrets again")
    void dispatchRetryDoesNotResync() {
        AtomicInteger failures = new AtomicInteger();
        // The first dispatch fails with a 503 and creates nothing: weft looks, finds no run, retries.
        gh.intercept = q -> q.getMethod().equals("POST") && q.getUrl().encodedPath().endsWith("/dispatches")
                && failures.getAndIncrement() == 0 ? FakeGitHub.json(503, "{\"message\":\"Unavailable\"}") : null;
        Map<String, String> env = env();
        env.put("WEFT_GITHUB_CORRELATE_TIMEOUT", "300ms");
        start(env);
        addSecret("ALPHA", ALPHA);
        TestRun r = runToSuccess(1);
        assertEquals(2, gh.requests("POST", "/dispatches").size());
        assertEquals(List.of(secretPath("ALPHA")), paths("PUT"));
        assertEquals(Map.of("ALPHA", ALPHA), gh.secrets());
        assertNothingLeaked(List.of(r), ALPHA);
    }

    @Test
    @DisplayName("without credentials the engine cannot keep secrets: the run fails saying so and nothing is sent")
    void noCredentials() {
        start(Map.of("WEFT_GITHUB_API", gh.apiUrl()));
        addSecret("ALPHA", ALPHA);
        TestRun r = h.push("ci.yml", YAML);
        Status end = r.awaitTerminal();
        assertEquals(RunState.FAILED, end.state());
        String error = end.error().orElse("");
        assertTrue(error.contains("1 secret(s)") && error.contains("engine \"github\" cannot keep secrets"), error);
        assertTrue(gh.requests.isEmpty(), "nothing sent to GitHub");
        assertNothingLeaked(List.of(r), ALPHA);
    }

    @Test
    @DisplayName("credentials without the Secrets permission fail the run before the dispatch, naming the permission")
    void forbidden() {
        gh.intercept = q -> q.getMethod().equals("PUT")
                ? FakeGitHub.json(403, "{\"message\":\"Resource not accessible by personal access token\"}") : null;
        start(env());
        addSecret("ALPHA", ALPHA);
        TestRun r = h.push("ci.yml", YAML);
        Status end = r.awaitTerminal();
        assertEquals(RunState.FAILED, end.state());
        String error = end.error().orElse("");
        assertTrue(error.startsWith("GitHub refused to set secret ALPHA on octo/mirror (HTTP 403: Resource not "
                + "accessible by personal access token): the credentials need the Secrets: read and write permission"
                + " on octo/mirror"), error);
        assertTrue(gh.requests("POST", "/dispatches").isEmpty());
        assertNothingLeaked(List.of(r), ALPHA);
    }

    @Test
    @DisplayName("names GitHub would refuse or merge fail the run before anything is sent")
    void badNames() {
        start(env());
        addSecret("GITHUB_PAT", ALPHA);
        addSecret("token", BETA);
        addSecret("TOKEN", GAMMA);
        TestRun r = h.push("ci.yml", YAML);
        Status end = r.awaitTerminal();
        assertEquals(RunState.FAILED, end.state());
        String error = end.error().orElse("");
        assertTrue(error.contains("secret GITHUB_PAT: GitHub does not accept secret names starting with GITHUB_"), error);
        assertTrue(error.contains("secrets TOKEN and token: GitHub secret names ignore case, so both would be TOKEN"), error);
        assertTrue(gh.requests("PUT", "/actions/secrets/").isEmpty());
        assertTrue(gh.requests("POST", "/dispatches").isEmpty());
        assertNothingLeaked(List.of(r), ALPHA, BETA, GAMMA);
    }

    @Test
    @DisplayName("a value in a job's log is masked: job logs are written as whole lines")
    void jobLogMasked() {
        start(env());
        addSecret("ALPHA", ALPHA);
        TestRun r = h.push("ci.yml", YAML);
        GhRun run = awaitRun(1);
        GhJob job = run.job("build").start(T0);
        job.step("Deploy", T0).complete("success", T0.plusSeconds(2));
        String b64 = Base64.getEncoder().encodeToString(ALPHA.getBytes(StandardCharsets.UTF_8));
        job.complete("success", T0.plusSeconds(2), "\uFEFF2026-02-03T10:00:00.1000000Z ##[group]Deploy\n"
                + "2026-02-03T10:00:00.2000000Z using " + ALPHA + " now\r\n"
                + "2026-02-03T10:00:00.3000000Z auth " + b64 + "\n"
                + "2026-02-03T10:00:00.4000000Z ##[error]bad token " + ALPHA);
        run.status("completed", "success");
        assertEquals(RunState.SUCCESS, r.awaitTerminal().state());
        String all = String.join("\n", r.logFrames());
        assertTrue(all.contains("\"content\":\"using *** now\""), all);
        assertTrue(all.contains("\"content\":\"auth ***\""), all);
        assertTrue(all.contains("\"content\":\"Error: bad token ***\""), all);
        assertNothingLeaked(List.of(r), ALPHA);
    }

    private static <T> List<T> names(java.util.Iterator<T> it) {
        List<T> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
