package dev.weft.xrpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.auth.FakeDidHost;
import dev.weft.config.WeftConfig;
import dev.weft.daemon.Weft;
import dev.weft.model.Nanos;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.Status;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import dev.weft.store.RunRecord;
import dev.weft.store.sqlite.SqliteStoreContractTest;
import dev.weft.wire.Tid;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("sh.tangled.ci.queryPipelines and getPipeline through the real HTTP server")
class CiQueriesTest {
    static final String KNOT = "knot.test";
    static final String OWNER = "did:plc:owner";
    static final String REPO_DID = "did:plc:repodid";
    static final Instant T0 = Instant.parse("2026-05-01T10:00:00Z");
    static final ObjectMapper JSON = new ObjectMapper();
    static final RepoRef BY_DID = new RepoRef(KNOT, OWNER, "repo", "main", REPO_DID);
    static final RepoRef LEGACY = new RepoRef(KNOT, OWNER, "repo");
    static final RepoRef LEGACY_ONLY = new RepoRef(KNOT, OWNER, "plain");

    @TempDir
    Path dir;
    FakeDidHost plc;
    Weft weft;
    final HttpClient http = HttpClient.newHttpClient();
    int seq;

    @BeforeEach
    void setUp() throws Exception {
        plc = new FakeDidHost().start();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("WEFT_HOSTNAME", "ci.example.com");
        env.put("WEFT_OWNER_DID", "did:plc:spindleoperator");
        env.put("WEFT_LISTEN", "127.0.0.1:0");
        env.put("WEFT_DB", dir.resolve("weft.db").toString());
        env.put("WEFT_PLC_URL", plc.url());
        env.put("WEFT_REPOS", KNOT + "/" + OWNER + "/plain");
        weft = Weft.builder(WeftConfig.from(env)).providers(List.of()).consumeKnots(false).start();
        // The repository by its DID, registered under the (knot, owner, name) its legacy knot used.
        weft.registry().registerRepoDid(KNOT, OWNER, "repo", REPO_DID, "static");
    }

    @AfterEach
    void tearDown() {
        if (weft != null) weft.close();
        plc.close();
    }

    record Answer(int status, String body) {
        JsonNode json() throws Exception {
            return JSON.readTree(body);
        }

        Answer expect(int code, String error) throws Exception {
            assertEquals(code, status, body);
            if (error != null) {
                assertEquals(error, json().path("error").asText(), body);
                assertFalse(json().path("message").asText().isEmpty(), body);
            }
            return this;
        }

        List<String> ids() throws Exception {
            List<String> out = new ArrayList<>();
            for (JsonNode p : json().get("pipelines")) out.add(p.get("id").asText());
            return out;
        }
    }

    Answer get(String nsid, String query) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(weft.baseUrl() + "/xrpc/" + nsid + "?" + query))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }

    Answer query(String query) throws Exception {
        return get("sh.tangled.ci.queryPipelines", query);
    }

    /** Stores a pipeline received {@code second}s after T0, with its runs pending. */
    Trigger store(RepoRef repo, TriggerKind kind, long second, String... workflows) {
        String rkey = Tid.of(Nanos.of(T0) / 1000 + second * 1_000_000 + (++seq), 0);
        List<Workflow> wfs = new ArrayList<>();
        for (String w : workflows) wfs.add(new Workflow(w, "stub", null, ""));
        Trigger t = new Trigger(new PipelineId(KNOT, rkey), repo, kind, wfs, T0.plusSeconds(second));
        weft.store().runs().insertTrigger(t, 0).orElseThrow();
        return t;
    }

    Trigger push(RepoRef repo, String sha, long second) {
        return store(repo, new TriggerKind.Push("refs/heads/main", sha, "0".repeat(40)), second, "ci.yml");
    }

    static String sha(char c) {
        return String.valueOf(c).repeat(40);
    }

    @Test
    @DisplayName("a repo DID's pipelines, its legacy knot's ones included, in upstream's shape with UTC times and Go's encoding")
    void shape() throws Exception {
        Trigger legacy = push(LEGACY, sha('a'), 1);
        Trigger t = store(BY_DID, new TriggerKind.PullRequest("feature", "main", sha('b'), "opened",
                "at://" + OWNER + "/sh.tangled.repo.pull/3kpull"), 2, "ci.yml", "lint.yml");
        push(LEGACY_ONLY, sha('c'), 3);
        List<RunRecord> runs = weft.store().runs().runs(t.pipeline());
        weft.store().runs().transition(runs.get(0).id(), new Status.Running(), 0, Nanos.of(T0.plusSeconds(4)));
        weft.store().runs().transition(runs.get(0).id(), new Status.Failed("a <b> & c", 1), 0,
                Nanos.of(T0.plusSeconds(70).plusMillis(900)));

        Answer a = query("repo=" + REPO_DID).expect(200, null);
        assertEquals("{\"pipelines\":[{\"commit\":\"" + sha('b') + "\",\"createdAt\":\"2026-05-01T10:00:02Z\",\"id\":\""
                + t.pipeline().rkey() + "\",\"repo\":\"" + REPO_DID + "\",\"trigger\":{\"$type\":\"sh.tangled.ci.trigger#pullRequest\","
                + "\"action\":\"opened\",\"pull\":\"at://" + OWNER + "/sh.tangled.repo.pull/3kpull\",\"sourceBranch\":\"feature\","
                + "\"sourceSha\":\"" + sha('b') + "\",\"targetBranch\":\"main\"},\"workflows\":["
                + "{\"error\":\"a \\u003cb\\u003e \\u0026 c\",\"finishedAt\":\"2026-05-01T10:01:10Z\",\"id\":\"ci.yml\",\"name\":\"ci.yml\","
                + "\"startedAt\":\"2026-05-01T10:00:04Z\",\"status\":\"failed\"},"
                + "{\"id\":\"lint.yml\",\"name\":\"lint.yml\",\"status\":\"pending\"}]},"
                + "{\"commit\":\"" + sha('a') + "\",\"createdAt\":\"2026-05-01T10:00:01Z\",\"id\":\"" + legacy.pipeline().rkey()
                + "\",\"repo\":\"" + OWNER + "\",\"trigger\":{\"$type\":\"sh.tangled.ci.trigger#push\",\"newSha\":\"" + sha('a')
                + "\",\"oldSha\":\"" + "0".repeat(40) + "\",\"ref\":\"refs/heads/main\"},\"workflows\":[{\"id\":\"ci.yml\","
                + "\"name\":\"ci.yml\",\"status\":\"pending\"}]}],\"total\":2}\n", a.body());

        // A legacy-only repository has no repo DID: upstream matches its owner's DID, and so does weft.
        assertEquals(2, query("repo=" + OWNER).expect(200, null).json().get("total").asInt());
        assertEquals("{\"pipelines\":[],\"total\":0}\n", query("repo=did:plc:nobody").expect(200, null).body());
    }

    @Test
    @DisplayName("paging: the opaque cursor and upstream's decimal one; total ignores the cursor; limit clamped at 250")
    void paging() throws Exception {
        List<String> newestFirst = new ArrayList<>();
        for (int i = 0; i < 260; i++) newestFirst.add(0, push(i % 2 == 0 ? BY_DID : LEGACY, sha('a'), i).pipeline().rkey());
        Answer first = query("repo=" + REPO_DID + "&limit=100").expect(200, null);
        assertEquals(newestFirst.subList(0, 100), first.ids());
        assertEquals(260, first.json().get("total").asInt());
        String cursor = first.json().get("cursor").asText();
        Answer second = query("repo=" + REPO_DID + "&limit=100&cursor=" + cursor).expect(200, null);
        assertEquals(newestFirst.subList(100, 200), second.ids());
        assertEquals(260, second.json().get("total").asInt());
        // Upstream's form: the created time (unix ns) of the last pipeline seen.
        long created = Nanos.of(T0.plusSeconds(160));
        assertEquals(newestFirst.subList(100, 200), query("repo=" + REPO_DID + "&limit=100&cursor=" + created).ids());
        Answer last = query("repo=" + REPO_DID + "&limit=100&cursor=" + second.json().get("cursor").asText()).expect(200, null);
        assertEquals(newestFirst.subList(200, 260), last.ids());
        assertTrue(last.json().path("cursor").isMissingNode(), "no cursor after the last page");

        assertEquals(250, query("repo=" + REPO_DID + "&limit=1000").expect(200, null).ids().size());
        assertEquals(250, query("repo=" + REPO_DID + "&limit=99999999999999999999999").expect(200, null).ids().size());
        assertEquals(50, query("repo=" + REPO_DID).expect(200, null).ids().size(), "the lexicon's default");
    }

    @Test
    @DisplayName("commits: the newest pipeline of each commit only; kinds filter")
    void commits() throws Exception {
        push(LEGACY, sha('a'), 1);
        String newestA = push(BY_DID, sha('a'), 2).pipeline().rkey();
        String b = push(LEGACY, sha('b'), 3).pipeline().rkey();
        String manual = store(BY_DID, new TriggerKind.Manual(List.of(new TriggerKind.Input("k", "v")), sha('c'), ""), 4, "ci.yml")
                .pipeline().rkey();
        Answer a = query("repo=" + REPO_DID + "&commits=" + sha('a') + "&commits=" + sha('b') + "&commits=" + sha('a')
                + "&commits=" + sha('f')).expect(200, null);
        assertEquals(List.of(b, newestA), a.ids());
        assertEquals(2, a.json().get("total").asInt());
        assertEquals(List.of(manual), query("repo=" + REPO_DID + "&kinds=manual&kinds=pull_request").expect(200, null).ids());
        JsonNode trig = query("repo=" + REPO_DID + "&kinds=manual").json().get("pipelines").get(0).get("trigger");
        assertEquals("{\"$type\":\"sh.tangled.ci.trigger#manual\",\"inputs\":[{\"key\":\"k\",\"value\":\"v\"}],\"sha\":\""
                + sha('c') + "\"}", trig.toString());
    }

    @Test
    @DisplayName("a stored pipeline of an unknown trigger kind is listed, never failing the page")
    void unknownKind() throws Exception {
        String known = push(BY_DID, sha('a'), 1).pipeline().rkey();
        SqliteStoreContractTest.insertUnknownKind(dir.resolve("weft.db"), KNOT, "3mzzzzzzzzzz2", REPO_DID, Nanos.of(T0.plusSeconds(5)));
        Answer a = query("repo=" + REPO_DID).expect(200, null);
        assertEquals(List.of("3mzzzzzzzzzz2", known), a.ids());
        assertEquals("{\"$type\":\"dev.weft.ci.trigger#unknown\",\"kind\":\"deploy\"}",
                a.json().get("pipelines").get(0).get("trigger").toString());
        get("sh.tangled.ci.getPipeline", "pipeline=3mzzzzzzzzzz2").expect(200, null);
    }

    @Test
    @DisplayName("getPipeline: found, unknown, malformed, missing")
    void getPipeline() throws Exception {
        Trigger t = push(BY_DID, sha('a'), 1);
        Answer a = get("sh.tangled.ci.getPipeline", "pipeline=" + t.pipeline().rkey()).expect(200, null);
        assertEquals(t.pipeline().rkey(), a.json().get("id").asText());
        assertEquals(REPO_DID, a.json().get("repo").asText());
        assertTrue(a.body().endsWith("}\n"));
        get("sh.tangled.ci.getPipeline", "pipeline=3mzzzzzzzzzz2").expect(400, "PipelineNotFound");
        get("sh.tangled.ci.getPipeline", "pipeline=nope").expect(400, "InvalidRequest");
        get("sh.tangled.ci.getPipeline", "").expect(400, "Generic");
        get("sh.tangled.ci.getPipeline", "pipeline=" + t.pipeline().rkey() + "&pipeline=" + t.pipeline().rkey())
                .expect(400, "InvalidRequest");
    }

    @Test
    @DisplayName("bad parameters get a clear 400, never an exception")
    void badInput() throws Exception {
        query("").expect(400, "Generic");
        query("repo=").expect(400, "InvalidRequest");
        query("repo=notadid").expect(400, "InvalidRequest");
        query("repo=" + REPO_DID + "&repo=" + REPO_DID).expect(400, "InvalidRequest");
        query("repo=" + REPO_DID + "&commits=xyz").expect(400, "InvalidRequest");
        query("repo=" + REPO_DID + "&commits=").expect(400, "InvalidRequest");
        query("repo=" + REPO_DID + "&kinds=deploy").expect(400, "InvalidRequest");
        query("repo=" + REPO_DID + "&limit=abc").expect(400, "InvalidRequest");
        query("repo=" + REPO_DID + "&limit=0").expect(400, "InvalidRequest");
        query("repo=" + REPO_DID + "&limit=-5").expect(400, "InvalidRequest");
        query("repo=" + REPO_DID + "&limit=1&limit=2").expect(400, "InvalidRequest");
        query("repo=" + REPO_DID + "&cursor=garbage").expect(400, "InvalidRequest");
        query("repo=" + REPO_DID + "&cursor=99999999999999999999").expect(400, "InvalidRequest");
        query("repo=" + REPO_DID + "&cursor=" + "A".repeat(23)).expect(400, "InvalidRequest");
        // The server refuses a URI this long before any method sees it...
        query("repo=" + REPO_DID + "&commits=" + "a".repeat(100_000)).expect(414, null);
        // ...so more commits than the method allows are only reachable with shorter parameters or a larger limit.
        List<String> many = new ArrayList<>();
        for (int i = 0; i <= CiQueries.MAX_COMMITS; i++) many.add(String.format("%040x", i));
        var handler = new CiQueries(weft.store().pipelines(), weft.registry());
        var r = handler.queryPipelines(new dev.weft.server.XrpcHandler.Request("GET",
                Map.of("repo", List.of(REPO_DID), "commits", many), Map.of(), new byte[0]));
        assertEquals(400, r.status());
        assertTrue(new String(r.body()).contains("at most " + CiQueries.MAX_COMMITS), new String(r.body()));
    }
}
