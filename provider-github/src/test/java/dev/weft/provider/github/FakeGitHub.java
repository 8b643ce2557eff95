package dev.weft.provider.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.provider.github.secrets.SealedBox;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GitHub as the provider sees it, on two loopback MockWebServers: the API (dispatches, runs, jobs,
 * cancel, commits, App tokens, Actions secrets) and a log storage that answers only requests without
 * a token. Tests drive runs through states with {@link #run(long)} and {@link GhRun} mutators.
 *
 * <p>Actions secrets work as on GitHub: the repository has an X25519 key pair whose public half
 * {@code GET .../actions/secrets/public-key} serves; a PUT must carry that {@code key_id} and an
 * {@code encrypted_value} that opens as a sealed box with the private half (the fake opens it and
 * keeps the value in {@link #secrets}, by upper-cased name), else 422.
 */
final class FakeGitHub implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String OWNER = "octo";
    static final String REPO = "mirror";

    enum DispatchMode {
        /** 200 with workflow_run_id, run_url, html_url. */
        DETAILS,
        /** 204, run findable by display_title. */
        NO_CONTENT,
        /** 422 mentioning return_run_details; without it, 204. */
        OLD_SERVER,
        /** The run is created but the answer is a 502. */
        BAD_GATEWAY_BUT_CREATED,
        /** 422 Unexpected inputs. */
        REJECT
    }

    final MockWebServer api = new MockWebServer();
    final MockWebServer storage = new MockWebServer();
    final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    final List<RecordedRequest> downloads = new CopyOnWriteArrayList<>();
    private final Map<Long, GhRun> runs = new LinkedHashMap<>();
    private final Set<String> commits = new HashSet<>();
    private long nextId = 9_000_000_001L;
    private long nextJobId = 70_000_001L;
    private int tokenSerial;
    /** The repository's secrets key pair, as GitHub keeps one per repository. */
    final byte[] secretsSecretKey = SealedBox.newSecretKey();
    final byte[] secretsPublicKey = SealedBox.publicKey(secretsSecretKey);
    final String secretsKeyId = "568250167242549743";
    /** The repository's Actions secrets as GitHub stores them: upper-cased name to decrypted value. */
    final Map<String, String> secrets = new TreeMap<>();

    volatile DispatchMode mode = DispatchMode.DETAILS;
    volatile String token = "t0k3n";
    volatile boolean allCommits = true;
    volatile boolean ignoreCancel;
    /** run-name as the target workflow writes it: %s is inputs.weft_run_id; null for none. */
    volatile String runName = "CI [%s]";
    /** Called with each run the fake creates (to script its life). */
    volatile Consumer<GhRun> onCreate = r -> { };
    /** Extra answer for a request before normal routing (rate limits, outages); null to route. */
    volatile java.util.function.Function<RecordedRequest, MockResponse> intercept = r -> null;
    volatile String headSha;
    /**
     * While set, the answer to a dispatch waits until this latch is counted down (the run exists
     * already), so weft can be stopped with its dispatch call in flight. {@link #close()} releases it.
     */
    volatile CountDownLatch holdDispatchAnswers;

    FakeGitHub() throws IOException {
        api.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                requests.add(request);
                MockResponse pre = intercept.apply(request);
                if (pre != null) return pre;
                MockResponse answer = route(request);
                CountDownLatch hold = holdDispatchAnswers;
                if (hold != null && request.getMethod().equals("POST")
                        && request.getUrl().encodedPath().endsWith("/dispatches")) {
                    try {
                        if (!hold.await(60, TimeUnit.SECONDS)) throw new AssertionError("dispatch answer held for 60 s");
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return answer;
            }
        });
        storage.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                downloads.add(request);
                if (request.getHeaders().get("Authorization") != null) {
                    return json(403, "{\"message\":\"storage refuses requests carrying a GitHub token\"}");
                }
                Matcher m = Pattern.compile("/blobs/(\\d+)").matcher(request.getUrl().encodedPath());
                if (!m.matches()) return json(404, "{}");
                String log = logOf(Long.parseLong(m.group(1)));
                return log == null ? json(404, "{}") : new MockResponse.Builder().code(200)
                        .addHeader("Content-Type", "text/plain").body(log).build();
            }
        });
        api.start(InetAddress.getLoopbackAddress(), 0);
        storage.start(InetAddress.getLoopbackAddress(), 0);
    }

    String apiUrl() {
        return api.url("/").toString();
    }

    synchronized void addCommit(String sha) {
        commits.add(sha);
    }

    synchronized GhRun run(long id) {
        GhRun r = runs.get(id);
        if (r == null) throw new AssertionError("no fake run " + id + "; runs " + runs.keySet());
        return r;
    }

    synchronized List<GhRun> runs() {
        return new ArrayList<>(runs.values());
    }

    /** Creates a run as if GitHub made it from someone else's dispatch. */
    synchronized GhRun createRun(String weftRunId, String workflow) {
        long id = nextId++;
        String title = runName == null || weftRunId == null ? "CI" : String.format(runName, weftRunId);
        GhRun r = new GhRun(id, workflow, title, Map.of("weft_run_id", weftRunId == null ? "" : weftRunId), "main");
        runs.put(id, r);
        return r;
    }

    synchronized Map<String, String> secrets() {
        return new TreeMap<>(secrets);
    }

    /** A secret the mirror's owner set on GitHub by hand. */
    synchronized void secret(String name, String value) {
        secrets.put(name.toUpperCase(Locale.ROOT), value);
    }

    List<RecordedRequest> requests(String method, String pathPart) {
        return requests.stream().filter(r -> r.getMethod().equals(method)
                && r.getUrl().encodedPath().contains(pathPart)).toList();
    }

    private synchronized String logOf(long jobId) {
        for (GhRun r : runs.values()) {
            for (GhJob j : r.jobs) if (j.id == jobId) return j.log;
        }
        return null;
    }

    // ------------------------------------------------------------------ routing

    private MockResponse route(RecordedRequest req) {
        String path = req.getUrl().encodedPath();
        String method = req.getMethod();
        if (method.equals("POST") && path.matches("/app/installations/\\d+/access_tokens")) {
            return appToken(req);
        }
        if (!("Bearer " + token).equals(req.getHeaders().get("Authorization"))) {
            return json(401, "{\"message\":\"Bad credentials\"}");
        }
        if (!"application/vnd.github+json".equals(req.getHeaders().get("Accept"))
                || !"2022-11-28".equals(req.getHeaders().get("X-GitHub-Api-Version"))) {
            return json(400, "{\"message\":\"missing Accept or X-GitHub-Api-Version\"}");
        }
        String prefix = "/repos/" + OWNER + "/" + REPO;
        if (!path.startsWith(prefix)) return json(404, "{\"message\":\"Not Found\"}");
        String rest = path.substring(prefix.length());
        synchronized (this) {
            if (rest.isEmpty() && method.equals("GET")) return json(200, "{\"default_branch\":\"trunk\"}");
            Matcher m;
            if (rest.equals("/actions/secrets/public-key") && method.equals("GET")) {
                return json(200, "{\"key_id\":\"" + secretsKeyId + "\",\"key\":\""
                        + Base64.getEncoder().encodeToString(secretsPublicKey) + "\"}");
            }
            if (rest.equals("/actions/secrets") && method.equals("GET")) {
                ObjectNode o = JSON.createObjectNode();
                o.put("total_count", secrets.size());
                ArrayNode list = o.putArray("secrets");
                secrets.keySet().forEach(n -> list.addObject().put("name", n));
                return json(200, o.toString());
            }
            if ((m = match("/actions/secrets/([A-Za-z0-9_]+)", rest)) != null) {
                String name = m.group(1).toUpperCase(Locale.ROOT);
                switch (method) {
                    case "PUT":
                        return putSecret(name, body(req));
                    case "DELETE":
                        return secrets.remove(name) != null ? new MockResponse.Builder().code(204).build()
                                : json(404, "{\"message\":\"Not Found\"}");
                    case "GET":
                        return secrets.containsKey(name) ? json(200, "{\"name\":\"" + name + "\"}")
                                : json(404, "{\"message\":\"Not Found\"}");
                    default:
                        return json(404, "{\"message\":\"Not Found\"}");
                }
            }
            if (rest.equals("/actions/runs") && method.equals("GET")) {
                ObjectNode o = JSON.createObjectNode();
                ArrayNode list = o.putArray("workflow_runs");
                List<GhRun> all = new ArrayList<>(runs.values());
                java.util.Collections.reverse(all);
                String event = req.getUrl().queryParameter("event");
                for (GhRun r : all) if (event == null || event.equals("workflow_dispatch")) list.add(r.json());
                o.put("total_count", list.size());
                return json(200, o.toString());
            }
            if ((m = match("/commits/([0-9a-f]+)", rest)) != null) {
                return allCommits || commits.contains(m.group(1)) ? json(200, "{\"sha\":\"" + m.group(1) + "\"}")
                        : json(422, "{\"message\":\"No commit found for SHA: " + m.group(1) + "\"}");
            }
            if ((m = match("/actions/workflows/([^/]+)/dispatches", rest)) != null && method.equals("POST")) {
                return dispatch(m.group(1), body(req));
            }
            if ((m = match("/actions/workflows/([^/]+)/runs", rest)) != null) {
                return list(m.group(1), req.getUrl());
            }
            if ((m = match("/actions/runs/(\\d+)", rest)) != null) {
                GhRun r = runs.get(Long.parseLong(m.group(1)));
                return r == null ? json(404, "{\"message\":\"Not Found\"}") : json(200, r.json().toString());
            }
            if ((m = match("/actions/runs/(\\d+)/jobs", rest)) != null) {
                GhRun r = runs.get(Long.parseLong(m.group(1)));
                if (r == null) return json(404, "{\"message\":\"Not Found\"}");
                ObjectNode o = JSON.createObjectNode();
                ArrayNode jobs = o.putArray("jobs");
                for (GhJob j : r.jobs) if (j.attempt == r.attempt) jobs.add(j.json(r));
                o.put("total_count", jobs.size());
                return json(200, o.toString());
            }
            if ((m = match("/actions/runs/(\\d+)/(cancel|force-cancel)", rest)) != null && method.equals("POST")) {
                GhRun r = runs.get(Long.parseLong(m.group(1)));
                if (r == null) return json(404, "{\"message\":\"Not Found\"}");
                if (r.status.equals("completed")) {
                    return json(409, "{\"message\":\"Cannot cancel a workflow run that is completed.\"}");
                }
                boolean force = m.group(2).equals("force-cancel");
                if (force || !ignoreCancel) r.cancelNow();
                return json(202, "{}");
            }
            if ((m = match("/actions/jobs/(\\d+)/logs", rest)) != null) {
                String log = logOf(Long.parseLong(m.group(1)));
                if (log == null) return json(404, "{\"message\":\"Not Found\"}");
                return new MockResponse.Builder().code(302)
                        .addHeader("Location", storage.url("/blobs/" + m.group(1)).newBuilder()
                                .addQueryParameter("sig", "abc").build().toString()).build();
            }
        }
        return json(404, "{\"message\":\"Not Found\"}");
    }

    private MockResponse appToken(RecordedRequest req) {
        String auth = req.getHeaders().get("Authorization");
        if (auth == null || !auth.startsWith("Bearer ey")) return json(401, "{\"message\":\"A JSON web token could not be decoded\"}");
        String t;
        synchronized (this) {
            t = "ghs_app" + (++tokenSerial);
        }
        token = t;
        return json(201, "{\"token\":\"" + t + "\",\"expires_at\":\"" + Instant.now().plusSeconds(3600) + "\"}");
    }

    /** As GitHub: the value must be a sealed box for this repository's key, and the name a legal one. */
    private MockResponse putSecret(String name, JsonNode body) {
        if (name.startsWith("GITHUB_")) {
            return json(422, "{\"message\":\"Secret names must not start with GITHUB_.\"}");
        }
        if (!secretsKeyId.equals(body.path("key_id").asText())) {
            return json(422, "{\"message\":\"Bad key_id\"}");
        }
        String value;
        try {
            byte[] box = Base64.getDecoder().decode(body.path("encrypted_value").asText(""));
            value = new String(SealedBox.open(box, secretsPublicKey, secretsSecretKey), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException | java.security.GeneralSecurityException e) {
            return json(422, "{\"message\":\"encrypted_value is not a sealed box for key " + secretsKeyId + "\"}");
        }
        boolean existed = secrets.put(name, value) != null;
        return existed ? new MockResponse.Builder().code(204).build() : json(201, "{}");
    }

    private MockResponse dispatch(String workflow, JsonNode body) {
        if (mode == DispatchMode.REJECT) {
            return json(422, "{\"message\":\"Unexpected inputs provided: [\\\"weft_run_id\\\"]\"}");
        }
        if (mode == DispatchMode.OLD_SERVER && body.has("return_run_details")) {
            return json(422, "{\"message\":\"Invalid request.\\n\\n\\\"return_run_details\\\" is not a permitted key.\"}");
        }
        Map<String, String> inputs = new LinkedHashMap<>();
        body.path("inputs").properties().forEach(e -> inputs.put(e.getKey(), e.getValue().asText()));
        long id = nextId++;
        String weftId = inputs.getOrDefault("weft_run_id", "");
        String title = runName == null ? "CI" : String.format(runName, weftId);
        GhRun r = new GhRun(id, workflow, title, inputs, body.path("ref").asText());
        runs.put(id, r);
        onCreate.accept(r);
        MockResponse answer = switch (mode) {
            case DETAILS -> json(200, "{\"workflow_run_id\":" + id + ",\"run_url\":\"" + apiUrl() + "repos/" + OWNER
                    + "/" + REPO + "/actions/runs/" + id + "\",\"html_url\":\"" + r.htmlUrl() + "\"}");
            case BAD_GATEWAY_BUT_CREATED -> json(502, "{\"message\":\"Server Error\"}");
            default -> new MockResponse.Builder().code(204).build();
        };
        return answer;
    }

    private MockResponse list(String workflow, HttpUrl url) {
        Instant since = Instant.EPOCH;
        String created = url.queryParameter("created");
        if (created != null && created.startsWith(">=")) {
            try {
                since = Instant.parse(created.substring(2));
            } catch (DateTimeParseException e) {
                return json(422, "{\"message\":\"bad created filter " + created + "\"}");
            }
        }
        ObjectNode o = JSON.createObjectNode();
        ArrayNode list = o.putArray("workflow_runs");
        // Newest first, as GitHub lists them.
        List<GhRun> all = new ArrayList<>(runs.values());
        java.util.Collections.reverse(all);
        for (GhRun r : all) {
            if (!r.workflow.equals(workflow) || r.createdAt.isBefore(since)) continue;
            if (!"workflow_dispatch".equals(url.queryParameter("event"))) continue;
            list.add(r.json());
        }
        o.put("total_count", list.size());
        return json(200, o.toString());
    }

    private static Matcher match(String regex, String s) {
        Matcher m = Pattern.compile(regex).matcher(s);
        return m.matches() ? m : null;
    }

    private static JsonNode body(RecordedRequest req) {
        try {
            return JSON.readTree(req.getBody() == null ? "{}" : req.getBody().string(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static MockResponse json(int code, String body) {
        return new MockResponse.Builder().code(code).addHeader("Content-Type", "application/json").body(body).build();
    }

    @Override
    public void close() {
        CountDownLatch hold = holdDispatchAnswers;
        if (hold != null) hold.countDown();
        api.close();
        storage.close();
    }

    // ------------------------------------------------------------------ model

    /** One fake workflow run; mutate through the synchronized methods. */
    final class GhRun {
        final long id;
        final String workflow;
        final String displayTitle;
        final Map<String, String> inputs;
        final String ref;
        final Instant createdAt = Instant.now();
        final List<GhJob> jobs = new ArrayList<>();
        String status = "queued";
        String conclusion;
        int attempt = 1;
        String sha;

        GhRun(long id, String workflow, String displayTitle, Map<String, String> inputs, String ref) {
            this.id = id;
            this.workflow = workflow;
            this.displayTitle = displayTitle;
            this.inputs = inputs;
            this.ref = ref;
            this.sha = headSha != null ? headSha : ProviderHarnessSha.SHA;
        }

        String htmlUrl() {
            return "https://github.test/" + OWNER + "/" + REPO + "/actions/runs/" + id;
        }

        GhJob job(String name) {
            synchronized (FakeGitHub.this) {
                GhJob j = new GhJob(nextJobId++, name, attempt);
                jobs.add(j);
                return j;
            }
        }

        GhRun status(String status, String conclusion) {
            synchronized (FakeGitHub.this) {
                this.status = status;
                this.conclusion = conclusion;
            }
            return this;
        }

        /** A re-run on GitHub: a new attempt, queued again, with fresh jobs. */
        GhRun rerun() {
            synchronized (FakeGitHub.this) {
                attempt++;
                status = "queued";
                conclusion = null;
            }
            return this;
        }

        void cancelNow() {
            synchronized (FakeGitHub.this) {
                for (GhJob j : jobs) {
                    if (j.attempt == attempt && !j.status.equals("completed")) {
                        j.status = "completed";
                        j.conclusion = "cancelled";
                        j.completedAt = Instant.now();
                        for (GhStep s : j.steps) {
                            if (s.status.equals("in_progress")) {
                                s.status = "completed";
                                s.conclusion = "cancelled";
                                s.completedAt = Instant.now();
                            }
                        }
                    }
                }
                status = "completed";
                conclusion = "cancelled";
            }
        }

        ObjectNode json() {
            ObjectNode o = JSON.createObjectNode();
            o.put("id", id);
            o.put("name", "CI");
            o.put("display_title", displayTitle);
            o.put("event", "workflow_dispatch");
            o.put("status", status);
            if (conclusion == null) o.putNull("conclusion");
            else o.put("conclusion", conclusion);
            o.put("run_attempt", attempt);
            o.put("head_branch", ref);
            o.put("head_sha", sha);
            o.put("html_url", htmlUrl());
            o.put("created_at", createdAt.toString());
            o.put("updated_at", Instant.now().toString());
            return o;
        }
    }

    final class GhJob {
        final long id;
        final String name;
        final int attempt;
        final List<GhStep> steps = new ArrayList<>();
        String status = "queued";
        String conclusion;
        Instant startedAt;
        Instant completedAt;
        String log;

        GhJob(long id, String name, int attempt) {
            this.id = id;
            this.name = name;
            this.attempt = attempt;
        }

        GhJob start(Instant at) {
            synchronized (FakeGitHub.this) {
                status = "in_progress";
                startedAt = at;
            }
            return this;
        }

        GhStep step(String name, Instant startedAt) {
            synchronized (FakeGitHub.this) {
                GhStep s = new GhStep(name, steps.size() + 1, startedAt);
                steps.add(s);
                return s;
            }
        }

        GhJob complete(String conclusion, Instant at, String log) {
            synchronized (FakeGitHub.this) {
                this.status = "completed";
                this.conclusion = conclusion;
                this.completedAt = at;
                this.log = log;
            }
            return this;
        }

        ObjectNode json(GhRun run) {
            ObjectNode o = JSON.createObjectNode();
            o.put("id", id);
            o.put("run_id", run.id);
            o.put("run_attempt", attempt);
            o.put("name", name);
            o.put("status", status);
            if (conclusion == null) o.putNull("conclusion");
            else o.put("conclusion", conclusion);
            if (startedAt == null) o.putNull("started_at");
            else o.put("started_at", startedAt.toString());
            if (completedAt == null) o.putNull("completed_at");
            else o.put("completed_at", completedAt.toString());
            o.put("html_url", run.htmlUrl() + "/job/" + id);
            ArrayNode st = o.putArray("steps");
            for (GhStep s : steps) st.add(s.json());
            return o;
        }
    }

    final class GhStep {
        final String name;
        final int number;
        String status = "in_progress";
        String conclusion;
        Instant startedAt;
        Instant completedAt;

        GhStep(String name, int number, Instant startedAt) {
            this.name = name;
            this.number = number;
            this.startedAt = startedAt;
        }

        GhStep complete(String conclusion, Instant at) {
            synchronized (FakeGitHub.this) {
                status = "completed";
                this.conclusion = conclusion;
                completedAt = at;
            }
            return this;
        }

        ObjectNode json() {
            ObjectNode o = JSON.createObjectNode();
            o.put("name", name);
            o.put("number", number);
            o.put("status", status);
            if (conclusion == null) o.putNull("conclusion");
            else o.put("conclusion", conclusion);
            if (startedAt == null) o.putNull("started_at");
            else o.put("started_at", startedAt.toString());
            if (completedAt == null) o.putNull("completed_at");
            else o.put("completed_at", completedAt.toString());
            return o;
        }
    }

    /** The sha the harness pushes; kept here so the fake does not depend on the harness class. */
    static final class ProviderHarnessSha {
        static final String SHA = "0123456789abcdef0123456789abcdef01234567";
    }
}
