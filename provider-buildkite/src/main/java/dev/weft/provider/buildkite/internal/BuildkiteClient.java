package dev.weft.provider.buildkite.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Buildkite REST calls weft makes. Blocking; call it from a run's own virtual thread, never from
 * a webhook handler. Every request of an organization goes through that organization's
 * {@link RateLimiter}; a 429 pauses the organization until {@code RateLimit-Reset} and is retried.
 * Idempotent requests (GET, HEAD, cancel) are retried after a 5xx or I/O error with exponential
 * backoff; a create never is, because it may have succeeded (see {@link BuildkiteException.Transient#ambiguous()}).
 */
public final class BuildkiteClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BuildkiteClient.class);
    private static final MediaType JSON = MediaType.get("application/json");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)");
    private static final int MAX_ATTEMPTS = 5;
    private static final int MAX_RATE_LIMITED = 20;
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final HttpUrl base;
    private final String token;
    private final OkHttpClient http;
    private final RateLimiter.PerOrg limiters;
    private final Duration backoff;
    private final ObjectMapper json;

    public BuildkiteClient(HttpUrl base, String token, Duration timeout, Duration backoff,
                           RateLimiter.PerOrg limiters, ObjectMapper json) {
        this.base = base;
        this.token = token;
        this.limiters = limiters;
        this.backoff = backoff;
        this.json = json;
        this.http = new OkHttpClient.Builder()
                .callTimeout(timeout)
                .connectTimeout(timeout)
                .readTimeout(timeout)
                .followRedirects(true)
                .retryOnConnectionFailure(false)
                .build();
    }

    /** A slice of a job log: {@code bytes} start at offset {@code start} of a log {@code total} long. */
    public record LogChunk(byte[] bytes, long start, long total) {
    }

    // ---- builds ----

    /**
     * {@code POST /organizations/{org}/pipelines/{pipeline}/builds}.
     *
     * @throws BuildkiteException.Rejected on 422, with Buildkite's message
     * @throws BuildkiteException.Transient with {@code ambiguous} set on a 5xx or timeout: the build
     *     may exist, look it up by meta-data before trying again
     */
    public Build createBuild(String org, String pipeline, ObjectNode body) throws BuildkiteException, InterruptedException {
        HttpUrl url = pipelineUrl(org, pipeline).addPathSegment("builds").build();
        Request req = request(url).post(RequestBody.create(body.toString(), JSON)).build();
        try (Response r = execute(org, req, false)) {
            if (r.code() == 201 || r.code() == 200) {
                try {
                    return Build.parse(readJson(r));
                } catch (BuildkiteException e) {
                    throw new BuildkiteException.Transient(e.getMessage(), r.code(), e, true);
                }
            }
            throw failure("create build in " + org + "/" + pipeline, r);
        }
    }

    /**
     * {@code GET .../builds?meta_data[key]=value}; also checks the meta-data locally (and {@code also}
     * when given) in case the filter was ignored. The oldest match wins.
     */
    public Optional<Build> findBuild(String org, String pipeline, String key, String value,
                                     String alsoKey, String alsoValue) throws BuildkiteException, InterruptedException {
        HttpUrl url = pipelineUrl(org, pipeline).addPathSegment("builds")
                .addQueryParameter("meta_data[" + key + "]", value)
                .addQueryParameter("per_page", "100")
                .build();
        try (Response r = execute(org, request(url).get().build(), true)) {
            if (r.code() == 404) return Optional.empty();
            if (r.code() != 200) throw failure("look up build " + key + "=" + value, r);
            JsonNode arr = readJson(r);
            Optional<Build> found = Optional.empty();
            for (JsonNode n : arr) {
                Build b = Build.parse(n);
                if (!value.equals(b.metaData().get(key))) continue;
                if (alsoKey != null && b.metaData().containsKey(alsoKey)
                        && !alsoValue.equals(b.metaData().get(alsoKey))) continue;
                found = found.isEmpty() ? Optional.of(b)
                        : Optional.of(java.util.stream.Stream.of(found.get(), b)
                            .min(Comparator.comparingLong(Build::number)).orElseThrow());
            }
            return found;
        }
    }

    /** {@code GET .../builds/{number}}; empty on 404. */
    public Optional<Build> getBuild(String org, String pipeline, long number) throws BuildkiteException, InterruptedException {
        HttpUrl url = pipelineUrl(org, pipeline).addPathSegment("builds").addPathSegment(Long.toString(number)).build();
        try (Response r = execute(org, request(url).get().build(), true)) {
            if (r.code() == 404) return Optional.empty();
            if (r.code() != 200) throw failure("read build " + org + "/" + pipeline + "#" + number, r);
            return Optional.of(Build.parse(readJson(r)));
        }
    }

    /**
     * {@code PUT .../builds/{number}/cancel}.
     *
     * @throws BuildkiteException.Rejected on 422 (the build is not in a cancellable state)
     */
    public Build cancelBuild(String org, String pipeline, long number) throws BuildkiteException, InterruptedException {
        HttpUrl url = pipelineUrl(org, pipeline).addPathSegment("builds").addPathSegment(Long.toString(number))
                .addPathSegment("cancel").build();
        Request req = request(url).put(RequestBody.create(new byte[0], null)).build();
        try (Response r = execute(org, req, true)) {
            if (r.code() == 200) return Build.parse(readJson(r));
            throw failure("cancel build " + org + "/" + pipeline + "#" + number, r);
        }
    }

    /** The pipeline's {@code default_branch}, when it has one. */
    public Optional<String> defaultBranch(String org, String pipeline) throws BuildkiteException, InterruptedException {
        try (Response r = execute(org, request(pipelineUrl(org, pipeline).build()).get().build(), true)) {
            if (r.code() == 404) return Optional.empty();
            if (r.code() != 200) throw failure("read pipeline " + org + "/" + pipeline, r);
            String b = Build.text(readJson(r), "default_branch");
            return b == null || b.isBlank() ? Optional.empty() : Optional.of(b);
        }
    }

    // ---- logs ----

    /**
     * Where a job's raw log is: the job's own {@code raw_log_url} when it is on the API's host (so the
     * token never leaves it), else {@code .../builds/{n}/jobs/{id}/log}.
     */
    public HttpUrl logUrl(String org, String pipeline, long number, Build.Job job) {
        for (String candidate : new String[]{job.rawLogUrl(), job.logUrl()}) {
            HttpUrl u = candidate == null ? null : HttpUrl.parse(candidate);
            if (u != null && u.scheme().equals(base.scheme()) && u.host().equals(base.host()) && u.port() == base.port()) {
                return u;
            }
        }
        return pipelineUrl(org, pipeline).addPathSegment("builds").addPathSegment(Long.toString(number))
                .addPathSegment("jobs").addPathSegment(job.id()).addPathSegment("log").build();
    }

    /** {@code HEAD} of a job log: its size in bytes, or empty when there is no log (yet). */
    public OptionalLong logSize(String org, HttpUrl logUrl) throws BuildkiteException, InterruptedException {
        Request req = request(logUrl).header("Accept", "text/plain").head().build();
        try (Response r = execute(org, req, true)) {
            if (r.code() == 404 || r.code() == 204) return OptionalLong.empty();
            if (r.code() != 200) throw failure("size job log", r);
            String len = r.header("Content-Length");
            if (len == null) return OptionalLong.empty();
            try {
                return OptionalLong.of(Long.parseLong(len.trim()));
            } catch (NumberFormatException e) {
                return OptionalLong.empty();
            }
        }
    }

    /**
     * The last {@code n} bytes of a job log ({@code Range: bytes=-n}). The answer says where they
     * start: the log may have grown since its size was read.
     */
    public Optional<LogChunk> logSuffix(String org, HttpUrl logUrl, long n) throws BuildkiteException, InterruptedException {
        Request req = request(logUrl).header("Accept", "text/plain").header("Range", "bytes=-" + n).get().build();
        try (Response r = execute(org, req, true)) {
            if (r.code() == 404) return Optional.empty();
            if (r.code() == 416) return Optional.of(new LogChunk(new byte[0], 0, 0));
            if (r.code() != 200 && r.code() != 206) throw failure("fetch job log", r);
            byte[] bytes = readBytes(r);
            if (r.code() == 200) return Optional.of(new LogChunk(bytes, 0, bytes.length));
            String cr = r.header("Content-Range");
            Matcher m = cr == null ? null : CONTENT_RANGE.matcher(cr.trim());
            if (m != null && m.matches()) {
                long start = Long.parseLong(m.group(1));
                long total = m.group(3).equals("*") ? start + bytes.length : Long.parseLong(m.group(3));
                return Optional.of(new LogChunk(bytes, start, total));
            }
            // No Content-Range: a suffix of n bytes of a log we take to be as long as we thought.
            return Optional.of(new LogChunk(bytes, -1, -1));
        }
    }

    // ---- plumbing ----

    private HttpUrl.Builder pipelineUrl(String org, String pipeline) {
        return base.newBuilder().addPathSegment("organizations").addPathSegment(org)
                .addPathSegment("pipelines").addPathSegment(pipeline);
    }

    private Request.Builder request(HttpUrl url) {
        return new Request.Builder().url(url)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json")
                .header("User-Agent", "weft-buildkite");
    }

    /**
     * Sends a request through the organization's limiter. 429 is always retried (the request was
     * not processed); 5xx and I/O errors only when {@code idempotent}.
     */
    private Response execute(String org, Request req, boolean idempotent) throws BuildkiteException, InterruptedException {
        RateLimiter limiter = limiters.of(org);
        String what = req.method() + " " + req.url().encodedPath();
        int attempts = 0;
        int limited = 0;
        Duration wait = backoff;
        while (true) {
            if (Thread.currentThread().isInterrupted()) throw new InterruptedException();
            limiter.acquire();
            Response r;
            try {
                r = http.newCall(req).execute();
            } catch (InterruptedIOException e) {
                if (Thread.currentThread().isInterrupted()) throw new InterruptedException();
                if (!idempotent || ++attempts >= MAX_ATTEMPTS) {
                    throw new BuildkiteException.Transient(what + " timed out: " + e.getMessage(), -1, e, !idempotent);
                }
                log.debug("{} timed out, retrying", what);
                wait = sleep(wait);
                continue;
            } catch (IOException e) {
                if (Thread.currentThread().isInterrupted()) throw new InterruptedException();
                if (!idempotent || ++attempts >= MAX_ATTEMPTS) {
                    throw new BuildkiteException.Transient(what + " failed: " + e, -1, e, !idempotent);
                }
                log.debug("{} failed ({}), retrying", what, e.toString());
                wait = sleep(wait);
                continue;
            }
            if (r.code() == 429 && ++limited <= MAX_RATE_LIMITED) {
                Duration reset = resetOf(r);
                r.close();
                log.warn("Buildkite rate limit reached for organization {}; pausing its requests for {} s",
                        org, reset.toSeconds());
                limiter.pauseFor(reset);
                continue;
            }
            if (r.code() >= 500) {
                if (!idempotent || ++attempts >= MAX_ATTEMPTS) {
                    String msg = what + " answered " + r.code() + errorText(r);
                    int code = r.code();
                    r.close();
                    throw new BuildkiteException.Transient(msg, code, null, !idempotent);
                }
                r.close();
                log.debug("{} answered 5xx, retrying", what);
                wait = sleep(wait);
                continue;
            }
            return r;
        }
    }

    private static Duration resetOf(Response r) {
        for (String h : new String[]{"RateLimit-Reset", "Retry-After"}) {
            String v = r.header(h);
            if (v == null) continue;
            try {
                long s = Long.parseLong(v.trim());
                return Duration.ofSeconds(Math.max(1, Math.min(s, 3600)));
            } catch (NumberFormatException ignored) {
                // next header
            }
        }
        return Duration.ofSeconds(10);
    }

    private static Duration sleep(Duration d) throws InterruptedException {
        long ms = d.toMillis();
        long jittered = ms / 2 + ThreadLocalRandom.current().nextLong(ms / 2 + 1);
        Thread.sleep(Math.max(1, jittered));
        Duration next = d.multipliedBy(2);
        return next.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : next;
    }

    private BuildkiteException failure(String what, Response r) {
        if (r.code() == 422) {
            String msg = errorMessage(r).orElse("Buildkite rejected the request (422)");
            return new BuildkiteException.Rejected(msg);
        }
        String hint = switch (r.code()) {
            case 401 -> " (check WEFT_BUILDKITE_TOKEN)";
            case 403 -> " (the API token lacks a scope or access to this organization)";
            case 404 -> " (no such organization, pipeline or build, or the token cannot see it)";
            default -> "";
        };
        return new BuildkiteException("Buildkite: " + what + " answered " + r.code() + errorText(r) + hint,
                r.code(), null);
    }

    private String errorText(Response r) {
        return errorMessage(r).map(m -> ": " + m).orElse("");
    }

    private Optional<String> errorMessage(Response r) {
        try {
            ResponseBody b = r.body();
            String s = b.string();
            if (s.isBlank()) return Optional.empty();
            try {
                JsonNode n = json.readTree(s);
                String m = Build.text(n, "message");
                if (m != null && !m.isBlank()) {
                    JsonNode errors = n.path("errors");
                    if (errors.isArray() && !errors.isEmpty()) {
                        StringBuilder sb = new StringBuilder(m);
                        for (JsonNode e : errors) sb.append("; ").append(e.isTextual() ? e.asText() : e.toString());
                        m = sb.toString();
                    }
                    return Optional.of(m);
                }
            } catch (IOException notJson) {
                // fall through to the raw text
            }
            return Optional.of(s.length() > 200 ? s.substring(0, 200) : s.strip());
        } catch (IOException | IllegalStateException e) {
            return Optional.empty();
        }
    }

    private JsonNode readJson(Response r) throws BuildkiteException {
        try {
            return json.readTree(r.body().byteStream());
        } catch (IOException e) {
            throw new BuildkiteException.Transient("Buildkite sent an unreadable answer to "
                    + r.request().method() + " " + r.request().url().encodedPath() + ": " + e.getMessage(), r.code(), e, false);
        }
    }

    private static byte[] readBytes(Response r) throws BuildkiteException {
        try {
            return r.body().bytes();
        } catch (IOException e) {
            throw new BuildkiteException.Transient("reading a job log failed: " + e.getMessage(), r.code(), e, false);
        }
    }

    @Override
    public void close() {
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }
}
