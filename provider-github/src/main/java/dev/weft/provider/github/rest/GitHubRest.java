package dev.weft.provider.github.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * GitHub's REST API over OkHttp: the three headers on every call, the token from a
 * {@link TokenSource} (a rejected App token is replaced once), and the rate-limit rules: a
 * rate-limited answer is waited out as {@link RateLimitPolicy} says and the request sent again, up
 * to {@link #MAX_LIMITED} times. Redirects are not followed, so callers see a log's 302. Every other
 * answer, 4xx and 5xx included, is returned to the caller to judge; transport failures throw.
 * Thread-safe.
 */
public final class GitHubRest {
    private static final Logger log = LoggerFactory.getLogger(GitHubRest.class);
    public static final String ACCEPT = "application/vnd.github+json";
    public static final String API_VERSION = "2022-11-28";
    static final int MAX_LIMITED = 6;
    private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");

    private final OkHttpClient http;
    private final HttpUrl api;
    private final TokenSource tokens;
    private final RateLimiter limiter;
    private final Clock clock;
    private final Sleeper sleeper;
    private final RateLimitListener listener;

    /** Told about every rate-limited answer the client waits out (for metrics). */
    @FunctionalInterface
    public interface RateLimitListener {
        RateLimitListener NONE = (code, wait) -> { };

        void limited(int code, Duration wait);
    }

    public GitHubRest(OkHttpClient http, HttpUrl api, TokenSource tokens, RateLimiter limiter, Clock clock,
                      Sleeper sleeper) {
        this(http, api, tokens, limiter, clock, sleeper, RateLimitListener.NONE);
    }

    public GitHubRest(OkHttpClient http, HttpUrl api, TokenSource tokens, RateLimiter limiter, Clock clock,
                      Sleeper sleeper, RateLimitListener listener) {
        this.http = http.newBuilder().followRedirects(false).followSslRedirects(false).build();
        this.api = api;
        this.tokens = tokens;
        this.limiter = limiter;
        this.clock = clock;
        this.sleeper = sleeper;
        this.listener = listener;
    }

    /** The API base with {@code segments} appended, each one encoded as a single path segment. */
    public HttpUrl.Builder url(String... segments) {
        HttpUrl.Builder b = api.newBuilder();
        for (String s : segments) b.addPathSegment(s);
        return b;
    }

    /** {@code /repos/{owner}/{repo}/...}. */
    public HttpUrl.Builder repo(String owner, String repo, String... rest) {
        HttpUrl.Builder b = url("repos", owner, repo);
        for (String s : rest) b.addPathSegment(s);
        return b;
    }

    public ApiResponse get(HttpUrl url) throws IOException, InterruptedException {
        return send("GET", url, null);
    }

    public ApiResponse post(HttpUrl url, JsonNode body) throws IOException, InterruptedException {
        return send("POST", url, body);
    }

    public ApiResponse send(String method, HttpUrl url, JsonNode body) throws IOException, InterruptedException {
        boolean write = !method.equals("GET") && !method.equals("HEAD");
        byte[] bytes = body == null ? (write ? new byte[0] : null) : toBytes(body);
        boolean refreshed = false;
        int limited = 0;
        while (true) {
            String token = tokens.token();
            Request.Builder rb = new Request.Builder().url(url)
                    .header("Authorization", "Bearer " + token)
                    .header("Accept", ACCEPT)
                    .header("X-GitHub-Api-Version", API_VERSION);
            rb.method(method, bytes == null ? null : RequestBody.create(bytes, JSON));
            ApiResponse response;
            RateLimiter.Permit permit = limiter.acquire(write);
            try (Response r = http.newCall(rb.build()).execute()) {
                response = new ApiResponse(r.code(), r.headers(), r.body().string());
            } finally {
                permit.close();
            }
            limiter.observe(response.headers());
            if (response.code() == 401 && tokens.refreshable() && !refreshed) {
                tokens.invalidate(token);
                refreshed = true;
                continue;
            }
            Optional<Duration> wait = RateLimitPolicy.waitFor(response.code(), response.headers(), response.body(),
                    clock.instant(), limited);
            if (wait.isEmpty()) return response;
            limited++;
            if (limited > MAX_LIMITED) {
                throw new RateLimitedException("GitHub rate limit: " + method + " " + url.encodedPath()
                        + " still limited after " + MAX_LIMITED + " waits", wait.get());
            }
            log.warn("GitHub rate limit on {} {} (HTTP {}): waiting {}", method, url.encodedPath(),
                    response.code(), wait.get());
            listener.limited(response.code(), wait.get());
            limiter.blockUntil(clock.instant().plus(wait.get()));
            sleeper.sleep(wait.get());
        }
    }

    private static byte[] toBytes(JsonNode body) {
        try {
            return GitHubJson.MAPPER.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** GitHub's error {@code message} plus any {@code errors[].message}, or the body's start. */
    public static String message(String body) {
        if (body == null || body.isBlank()) return "";
        try {
            JsonNode json = GitHubJson.MAPPER.readTree(body);
            StringBuilder sb = new StringBuilder(json.path("message").asText(""));
            for (JsonNode e : json.path("errors")) {
                String m = e.isTextual() ? e.asText() : e.path("message").asText("");
                if (!m.isEmpty()) sb.append(sb.isEmpty() ? "" : ": ").append(m);
            }
            if (!sb.isEmpty()) return sb.toString();
        } catch (IOException | RuntimeException ignored) {
            // not JSON: fall through
        }
        String t = body.strip();
        return t.length() > 200 ? t.substring(0, 200) + "…" : t;
    }

    /** Follows GitHub's {@code Link: <...>; rel="next"} header, when present. */
    public static Optional<HttpUrl> nextPage(ApiResponse response) {
        String link = response.headers().get("Link");
        if (link == null) return Optional.empty();
        for (String part : link.split(",")) {
            List<String> bits = List.of(part.split(";"));
            if (bits.size() < 2 || !bits.get(1).contains("rel=\"next\"")) continue;
            String u = bits.get(0).trim();
            if (u.startsWith("<") && u.endsWith(">")) return Optional.ofNullable(HttpUrl.parse(u.substring(1, u.length() - 1)));
        }
        return Optional.empty();
    }
}
