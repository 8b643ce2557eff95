package dev.weft.provider.buildkite.internal;

import dev.weft.provider.buildkite.BuildkiteProviderFactory;
import dev.weft.provider.buildkite.fake.FakeBuildkite;
import dev.weft.provider.buildkite.fake.FakeContext;
import dev.weft.testkit.FakeRun;
import dev.weft.provider.buildkite.fake.Runs;
import dev.weft.spi.LogFetch;
import dev.weft.spi.Provider;
import dev.weft.spi.ProviderConfigException;
import dev.weft.spi.WebhookRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The provider with a fake context: configuration, webhook routing and log fill-in. */
class BuildkiteProviderUnitTest {
    static final String SECRET = "s3cret";
    FakeBuildkite bk;
    FakeContext ctx;
    Provider provider;

    @BeforeEach
    void setUp() throws Exception {
        bk = new FakeBuildkite();
    }

    @AfterEach
    void tearDown() {
        if (provider != null) provider.close();
        if (ctx != null) ctx.close();
        bk.close();
    }

    Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("WEFT_BUILDKITE_TOKEN", FakeBuildkite.TOKEN);
        env.put("WEFT_BUILDKITE_API", bk.apiBase());
        env.put("WEFT_BUILDKITE_ORG", "acme");
        env.put("WEFT_BUILDKITE_WEBHOOK_SECRET", SECRET);
        return env;
    }

    Provider create(Map<String, String> env) throws ProviderConfigException {
        ctx = new FakeContext(env);
        provider = new BuildkiteProviderFactory().create(ctx);
        return provider;
    }

    @Test
    @DisplayName("every bad variable is named at once")
    void configProblems() {
        Map<String, String> env = env();
        env.put("WEFT_BUILDKITE_API", "not a url");
        env.put("WEFT_BUILDKITE_POLL", "soon");
        env.put("WEFT_BUILDKITE_WEBHOOK_MODE", "hmac");
        env.put("WEFT_BUILDKITE_REQUESTS_PER_MINUTE", "-1");
        var e = assertThrows(ProviderConfigException.class, () -> create(env));
        String all = String.join("\n", e.problems());
        for (String v : List.of("WEFT_BUILDKITE_API", "WEFT_BUILDKITE_POLL", "WEFT_BUILDKITE_WEBHOOK_MODE",
                "WEFT_BUILDKITE_REQUESTS_PER_MINUTE")) {
            assertTrue(all.contains(v), v + " in " + all);
        }
    }

    @Test
    @DisplayName("an operator without Buildkite configuration still starts; both webhook routes are mounted")
    void unconfigured() throws Exception {
        create(Map.of());
        assertNotNull(ctx.route("/hooks/buildkite"));
        assertNotNull(ctx.route("/webhooks/buildkite"));
    }

    @Test
    @DisplayName("a verified webhook about a build weft does not follow, or malformed JSON, does no harm")
    void webhookRouting() throws Exception {
        create(env());
        FakeRun run = Runs.push(5);
        ctx.addRun(run);
        run.attach("acme/app/9", "https://buildkite.com/acme/app/builds/9");
        run.attribute("uuid", "u-9");
        var route = ctx.route("/hooks/buildkite");
        assertEquals(200, route.handle(req("{\"event\":\"build.finished\",\"build\":{\"id\":\"other\",\"number\":1,"
                + "\"url\":\"https://api.buildkite.com/v2/organizations/x/pipelines/y/builds/1\"}}")).status());
        assertEquals(400, route.handle(req("not json")).status());
        assertEquals(200, route.handle(req("{\"event\":\"ping\"}")).status());
        assertEquals(0, bk.requests().size(), "webhooks never call the API on the request thread");
        assertEquals(401, route.handle(new WebhookRequest("POST", "/hooks/buildkite", Map.of(),
                "{}".getBytes(StandardCharsets.UTF_8))).status());
        assertEquals(1.0, ctx.meters().get("weft.buildkite.webhooks.rejected").tag("reason", "missing").counter().count());
    }

    static WebhookRequest req(String body) {
        return new WebhookRequest("POST", "/hooks/buildkite", Map.of("x-buildkite-token", List.of(SECRET)),
                body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("fetchLogs fills in the log of a finished build nobody follows; a deleted build is NOT_FOUND")
    void fetchLogs() throws Exception {
        create(env());
        var b = bk.addBuild("acme", "app", Map.of());
        b.state("passed");
        b.addJob("Tests", "make test").start(Instant.EPOCH).append("hello\n").finish("passed", 0, Instant.EPOCH);
        FakeRun run = Runs.push(6);
        run.attach("acme/app/" + b.number, b.webUrl());
        assertEquals(LogFetch.COMPLETE, provider.fetchLogs(run));
        assertEquals(List.of("start 0 Buildkite build #1 system", "line 0 " + b.webUrl(), "end 0",
                "start 1 Tests [make test]", "line 1 hello", "end 1"), run.lines());

        FakeRun gone = Runs.push(7);
        gone.attach("acme/app/99", null);
        assertEquals(LogFetch.NOT_FOUND, provider.fetchLogs(gone));
    }

    @Test
    @DisplayName("fetchLogs reports a backend failure when Buildkite cannot be reached")
    void fetchLogsBackendDown() throws Exception {
        Map<String, String> env = env();
        env.put("WEFT_BUILDKITE_API", "http://127.0.0.1:1/v2");
        env.put("WEFT_BUILDKITE_RETRY_BACKOFF", "10ms");
        env.put("WEFT_BUILDKITE_HTTP_TIMEOUT", "1s");
        create(env);
        FakeRun run = Runs.push(8);
        run.attach("acme/app/1", null);
        assertEquals(LogFetch.BACKEND_FAILURE, provider.fetchLogs(run));
    }
}
