package dev.weft.provider.github;

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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("weft doctor: GitHub credentials and webhook secret")
class GitHubChecksTest {
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
        env.put("WEFT_GITHUB_API", server.url("/api/v3/").toString());
        for (int i = 0; i < kv.length; i += 2) env.put(kv[i], kv[i + 1]);
        return env;
    }

    List<Check> checks(Map<String, String> env) {
        return new GitHubProviderFactory().checks(ProviderChecks.context("github", env, Duration.ofSeconds(3), "ci.example"));
    }

    static MockResponse resp(int code, String body, String... headers) {
        MockResponse.Builder b = new MockResponse.Builder().code(code).body(body);
        for (int i = 0; i < headers.length; i += 2) b.addHeader(headers[i], headers[i + 1]);
        return b.build();
    }

    static Check named(List<Check> checks, String name) {
        return checks.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError(checks.toString()));
    }

    @Test
    @DisplayName("no credentials: skipped, nothing asked")
    void unconfigured() {
        List<Check> checks = checks(env());
        assertEquals(1, checks.size());
        assertEquals(Check.Status.SKIP, checks.get(0).status());
        assertEquals(0, server.getRequestCount());
    }

    @Test
    @DisplayName("classic token with repo: ok; the webhook secret set: ok")
    void classic() throws Exception {
        server.enqueue(resp(200, "{}", "X-OAuth-Scopes", "repo, workflow"));
        List<Check> checks = checks(env("WEFT_GITHUB_TOKEN", "ghp_x", "WEFT_GITHUB_WEBHOOK_SECRET", "s"));
        assertEquals(Check.Status.OK, named(checks, "github token").status());
        assertEquals(Check.Status.OK, named(checks, "github webhook secret").status());
        RecordedRequest r = server.takeRequest();
        assertEquals("/api/v3/rate_limit", r.getUrl().encodedPath());
        assertEquals("Bearer ghp_x", r.getHeaders().get("Authorization"));
    }

    @Test
    @DisplayName("classic token without repo fails; a missing webhook secret warns")
    void classicWithoutRepo() {
        server.enqueue(resp(200, "{}", "X-OAuth-Scopes", "public_repo"));
        List<Check> checks = checks(env("WEFT_GITHUB_TOKEN", "ghp_x"));
        Check token = named(checks, "github token");
        assertEquals(Check.Status.FAIL, token.status());
        assertTrue(token.detail().contains("public_repo") && token.fix().contains("repo scope"), token.toString());
        Check secret = named(checks, "github webhook secret");
        assertEquals(Check.Status.WARN, secret.status());
        assertTrue(secret.fix().contains("WEFT_GITHUB_WEBHOOK_SECRET"), secret.fix());
    }

    @Test
    @DisplayName("a fine-grained token (no scopes header) is shown valid; a refused token fails")
    void fineGrainedAndRefused() {
        server.enqueue(resp(200, "{}"));
        assertEquals(Check.Status.OK, named(checks(env("WEFT_GITHUB_TOKEN", "github_pat_x")), "github token").status());
        server.enqueue(resp(401, "{\"message\":\"Bad credentials\"}"));
        Check refused = named(checks(env("WEFT_GITHUB_TOKEN", "github_pat_x")), "github token");
        assertEquals(Check.Status.FAIL, refused.status());
        assertFalse(refused.detail().contains("github_pat_x"), "the token must not show");
    }

    @Test
    @DisplayName("an App installation: its permissions are read from the minted token's answer")
    void app() throws Exception {
        Map<String, String> env = env("WEFT_GITHUB_APP_ID", "123", "WEFT_GITHUB_APP_INSTALLATION_ID", "42",
                "WEFT_GITHUB_APP_PRIVATE_KEY", AppKeys.pkcs1Pem());
        server.enqueue(resp(201, "{\"token\":\"ghs_x\",\"permissions\":{\"actions\":\"write\",\"contents\":\"read\",\"secrets\":\"write\",\"metadata\":\"read\"}}"));
        assertEquals(Check.Status.OK, named(checks(env), "github app").status());
        RecordedRequest r = server.takeRequest();
        assertEquals("POST", r.getMethod());
        assertEquals("/api/v3/app/installations/42/access_tokens", r.getUrl().encodedPath());
        assertTrue(r.getHeaders().get("Authorization").startsWith("Bearer ey"), "an app JWT");

        server.enqueue(resp(201, "{\"token\":\"ghs_x\",\"permissions\":{\"actions\":\"write\",\"contents\":\"read\"}}"));
        assertEquals(Check.Status.WARN, named(checks(env), "github app").status(), "no secrets permission");

        server.enqueue(resp(201, "{\"token\":\"ghs_x\",\"permissions\":{\"actions\":\"read\",\"metadata\":\"read\"}}"));
        Check lacking = named(checks(env), "github app");
        assertEquals(Check.Status.FAIL, lacking.status());
        assertTrue(lacking.detail().contains("actions: write") && lacking.detail().contains("contents: read"), lacking.detail());

        server.enqueue(resp(404, "{\"message\":\"Not Found\"}"));
        Check missing = named(checks(env), "github app");
        assertEquals(Check.Status.FAIL, missing.status());
        assertTrue(missing.fix().contains("WEFT_GITHUB_APP_INSTALLATION_ID"), missing.fix());

        server.enqueue(resp(401, "{\"message\":\"A JSON web token could not be decoded\"}"));
        assertEquals(Check.Status.FAIL, named(checks(env), "github app").status());
    }

    @Test
    @DisplayName("GitHub unreachable fails within the timeout")
    void unreachable() {
        server.close();
        long start = System.nanoTime();
        assertEquals(Check.Status.FAIL, named(checks(env("WEFT_GITHUB_TOKEN", "x")), "github token").status());
        assertTrue(System.nanoTime() - start < 5_000_000_000L);
    }
}
