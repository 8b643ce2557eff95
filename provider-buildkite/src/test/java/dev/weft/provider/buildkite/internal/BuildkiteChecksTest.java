package dev.weft.provider.buildkite.internal;

import dev.weft.provider.buildkite.BuildkiteProviderFactory;
import dev.weft.providers.ProviderChecks;
import dev.weft.spi.Check;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("weft doctor: the Buildkite token's scopes and the webhook secret")
class BuildkiteChecksTest {
    MockWebServer server;

    @BeforeEach
    void start() throws Exception {
        server = new MockWebServer();
        server.start(InetAddress.getLoopbackAddress(), 0);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    Map<String, String> env(String... kv) {
        Map<String, String> env = new HashMap<>();
        env.put("WEFT_BUILDKITE_API", server.url("/v2").toString());
        for (int i = 0; i < kv.length; i += 2) env.put(kv[i], kv[i + 1]);
        return env;
    }

    List<Check> checks(Map<String, String> env) {
        return new BuildkiteProviderFactory().checks(ProviderChecks.context("buildkite", env, Duration.ofSeconds(3), "ci.example"));
    }

    static Check named(List<Check> checks, String name) {
        return checks.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError(checks.toString()));
    }

    static MockResponse scopes(String... scopes) {
        return new MockResponse.Builder().code(200)
                .body("{\"uuid\":\"u\",\"scopes\":[" + String.join(",", java.util.Arrays.stream(scopes).map(s -> "\"" + s + "\"").toList()) + "]}")
                .build();
    }

    @Test
    @DisplayName("no token: skipped, nothing asked")
    void unconfigured() {
        List<Check> checks = checks(env());
        assertEquals(List.of(Check.Status.SKIP), checks.stream().map(Check::status).toList());
        assertEquals(0, server.getRequestCount());
    }

    @Test
    @DisplayName("every scope weft uses: ok, asked at GET /v2/access-token with the token")
    void allScopes() throws Exception {
        server.enqueue(scopes("read_builds", "write_builds", "read_build_logs", "read_pipelines", "read_agents"));
        List<Check> checks = checks(env("WEFT_BUILDKITE_TOKEN", "bkua_x", "WEFT_BUILDKITE_WEBHOOK_SECRET", "s"));
        assertEquals(Check.Status.OK, named(checks, "buildkite token").status());
        assertEquals(Check.Status.OK, named(checks, "buildkite webhook secret").status());
        RecordedRequest r = server.takeRequest();
        assertEquals("/v2/access-token", r.getUrl().encodedPath());
        assertEquals("Bearer bkua_x", r.getHeaders().get("Authorization"));
    }

    @Test
    @DisplayName("missing scopes fail, naming them; a missing webhook secret warns; the tack alias counts")
    void missingScopes() {
        server.enqueue(scopes("read_builds", "write_builds"));
        List<Check> checks = checks(env("TACK_BUILDKITE_TOKEN", "bkua_x"));
        Check token = named(checks, "buildkite token");
        assertEquals(Check.Status.FAIL, token.status());
        assertTrue(token.detail().contains("read_build_logs, read_pipelines"), token.detail());
        assertEquals(Check.Status.WARN, named(checks, "buildkite webhook secret").status());
    }

    @Test
    @DisplayName("a refused token, a failing API and an unreachable one fail")
    void failures() {
        server.enqueue(new MockResponse.Builder().code(401).body("{\"message\":\"Authentication required\"}").build());
        assertEquals(Check.Status.FAIL, named(checks(env("WEFT_BUILDKITE_TOKEN", "x")), "buildkite token").status());
        server.enqueue(new MockResponse.Builder().code(500).body("oops").build());
        Check failing = named(checks(env("WEFT_BUILDKITE_TOKEN", "x")), "buildkite token");
        assertEquals(Check.Status.FAIL, failing.status());
        assertTrue(failing.detail().contains("500"), failing.detail());
        server.close();
        assertEquals(Check.Status.FAIL, named(checks(env("WEFT_BUILDKITE_TOKEN", "x")), "buildkite token").status());
    }

    @Test
    @DisplayName("a configuration the provider would refuse yields no checks here (the doctor's configuration check reports it)")
    void badConfig() {
        assertEquals(List.of(), checks(env("WEFT_BUILDKITE_TOKEN", "x", "WEFT_BUILDKITE_WEBHOOK_MODE", "sometimes")));
    }
}
