package dev.weft.provider.github;

import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.SignedJWT;
import dev.weft.provider.github.rest.ApiResponse;
import dev.weft.provider.github.rest.AppJwt;
import dev.weft.provider.github.rest.AppTokens;
import dev.weft.provider.github.rest.GitHubRest;
import dev.weft.provider.github.rest.JobLogFetcher;
import dev.weft.provider.github.rest.RateLimitPolicy;
import dev.weft.provider.github.rest.RateLimitedException;
import dev.weft.provider.github.rest.RateLimiter;
import dev.weft.provider.github.rest.Sleeper;
import dev.weft.provider.github.rest.TokenSource;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Headers;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RestClientTest {
    static final Instant NOW = Instant.parse("2026-02-03T10:00:00Z");

    /** A clock tests move by hand; sleeping through the recording sleeper moves it too. */
    static final class TestClock extends Clock {
        volatile Instant now = NOW;

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    final TestClock clock = new TestClock();
    final List<Duration> slept = new ArrayList<>();
    final Sleeper sleeper = d -> {
        slept.add(d);
        clock.now = clock.now.plus(d);
    };
    MockWebServer server;
    OkHttpClient http;
    GitHubRest rest;

    @BeforeEach
    void setUp() throws Exception {
        server = new MockWebServer();
        server.start(InetAddress.getLoopbackAddress(), 0);
        http = new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(5)).build();
        rest = new GitHubRest(http, server.url("/api/v3/"), TokenSource.fixed("pat"), new RateLimiter(clock, sleeper, 100, 900, 80),
                clock, sleeper);
    }

    @AfterEach
    void tearDown() {
        server.close();
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }

    static MockResponse resp(int code, String body, String... headers) {
        MockResponse.Builder b = new MockResponse.Builder().code(code).body(body);
        for (int i = 0; i < headers.length; i += 2) b.addHeader(headers[i], headers[i + 1]);
        return b.build();
    }

    @Test
    @DisplayName("every call carries the token, Accept and API version, under the GHES base path")
    void headers() throws Exception {
        server.enqueue(resp(200, "{\"ok\":true}"));
        ApiResponse r = rest.get(rest.repo("o", "r", "actions", "runs", "1").build());
        assertEquals(200, r.code());
        RecordedRequest req = server.takeRequest();
        assertEquals("/api/v3/repos/o/r/actions/runs/1", req.getUrl().encodedPath());
        assertEquals("Bearer pat", req.getHeaders().get("Authorization"));
        assertEquals("application/vnd.github+json", req.getHeaders().get("Accept"));
        assertEquals("2022-11-28", req.getHeaders().get("X-GitHub-Api-Version"));
    }

    @Nested
    @DisplayName("rate limits")
    class RateLimits {
        @Test
        @DisplayName("403 with remaining 0 waits until x-ratelimit-reset, then retries")
        void primary403() throws Exception {
            long reset = NOW.plusSeconds(90).getEpochSecond();
            server.enqueue(resp(403, "{\"message\":\"API rate limit exceeded\"}", "x-ratelimit-remaining", "0",
                    "x-ratelimit-reset", Long.toString(reset)));
            server.enqueue(resp(200, "{}"));
            assertEquals(200, rest.get(rest.url("rate").build()).code());
            assertEquals(List.of(Duration.ofSeconds(90)), slept);
            assertEquals(2, server.getRequestCount());
        }

        @Test
        @DisplayName("429 with retry-after waits that long")
        void retryAfter429() throws Exception {
            server.enqueue(resp(429, "{}", "retry-after", "7"));
            server.enqueue(resp(200, "{}"));
            assertEquals(200, rest.get(rest.url("x").build()).code());
            assertEquals(List.of(Duration.ofSeconds(7)), slept);
        }

        @Test
        @DisplayName("403 secondary limit with retry-after waits that long")
        void retryAfter403() throws Exception {
            server.enqueue(resp(403, "{\"message\":\"You have exceeded a secondary rate limit\"}", "retry-after", "30"));
            server.enqueue(resp(200, "{}"));
            assertEquals(200, rest.post(rest.url("x").build(), null).code());
            assertEquals(List.of(Duration.ofSeconds(30)), slept);
        }

        @Test
        @DisplayName("429 without retry-after waits a minute, then doubles")
        void backoff429() throws Exception {
            server.enqueue(resp(429, "{}"));
            server.enqueue(resp(429, "{}"));
            server.enqueue(resp(403, "{\"message\":\"secondary rate limit\"}"));
            server.enqueue(resp(200, "{}"));
            assertEquals(200, rest.get(rest.url("x").build()).code());
            assertEquals(List.of(Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(4)), slept);
        }

        @Test
        @DisplayName("a 403 that is not a rate limit is returned, not retried")
        void plain403() throws Exception {
            server.enqueue(resp(403, "{\"message\":\"Resource not accessible by integration\"}", "x-ratelimit-remaining", "4999"));
            ApiResponse r = rest.get(rest.url("x").build());
            assertEquals(403, r.code());
            assertEquals("HTTP 403: Resource not accessible by integration", r.describe());
            assertTrue(slept.isEmpty());
        }

        @Test
        @DisplayName("a success saying none remain makes the next call wait for the reset")
        void remainingZeroOnSuccess() throws Exception {
            server.enqueue(resp(200, "{}", "x-ratelimit-remaining", "0", "x-ratelimit-reset",
                    Long.toString(NOW.plusSeconds(40).getEpochSecond())));
            server.enqueue(resp(200, "{}"));
            rest.get(rest.url("a").build());
            assertTrue(slept.isEmpty());
            rest.get(rest.url("b").build());
            assertEquals(List.of(Duration.ofSeconds(40)), slept);
        }

        @Test
        @DisplayName("still limited after several waits: a RateLimitedException carrying the wait")
        void givesUp() {
            for (int i = 0; i < 10; i++) server.enqueue(resp(429, "{}", "retry-after", "5"));
            RateLimitedException e = assertThrows(RateLimitedException.class, () -> rest.get(rest.url("x").build()));
            assertEquals(Duration.ofSeconds(5), e.retryAfter());
        }

        @Test
        @DisplayName("secondary limits: points and writes per minute are spread out")
        void secondaryWindow() throws Exception {
            RateLimiter limiter = new RateLimiter(clock, sleeper, 100, 10, 1);
            limiter.acquire(true).close();  // 5 points, 1 write
            limiter.acquire(false).close(); // 6
            assertTrue(slept.isEmpty());
            limiter.acquire(true).close();  // a second write within the minute waits for the first to age out
            assertEquals(List.of(Duration.ofMinutes(1)), slept);
        }

        @Test
        void policyIgnoresOtherStatuses() {
            assertEquals(Optional.empty(), RateLimitPolicy.waitFor(500, Headers.of("retry-after", "3"), "", NOW, 0));
            assertEquals(Optional.of(Duration.ofMinutes(16)), RateLimitPolicy.waitFor(429, Headers.of(), "", NOW, 9));
            assertEquals(Optional.of(Duration.ofSeconds(1)), RateLimitPolicy.waitFor(403,
                    Headers.of("x-ratelimit-remaining", "0", "x-ratelimit-reset", Long.toString(NOW.getEpochSecond() - 5)), "", NOW, 0));
        }
    }

    @Nested
    @DisplayName("GitHub App")
    class App {
        @Test
        @DisplayName("the JWT is RS256 with iss, iat now-60s and exp within 10 minutes")
        void jwt() throws Exception {
            AppJwt jwt = new AppJwt("Iv23liExample", AppJwt.parsePrivateKey(AppKeys.pkcs1Pem()));
            SignedJWT parsed = SignedJWT.parse(jwt.mint(NOW));
            assertEquals("RS256", parsed.getHeader().getAlgorithm().getName());
            assertTrue(parsed.verify(new RSASSAVerifier((RSAPublicKey) AppKeys.PAIR.getPublic())));
            assertEquals("Iv23liExample", parsed.getJWTClaimsSet().getIssuer());
            assertEquals(NOW.minusSeconds(60), parsed.getJWTClaimsSet().getIssueTime().toInstant());
            Instant exp = parsed.getJWTClaimsSet().getExpirationTime().toInstant();
            assertTrue(exp.isAfter(NOW) && !exp.isAfter(NOW.plus(Duration.ofMinutes(10))), exp.toString());
        }

        @Test
        void pkcs8KeysToo() {
            AppJwt.parsePrivateKey(AppKeys.pkcs8Pem());
            assertThrows(IllegalArgumentException.class, () -> AppJwt.parsePrivateKey("not a key"));
        }

        @Test
        @DisplayName("the installation token is cached, refreshed before its hour ends, and replaced after a 401")
        void refresh() throws Exception {
            AppTokens tokens = new AppTokens(new AppJwt("42", AppJwt.parsePrivateKey(AppKeys.pkcs1Pem())), "678", http,
                    server.url("/api/v3/"), clock);
            GitHubRest app = new GitHubRest(http, server.url("/api/v3/"), tokens, new RateLimiter(clock, sleeper, 100, 900, 80),
                    clock, sleeper);
            server.enqueue(resp(201, "{\"token\":\"ghs_one\",\"expires_at\":\"" + NOW.plus(Duration.ofHours(1)) + "\"}"));
            server.enqueue(resp(200, "{}"));
            server.enqueue(resp(200, "{}"));
            app.get(app.url("a").build());
            clock.now = NOW.plus(Duration.ofMinutes(50));
            app.get(app.url("b").build());
            RecordedRequest mint = server.takeRequest();
            assertEquals("/api/v3/app/installations/678/access_tokens", mint.getUrl().encodedPath());
            assertEquals("POST", mint.getMethod());
            SignedJWT jwt = SignedJWT.parse(mint.getHeaders().get("Authorization").substring("Bearer ".length()));
            assertEquals("42", jwt.getJWTClaimsSet().getIssuer());
            assertEquals("Bearer ghs_one", server.takeRequest().getHeaders().get("Authorization"));
            assertEquals("Bearer ghs_one", server.takeRequest().getHeaders().get("Authorization"));

            // 56 minutes in: within 5 minutes of the end, a new token is minted first.
            clock.now = NOW.plus(Duration.ofMinutes(56));
            server.enqueue(resp(201, "{\"token\":\"ghs_two\",\"expires_at\":\"" + clock.now.plus(Duration.ofHours(1)) + "\"}"));
            server.enqueue(resp(200, "{}"));
            app.get(app.url("c").build());
            assertEquals("/api/v3/app/installations/678/access_tokens", server.takeRequest().getUrl().encodedPath());
            assertEquals("Bearer ghs_two", server.takeRequest().getHeaders().get("Authorization"));

            // A revoked token: 401, one fresh token, the call again.
            server.enqueue(resp(401, "{\"message\":\"Bad credentials\"}"));
            server.enqueue(resp(201, "{\"token\":\"ghs_three\",\"expires_at\":\"" + clock.now.plus(Duration.ofHours(1)) + "\"}"));
            server.enqueue(resp(200, "{}"));
            assertEquals(200, app.get(app.url("d").build()).code());
            assertEquals("Bearer ghs_two", server.takeRequest().getHeaders().get("Authorization"));
            server.takeRequest();
            assertEquals("Bearer ghs_three", server.takeRequest().getHeaders().get("Authorization"));
        }
    }

    @Test
    @DisplayName("a job log: 302 from the API, then downloaded without the token")
    void logRedirectWithoutToken() throws Exception {
        try (MockWebServer storage = new MockWebServer()) {
            storage.start(InetAddress.getLoopbackAddress(), 0);
            storage.setDispatcher(new mockwebserver3.Dispatcher() {
                @Override
                public MockResponse dispatch(RecordedRequest request) {
                    return request.getHeaders().get("Authorization") != null ? resp(403, "token leaked")
                            : resp(200, "2026-02-03T10:00:00.0000000Z hi\n");
                }
            });
            server.enqueue(resp(302, "", "Location", storage.url("/blob?sig=1").toString()));
            JobLogFetcher fetcher = new JobLogFetcher(rest, http);
            assertEquals(Optional.of("2026-02-03T10:00:00.0000000Z hi\n"), fetcher.fetch("o", "r", 5));
            RecordedRequest api = server.takeRequest();
            assertEquals("/api/v3/repos/o/r/actions/jobs/5/logs", api.getUrl().encodedPath());
            assertEquals("Bearer pat", api.getHeaders().get("Authorization"));
            RecordedRequest dl = storage.takeRequest(5, TimeUnit.SECONDS);
            assertNull(dl.getHeaders().get("Authorization"));
            assertEquals("sig=1", dl.getUrl().encodedQuery());
        }
    }

    @Test
    void logNotThere() throws Exception {
        server.enqueue(resp(404, "{\"message\":\"Not Found\"}"));
        assertEquals(Optional.empty(), new JobLogFetcher(rest, http).fetch("o", "r", 5));
    }
}
