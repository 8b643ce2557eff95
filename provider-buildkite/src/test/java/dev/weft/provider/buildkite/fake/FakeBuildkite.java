package dev.weft.provider.buildkite.fake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Headers;
import okio.Buffer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Buildkite's REST API on a MockWebServer: creates builds, lets the test move them through states
 * and grow their job logs (served with suffix ranges only, as Buildkite does), and fails on demand.
 * Every request is recorded. Thread-safe (the dispatcher and the test share this object's lock).
 */
public final class FakeBuildkite implements AutoCloseable {
    public static final String TOKEN = "test-token";

    private static final Pattern PIPELINE = Pattern.compile("/v2/organizations/([^/]+)/pipelines/([^/?]+)");
    private static final Pattern BUILDS = Pattern.compile("/v2/organizations/([^/]+)/pipelines/([^/]+)/builds");
    private static final Pattern BUILD = Pattern.compile("/v2/organizations/([^/]+)/pipelines/([^/]+)/builds/(\\d+)");
    private static final Pattern CANCEL = Pattern.compile("/v2/organizations/([^/]+)/pipelines/([^/]+)/builds/(\\d+)/cancel");
    private static final Pattern LOG = Pattern.compile("/v2/organizations/([^/]+)/pipelines/([^/]+)/builds/(\\d+)/jobs/([^/]+)/log(\\.txt)?");

    private final ObjectMapper json = new ObjectMapper();
    private final MockWebServer server = new MockWebServer();
    private final List<FakeBuild> builds = new ArrayList<>();
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final Map<RecordedRequest, Long> arrivals = new java.util.concurrent.ConcurrentHashMap<>();
    private final Deque<Failure> failures = new ArrayDeque<>();
    private final List<RecordedRequest> failed = new CopyOnWriteArrayList<>();
    private long createResponseDelayMs;
    private long nextNumber = 1;
    private String rejectCreates;
    private boolean cancelCompletesAtOnce = true;
    private String defaultBranch = "main";
    /** Called (under the lock) when a build is created: a test can script it from there. */
    private Consumer<FakeBuild> onCreate = b -> { };
    /** Per pipeline: a script run on its own thread after a build of that pipeline was created. */
    private final Map<String, Consumer<FakeBuild>> scripts = new java.util.concurrent.ConcurrentHashMap<>();

    /** A scripted failure for the next request matching method and path pattern. */
    private record Failure(String method, Pattern path, MockResponse response) {
    }

    public FakeBuildkite() throws IOException {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest r) {
                arrivals.put(r, System.nanoTime());
                requests.add(r);
                try {
                    return FakeBuildkite.this.dispatch(r);
                } catch (RuntimeException e) {
                    e.printStackTrace();
                    return new MockResponse.Builder().code(500).body("{\"message\":\"fake: " + e + "\"}").build();
                }
            }
        });
        server.start();
    }

    /** {@code WEFT_BUILDKITE_API}. */
    public String apiBase() {
        return server.url("/v2").toString();
    }

    public List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    public List<RecordedRequest> requests(String method, String pathRegex) {
        Pattern p = Pattern.compile(pathRegex);
        return requests.stream().filter(r -> r.getMethod().equals(method)
                && p.matcher(r.getUrl().encodedPath()).matches()).toList();
    }

    /** The requests answered with a scripted failure. */
    public List<RecordedRequest> failedRequests() {
        return List.copyOf(failed);
    }

    /** When a request arrived ({@link System#nanoTime()}). */
    public long arrival(RecordedRequest r) {
        return arrivals.get(r);
    }

    // ---- scripting ----

    /** Deletes a build: it answers 404 from now on. */
    public synchronized void deleteBuild(long number) {
        builds.removeIf(b -> b.number == number);
    }

    public synchronized void failNext(String method, String pathRegex, int code, Headers headers, String body) {
        failures.add(new Failure(method, Pattern.compile(pathRegex),
                new MockResponse.Builder().code(code).headers(headers).body(body).build()));
    }

    public void failNext(String method, String pathRegex, int code) {
        failNext(method, pathRegex, code, Headers.of(), "{\"message\":\"fake failure " + code + "\"}");
    }

    /** Creates go through, but their answers arrive after {@code ms} (so a client can time out). */
    public synchronized void delayCreateResponses(long ms) {
        createResponseDelayMs = ms;
    }

    public synchronized void rejectCreates(String message) {
        rejectCreates = message;
    }

    /** When false, a cancel leaves the build {@code canceling} until {@link FakeBuild#state} moves it. */
    public synchronized void cancelCompletesAtOnce(boolean b) {
        cancelCompletesAtOnce = b;
    }

    public synchronized void defaultBranch(String b) {
        defaultBranch = b;
    }

    public synchronized void onCreate(Consumer<FakeBuild> c) {
        onCreate = c;
    }

    /** Runs {@code script} on a virtual thread for every build created in {@code pipeline}. */
    public void script(String pipeline, Consumer<FakeBuild> script) {
        scripts.put(pipeline, script);
    }

    public synchronized List<FakeBuild> builds() {
        return List.copyOf(builds);
    }

    public synchronized FakeBuild build(long number) {
        return builds.stream().filter(b -> b.number == number).findFirst().orElseThrow();
    }

    /** Adds a build as if someone else created it (for lookups and resumes). */
    public synchronized FakeBuild addBuild(String org, String pipeline, Map<String, String> metaData) {
        FakeBuild b = new FakeBuild(org, pipeline, nextNumber++, json.createObjectNode());
        b.metaData.putAll(metaData);
        builds.add(b);
        return b;
    }

    // ---- the API ----

    private synchronized MockResponse dispatch(RecordedRequest r) {
        String path = r.getUrl().encodedPath();
        String method = r.getMethod();
        if (!("Bearer " + TOKEN).equals(r.getHeaders().get("Authorization"))) {
            return jsonResponse(401, "{\"message\":\"Authentication required\"}");
        }
        for (Failure f : failures) {
            if (f.method.equals(method) && f.path.matcher(path).matches()) {
                failures.remove(f);
                failed.add(r);
                return f.response;
            }
        }
        Matcher m;
        if ((m = LOG.matcher(path)).matches()) return log(r, find(m.group(1), m.group(2), Long.parseLong(m.group(3))), m.group(4));
        if ((m = CANCEL.matcher(path)).matches() && method.equals("PUT")) {
            return cancel(find(m.group(1), m.group(2), Long.parseLong(m.group(3))));
        }
        if ((m = BUILD.matcher(path)).matches() && method.equals("GET")) {
            FakeBuild b = find(m.group(1), m.group(2), Long.parseLong(m.group(3)));
            if (b == null) return jsonResponse(404, "{\"message\":\"No build found\"}");
            return jsonResponse(200, b.toJson(!"true".equals(r.getUrl().queryParameter("exclude_jobs"))).toString());
        }
        if ((m = BUILDS.matcher(path)).matches()) {
            if (method.equals("POST")) return create(m.group(1), m.group(2), r);
            if (method.equals("GET")) return list(m.group(1), m.group(2), r);
        }
        if ((m = PIPELINE.matcher(path)).matches() && method.equals("GET")) {
            return jsonResponse(200, "{\"slug\":\"" + m.group(2) + "\",\"default_branch\":\"" + defaultBranch + "\"}");
        }
        return jsonResponse(404, "{\"message\":\"Not Found\"}");
    }

    private MockResponse create(String org, String pipeline, RecordedRequest r) {
        JsonNode body;
        try {
            body = json.readTree(r.getBody().utf8());
        } catch (IOException e) {
            return jsonResponse(400, "{\"message\":\"bad json\"}");
        }
        if (rejectCreates != null) {
            return jsonResponse(422, json.createObjectNode().put("message", rejectCreates).toString());
        }
        if (!body.hasNonNull("commit") || !body.hasNonNull("branch")) {
            return jsonResponse(422, "{\"message\":\"Validation failed: commit and branch are required\"}");
        }
        FakeBuild b = new FakeBuild(org, pipeline, nextNumber++, (ObjectNode) body);
        body.path("meta_data").fields().forEachRemaining(e -> b.metaData.put(e.getKey(), e.getValue().asText()));
        builds.add(b);
        onCreate.accept(b);
        Consumer<FakeBuild> script = scripts.get(pipeline);
        if (script != null) Thread.ofVirtual().start(() -> script.accept(b));
        MockResponse.Builder resp = new MockResponse.Builder().code(201)
                .setHeader("Content-Type", "application/json").body(b.toJson(true).toString());
        if (createResponseDelayMs > 0) resp.headersDelay(createResponseDelayMs, TimeUnit.MILLISECONDS);
        return resp.build();
    }

    private MockResponse list(String org, String pipeline, RecordedRequest r) {
        ArrayNode arr = json.createArrayNode();
        Map<String, String> filters = new LinkedHashMap<>();
        for (String name : r.getUrl().queryParameterNames()) {
            if (name.startsWith("meta_data[") && name.endsWith("]")) {
                filters.put(name.substring(10, name.length() - 1), r.getUrl().queryParameter(name));
            }
        }
        for (int i = builds.size() - 1; i >= 0; i--) { // newest first, like Buildkite
            FakeBuild b = builds.get(i);
            if (!b.org.equals(org) || !b.pipeline.equals(pipeline)) continue;
            if (filters.entrySet().stream().allMatch(f -> f.getValue().equals(b.metaData.get(f.getKey())))) {
                arr.add(b.toJson(true));
            }
        }
        return jsonResponse(200, arr.toString());
    }

    private MockResponse cancel(FakeBuild b) {
        if (b == null) return jsonResponse(404, "{\"message\":\"No build found\"}");
        if (!List.of("scheduled", "running", "failing").contains(b.state) || b.blocked) {
            return jsonResponse(422, "{\"message\":\"Build can't be canceled because it's " + b.state + "\"}");
        }
        b.cancelRequested = true;
        b.state = "canceling";
        if (cancelCompletesAtOnce) b.cancelNow();
        return jsonResponse(200, b.toJson(true).toString());
    }

    private MockResponse log(RecordedRequest r, FakeBuild b, String jobId) {
        FakeJob j = b == null ? null : b.jobs.stream().filter(x -> x.id.equals(jobId)).findFirst().orElse(null);
        if (j == null || j.log == null) return jsonResponse(404, "{\"message\":\"No log\"}");
        byte[] all = j.log.toByteArray();
        if (r.getMethod().equals("HEAD")) {
            return new MockResponse.Builder().code(200).setHeader("Content-Type", "text/plain")
                    .setHeader("Content-Length", all.length).build();
        }
        String range = r.getHeaders().get("Range");
        if (range == null) {
            return new MockResponse.Builder().code(200).setHeader("Content-Type", "text/plain")
                    .body(new Buffer().write(all)).build();
        }
        Matcher m = Pattern.compile("bytes=-(\\d+)").matcher(range);
        if (!m.matches()) return jsonResponse(416, "{\"message\":\"only suffix ranges\"}");
        long n = Math.min(Long.parseLong(m.group(1)), all.length);
        if (n == 0) return jsonResponse(416, "{\"message\":\"empty range\"}");
        int start = (int) (all.length - n);
        byte[] part = java.util.Arrays.copyOfRange(all, start, all.length);
        j.fetches.add(new String(part, StandardCharsets.ISO_8859_1));
        if (j.growOnNextFetch != null) { // the log grows between HEAD and this GET
            j.log.writeBytes(j.growOnNextFetch);
            j.growOnNextFetch = null;
            all = j.log.toByteArray();
            part = java.util.Arrays.copyOfRange(all, all.length - (int) n, all.length);
            start = all.length - (int) n;
        }
        return new MockResponse.Builder().code(206).setHeader("Content-Type", "text/plain")
                .setHeader("Content-Range", "bytes " + start + "-" + (all.length - 1) + "/" + all.length)
                .body(new Buffer().write(part)).build();
    }

    private FakeBuild find(String org, String pipeline, long number) {
        return builds.stream().filter(b -> b.org.equals(org) && b.pipeline.equals(pipeline) && b.number == number)
                .findFirst().orElse(null);
    }

    private static MockResponse jsonResponse(int code, String body) {
        return new MockResponse.Builder().code(code).setHeader("Content-Type", "application/json").body(body).build();
    }

    @Override
    public void close() {
        server.close();
    }

    // ---- builds and jobs ----

    /** A build the test drives. Mutate it through its methods (they take the fake's lock). */
    public final class FakeBuild {
        public final String org;
        public final String pipeline;
        public final long number;
        public final String uuid = UUID.randomUUID().toString();
        public final ObjectNode createBody;
        final Map<String, String> metaData = new LinkedHashMap<>();
        final List<FakeJob> jobs = new ArrayList<>();
        volatile String state = "scheduled";
        volatile boolean blocked;
        volatile boolean cancelRequested;
        public final Instant createdAt;

        FakeBuild(String org, String pipeline, long number, ObjectNode createBody) {
            this.org = org;
            this.pipeline = pipeline;
            this.number = number;
            this.createBody = createBody;
            this.createdAt = Instant.parse("2026-01-01T00:00:00Z").plusSeconds(number);
        }

        public FakeBuild state(String s) {
            synchronized (FakeBuildkite.this) {
                state = s;
            }
            return this;
        }

        public String state() {
            return state;
        }

        public boolean cancelRequested() {
            return cancelRequested;
        }

        public FakeBuild blocked(boolean b) {
            synchronized (FakeBuildkite.this) {
                blocked = b;
            }
            return this;
        }

        public FakeJob addJob(String name, String command) {
            synchronized (FakeBuildkite.this) {
                FakeJob j = new FakeJob(this, "job-" + number + "-" + (jobs.size() + 1), "script", name, command);
                jobs.add(j);
                return j;
            }
        }

        public FakeJob addJob(String type) {
            synchronized (FakeBuildkite.this) {
                FakeJob j = new FakeJob(this, "job-" + number + "-" + (jobs.size() + 1), type, null, null);
                jobs.add(j);
                return j;
            }
        }

        void cancelNow() {
            state = "canceled";
            for (FakeJob j : jobs) {
                if (j.startedAt != null && j.finishedAt == null) {
                    j.state = "canceled";
                    j.finishedAt = Instant.parse("2026-01-01T00:10:00Z");
                }
            }
        }

        public String webUrl() {
            return "https://buildkite.com/" + org + "/" + pipeline + "/builds/" + number;
        }

        ObjectNode toJson(boolean withJobs) {
            ObjectNode n = json.createObjectNode();
            String api = server.url("/v2/organizations/" + org + "/pipelines/" + pipeline + "/builds/" + number).toString();
            n.put("id", uuid);
            n.put("url", api);
            n.put("web_url", webUrl());
            n.put("number", number);
            n.put("state", state);
            n.put("blocked", blocked);
            n.put("created_at", createdAt.toString());
            n.put("message", createBody.path("message").asText(""));
            n.put("commit", createBody.path("commit").asText(""));
            n.put("branch", createBody.path("branch").asText(""));
            n.set("env", createBody.path("env").isObject() ? createBody.get("env") : json.createObjectNode());
            ObjectNode md = n.putObject("meta_data");
            metaData.forEach(md::put);
            if (withJobs) {
                ArrayNode arr = n.putArray("jobs");
                for (FakeJob j : jobs) arr.add(j.toJson(api));
            }
            n.putObject("pipeline").put("slug", pipeline);
            return n;
        }
    }

    /** A job; script jobs have a log that grows with {@link #append}. */
    public final class FakeJob {
        public final FakeBuild build;
        public final String id;
        final String type;
        final String name;
        final String command;
        volatile String state = "scheduled";
        volatile Long exitStatus;
        volatile Instant startedAt;
        volatile Instant finishedAt;
        ByteArrayOutputStream log;
        byte[] growOnNextFetch;
        /** The bytes each ranged GET returned (ISO-8859-1 so any byte survives). */
        public final List<String> fetches = new CopyOnWriteArrayList<>();

        FakeJob(FakeBuild build, String id, String type, String name, String command) {
            this.build = build;
            this.id = id;
            this.type = type;
            this.name = name;
            this.command = command;
        }

        public FakeJob start(Instant at) {
            synchronized (FakeBuildkite.this) {
                state = "running";
                startedAt = at;
                if (log == null) log = new ByteArrayOutputStream();
            }
            return this;
        }

        public FakeJob append(byte[] bytes) {
            synchronized (FakeBuildkite.this) {
                if (log == null) log = new ByteArrayOutputStream();
                log.writeBytes(bytes);
            }
            return this;
        }

        public FakeJob append(String text) {
            return append(text.getBytes(StandardCharsets.UTF_8));
        }

        /** Appends {@code bytes} after the next HEAD, just before the ranged GET answers. */
        public FakeJob growBeforeNextFetch(byte[] bytes) {
            synchronized (FakeBuildkite.this) {
                growOnNextFetch = bytes;
            }
            return this;
        }

        public FakeJob finish(String state, long exit, Instant at) {
            synchronized (FakeBuildkite.this) {
                this.state = state;
                exitStatus = exit;
                finishedAt = at;
            }
            return this;
        }

        public int logSize() {
            synchronized (FakeBuildkite.this) {
                return log == null ? 0 : log.size();
            }
        }

        ObjectNode toJson(String buildApi) {
            ObjectNode n = json.createObjectNode();
            n.put("id", id);
            n.put("type", type);
            if (name != null) n.put("name", name);
            if (command != null) n.put("command", command);
            n.put("state", state);
            if (exitStatus != null) n.put("exit_status", exitStatus);
            else n.putNull("exit_status");
            n.put("started_at", startedAt == null ? null : startedAt.toString());
            n.put("finished_at", finishedAt == null ? null : finishedAt.toString());
            if (type.equals("script")) {
                n.put("log_url", buildApi + "/jobs/" + id + "/log");
                n.put("raw_log_url", buildApi + "/jobs/" + id + "/log.txt");
            }
            return n;
        }
    }
}
