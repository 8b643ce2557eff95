package dev.weft.xrpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.auth.FakeDidHost;
import dev.weft.auth.Multikey;
import dev.weft.auth.TestIdentity;
import dev.weft.config.WeftConfig;
import dev.weft.daemon.Weft;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import dev.weft.model.WorkflowId;
import dev.weft.spi.SecretSupport;
import dev.weft.store.Collaborator;
import dev.weft.wire.Tid;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sh.tangled.ci.cancelPipeline} and its pre-rename alias, the secrets of a repository known
 * by its repo DID, and the did:web document, end to end through a real weft with a test engine
 * whose runs wait until the runtime cancels them.
 */
@Timeout(120)
@DisplayName("ci.cancelPipeline, its alias, repo-DID secrets and did.json through weft")
class CiCancelXrpcTest {
    static final String HOST = "ci.example.com";
    static final String AUD = "did:web:" + HOST;
    static final String KNOT = "knot.test";
    static final String REPO_DID = "did:plc:repo1abc";
    static final String OTHER_DID = "did:plc:other1abc";
    static final String CANCEL = CiCancelXrpc.CANCEL_PIPELINE;
    static final String ALIAS = CiCancelXrpc.CANCEL_PIPELINE_ALIAS;
    static final ObjectMapper JSON = new ObjectMapper();
    static final AtomicInteger SEQ = new AtomicInteger();

    @TempDir
    Path dir;
    FakeDidHost plc;
    Weft weft;
    TestIdentity owner;
    TestIdentity collaborator;
    TestIdentity stranger;
    String repoUri;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void setUp() throws Exception {
        NetworkXrpcTest.SEEN.clear();
        plc = new FakeDidHost().start();
        owner = TestIdentity.plc(Multikey.KeyType.P256);
        collaborator = TestIdentity.plc(Multikey.KeyType.K256);
        stranger = TestIdentity.plc(Multikey.KeyType.P256);
        plc.publish(owner).publish(collaborator).publish(stranger);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("WEFT_HOSTNAME", HOST);
        env.put("WEFT_OWNER_DID", "did:plc:spindleoperator");
        env.put("WEFT_LISTEN", "127.0.0.1:0");
        env.put("WEFT_DB", dir.resolve("weft.db").toString());
        env.put("WEFT_PLC_URL", plc.url());
        env.put("WEFT_FIRST_STATUS_DELAY", "0s");
        env.put("WEFT_STATUS_GAP", "0s");
        weft = Weft.builder(WeftConfig.from(env)).providers(List.of(new NetworkXrpcTest.Hold("hold", SecretSupport.SECURE)))
                .consumeKnots(false).cancelGrace(Duration.ofSeconds(30)).start();
        repoUri = "at://" + owner.did + "/sh.tangled.repo/3krepo";
        weft.registry().registerRepoDid(KNOT, owner.did, "3krepo", REPO_DID, repoUri);
        weft.registry().registerRepoDid(KNOT, owner.did, "3kother", OTHER_DID, "at://" + owner.did + "/sh.tangled.repo/3kother");
        // The record as the Jetstream keeps it: a repoDid, named by its record key.
        weft.store().registry().putRepoRecord("3krepo", new RepoRef(KNOT, owner.did, "3krepo", "", REPO_DID));
        // A collaborator of the repo DID only (a sh.tangled.repo.collaborator {repo: <repo DID>} record).
        weft.store().registry().putCollaborator(new Collaborator(owner.did, "c1", collaborator.did, REPO_DID, Instant.now()));
    }

    @AfterEach
    void tearDown() {
        if (weft != null) {
            // The test engine's runs wait until cancelled: end them, so none outlives its daemon.
            for (var run : weft.store().runs().openRuns()) weft.runs().cancel(run.workflow(), dev.weft.spi.CancelReason.REQUESTED);
            await().until(() -> weft.store().runs().openRuns().isEmpty());
            weft.close();
        }
        plc.close();
    }

    // ------------------------------------------------------------------ helpers

    record Answer(int status, String body) {
        Answer expect(int code, String error) throws Exception {
            assertEquals(code, status, body);
            if (error == null) {
                assertEquals("", body, "an empty body");
            } else {
                JsonNode n = JSON.readTree(body);
                assertEquals(error, n.path("error").asText(), body);
                assertTrue(!n.path("message").asText().isEmpty(), body);
            }
            return this;
        }
    }

    Answer post(String nsid, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(weft.baseUrl() + "/xrpc/" + nsid))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) b.header("Authorization", "Bearer " + token);
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }

    Answer post(String nsid, TestIdentity who, Object body) throws Exception {
        return post(nsid, who.token(AUD, nsid), body instanceof String s ? s : JSON.writeValueAsString(body));
    }

    static ObjectNode body(String repo, String pipeline, String... workflows) {
        ObjectNode b = JSON.createObjectNode().put("repo", repo).put("pipeline", pipeline);
        if (workflows.length > 0) {
            var arr = b.putArray("workflows");
            for (String w : workflows) arr.add(w);
        }
        return b;
    }

    /** A running pipeline of {@code repo} with these workflows, each waiting until cancelled. */
    PipelineId running(RepoRef repo, String... workflows) {
        int n = SEQ.incrementAndGet();
        String rkey = Tid.of(Instant.now().toEpochMilli() * 1000, n & 0x3ff);
        List<Workflow> wf = new ArrayList<>();
        for (String w : workflows) wf.add(new Workflow(w, "hold", null, "engine: hold\nhold: {mode: wait}\n"));
        Trigger t = new Trigger(new PipelineId(KNOT, rkey), repo,
                new TriggerKind.Push("refs/heads/main", String.format("%040x", n), "0".repeat(40)), wf, Instant.now());
        weft.runs().accept(t);
        for (String w : workflows) await().until(() -> state(new WorkflowId(t.pipeline(), w)) == RunState.RUNNING);
        return t.pipeline();
    }

    /** A pipeline weft built for the repo DID. */
    RepoRef built(String repoDid, String rkey) {
        return new RepoRef(KNOT, owner.did, rkey, "", repoDid);
    }

    RunState state(WorkflowId w) {
        return weft.store().runs().run(w).orElseThrow().state();
    }

    long cancelled(WorkflowId w) {
        return weft.store().statuses().publishedStatuses(weft.store().runs().run(w).orElseThrow().id()).stream()
                .filter(s -> s instanceof Status.Cancelled).count();
    }

    void awaitCancelled(WorkflowId w) {
        await().until(() -> state(w) == RunState.CANCELLED && cancelled(w) == 1);
    }

    // ------------------------------------------------------------------ cancelPipeline

    @Test
    @DisplayName("the owner cancels a whole pipeline: 200, empty body, each workflow cancelled once; again: 200, no change")
    void wholePipeline() throws Exception {
        PipelineId p = running(built(REPO_DID, "3krepo"), "a.yml", "b.yml");
        post(CANCEL, owner, body(REPO_DID, p.rkey())).expect(200, null);
        WorkflowId a = new WorkflowId(p, "a.yml");
        WorkflowId b = new WorkflowId(p, "b.yml");
        awaitCancelled(a);
        awaitCancelled(b);
        post(CANCEL, owner, body(REPO_DID, p.rkey())).expect(200, null);
        post(CANCEL, owner, body(REPO_DID, p.rkey(), "a.yml")).expect(200, null);
        assertEquals(1, cancelled(a), "exactly one cancelled");
        assertEquals(1, cancelled(b), "exactly one cancelled");
        assertEquals(RunState.CANCELLED, state(a));
    }

    @Test
    @DisplayName("workflows names the ones to cancel; an empty list means all; terminal ones stay as they are")
    void someWorkflows() throws Exception {
        PipelineId p = running(built(REPO_DID, "3krepo"), "a.yml", "b.yml", "c.yml");
        post(CANCEL, owner, body(REPO_DID, p.rkey(), "b.yml")).expect(200, null);
        awaitCancelled(new WorkflowId(p, "b.yml"));
        assertEquals(RunState.RUNNING, state(new WorkflowId(p, "a.yml")));
        assertEquals(RunState.RUNNING, state(new WorkflowId(p, "c.yml")));
        ObjectNode all = body(REPO_DID, p.rkey());
        all.putArray("workflows");
        post(CANCEL, owner, all).expect(200, null);
        for (String w : List.of("a.yml", "b.yml", "c.yml")) awaitCancelled(new WorkflowId(p, w));
    }

    @Test
    @DisplayName("a collaborator cancels a pipeline a legacy knot made, named (knot, owner, name), found by its TID")
    void legacyPipelineByCollaborator() throws Exception {
        // The legacy knot names the repo by the key the repo-DID registration is kept under.
        PipelineId p = running(new RepoRef(KNOT, owner.did, "3krepo"), "ci.yml");
        assertEquals("", weft.store().runs().trigger(p).orElseThrow().repo().repoDid(), "a legacy trigger");
        post(CANCEL, collaborator, body(REPO_DID, p.rkey())).expect(200, null);
        awaitCancelled(new WorkflowId(p, "ci.yml"));
    }

    @Test
    @DisplayName("refusals in upstream's order and tags, all 400 but a bad token's 403; nothing is cancelled")
    void refusals() throws Exception {
        PipelineId p = running(built(REPO_DID, "3krepo"), "ci.yml");
        PipelineId other = running(built(OTHER_DID, "3kother"), "ci.yml");
        String tid = p.rkey();
        post(CANCEL, (String) null, JSON.writeValueAsString(body(REPO_DID, tid))).expect(403, "Auth");
        post(CANCEL, owner.token(AUD, "sh.tangled.repo.addSecret"), JSON.writeValueAsString(body(REPO_DID, tid)))
                .expect(403, "Auth");
        post(CANCEL, owner.token("did:web:elsewhere.example", CANCEL), JSON.writeValueAsString(body(REPO_DID, tid)))
                .expect(403, "Auth");
        post(CANCEL, owner, "{not json").expect(400, "Generic");
        post(CANCEL, owner, "[]").expect(400, "Generic");
        post(CANCEL, owner, "").expect(400, "Generic");
        post(CANCEL, owner, body(REPO_DID, "not-a-tid")).expect(400, "Generic");
        post(CANCEL, owner, body(REPO_DID, "")).expect(400, "Generic");
        post(CANCEL, owner, body(REPO_DID, p.atUri())).expect(400, "Generic");
        post(CANCEL, owner, JSON.createObjectNode().put("repo", REPO_DID).put("pipeline", 42)).expect(400, "Generic");
        post(CANCEL, owner, body(REPO_DID, tid).put("workflows", "ci.yml")).expect(400, "Generic");
        ObjectNode numbers = body(REPO_DID, tid);
        numbers.putArray("workflows").add(1);
        post(CANCEL, owner, numbers).expect(400, "Generic");
        post(CANCEL, owner, body("not-a-did", tid)).expect(400, "Generic");
        post(CANCEL, owner, body("did:plc:unknown1abc", tid)).expect(400, "RepoNotFound");
        post(CANCEL, stranger, body(REPO_DID, tid)).expect(400, "AccessControl");
        post(CANCEL, owner, body(REPO_DID, Tid.of(1_000_000L, 1))).expect(400, "Generic");
        post(CANCEL, owner, body(REPO_DID, other.rkey())).expect(400, "AccessControl");
        post(CANCEL, collaborator, body(OTHER_DID, other.rkey())).expect(400, "AccessControl");
        post(CANCEL, owner, body(REPO_DID, tid, "ci.yml", "nope.yml")).expect(400, "Generic");
        assertEquals(RunState.RUNNING, state(new WorkflowId(p, "ci.yml")));
        assertEquals(RunState.RUNNING, state(new WorkflowId(other, "ci.yml")));
        assertNull(weft.store().runs().run(new WorkflowId(p, "ci.yml")).orElseThrow().cancelReason(), "no cancel recorded");
    }

    // ------------------------------------------------------------------ the pre-rename alias

    @Test
    @DisplayName("the alias takes AT-URIs or a DID and a TID, workflow or workflows; a token for either name")
    void alias() throws Exception {
        PipelineId p = running(built(REPO_DID, "3krepo"), "a.yml", "b.yml", "c.yml");
        ObjectNode uris = JSON.createObjectNode().put("repo", repoUri).put("pipeline", p.atUri());
        uris.putArray("workflows").add("a.yml");
        post(ALIAS, owner, uris).expect(200, null);
        awaitCancelled(new WorkflowId(p, "a.yml"));
        assertEquals(RunState.RUNNING, state(new WorkflowId(p, "b.yml")));

        ObjectNode single = JSON.createObjectNode().put("repo", REPO_DID).put("pipeline", p.rkey()).put("workflow", "b.yml");
        post(ALIAS, owner.token(AUD, CANCEL), JSON.writeValueAsString(single)).expect(200, null);
        awaitCancelled(new WorkflowId(p, "b.yml"));
        assertEquals(RunState.RUNNING, state(new WorkflowId(p, "c.yml")));

        ObjectNode rest = JSON.createObjectNode().put("repo", repoUri).put("pipeline", p.rkey());
        post(ALIAS, collaborator, rest).expect(200, null);
        awaitCancelled(new WorkflowId(p, "c.yml"));
        assertEquals(1, cancelled(new WorkflowId(p, "a.yml")));

        // The new name accepts the alias's lxm too (spec tangled-ci 3.0).
        post(CANCEL, owner.token(AUD, ALIAS), JSON.writeValueAsString(body(REPO_DID, p.rkey()))).expect(200, null);
    }

    @Test
    @DisplayName("alias refusals: bad AT-URIs, another knot's pipeline AT-URI, an unknown record, a stranger")
    void aliasRefusals() throws Exception {
        PipelineId p = running(built(REPO_DID, "3krepo"), "ci.yml");
        ObjectNode b = JSON.createObjectNode().put("repo", repoUri);
        post(ALIAS, owner, b.deepCopy().put("pipeline", "at://did:web:" + KNOT + "/sh.tangled.repo/" + p.rkey()))
                .expect(400, "Generic");
        post(ALIAS, owner, b.deepCopy().put("pipeline", "at://did:web:elsewhere.test/sh.tangled.pipeline/" + p.rkey()))
                .expect(400, "Generic");
        post(ALIAS, owner, b.deepCopy().put("pipeline", "nope")).expect(400, "Generic");
        post(ALIAS, owner, JSON.createObjectNode().put("repo", "https://x").put("pipeline", p.rkey())).expect(400, "Generic");
        post(ALIAS, owner, JSON.createObjectNode().put("repo", "at://" + owner.did + "/sh.tangled.repo/3knothere")
                .put("pipeline", p.rkey())).expect(400, "RepoNotFound");
        post(ALIAS, stranger, b.deepCopy().put("pipeline", p.atUri())).expect(400, "AccessControl");
        post(ALIAS, owner, b.deepCopy().put("pipeline", p.atUri()).put("workflow", 7)).expect(400, "Generic");
        assertEquals(RunState.RUNNING, state(new WorkflowId(p, "ci.yml")));
    }

    @Test
    @DisplayName("the legacy sh.tangled.pipeline.cancelPipeline still cancels a repo-DID repository's workflow by record")
    void legacyMethod() throws Exception {
        PipelineId p = running(built(REPO_DID, "3krepo"), "ci.yml");
        String nsid = "sh.tangled.pipeline.cancelPipeline";
        post(nsid, collaborator, Map.of("repo", repoUri, "pipeline", p.atUri(), "workflow", "ci.yml")).expect(200, null);
        awaitCancelled(new WorkflowId(p, "ci.yml"));
    }

    // ------------------------------------------------------------------ secrets by repo DID

    Answer list(TestIdentity who, String repo) throws Exception {
        String nsid = "sh.tangled.repo.listSecrets";
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(weft.baseUrl() + "/xrpc/" + nsid + "?repo="
                        + URLEncoder.encode(repo, StandardCharsets.UTF_8))).header("Authorization", "Bearer " + who.token(AUD, nsid))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }

    @Test
    @DisplayName("secrets of a repo known by its DID: a collaborator of the repo DID adds, lists, removes; a stranger gets 401")
    void secretsByRepoDid() throws Exception {
        post("sh.tangled.repo.addSecret", collaborator, Map.of("repo", repoUri, "key", "TOKEN", "value", "v-1")).expect(200, null);
        Answer l = list(collaborator, repoUri);
        assertEquals(200, l.status(), l.body());
        assertEquals("TOKEN", JSON.readTree(l.body()).path("secrets").get(0).path("key").asText(), l.body());
        assertEquals(List.of("TOKEN"), weft.secrets().list(owner.did, "3krepo").stream().map(s -> s.key()).toList(),
                "kept under the registration, which is what its runs are given");
        post("sh.tangled.repo.addSecret", stranger, Map.of("repo", repoUri, "key", "X", "value", "v")).expect(401, "AccessControl");
        list(stranger, repoUri).expect(401, "AccessControl");
        post("sh.tangled.repo.removeSecret", stranger, Map.of("repo", repoUri, "key", "TOKEN")).expect(401, "AccessControl");
        post("sh.tangled.repo.removeSecret", collaborator, Map.of("repo", repoUri, "key", "TOKEN")).expect(200, null);
        assertEquals("{\"secrets\":null}", list(owner, repoUri).body());
    }

    @Test
    @DisplayName("a record read from the owner's PDS with a repoDid is that repo DID's registration")
    void secretsByPdsRecord() throws Exception {
        plc.record(owner.did, "sh.tangled.repo", "3kother",
                "{\"name\":\"other\",\"knot\":\"" + KNOT + "\",\"repoDid\":\"" + OTHER_DID + "\"}");
        String uri = "at://" + owner.did + "/sh.tangled.repo/3kother";
        post("sh.tangled.repo.addSecret", owner, Map.of("repo", uri, "key", "TOKEN", "value", "v-2")).expect(200, null);
        assertEquals(1, weft.secrets().list(owner.did, "3kother").size());
        post("sh.tangled.repo.addSecret", collaborator, Map.of("repo", uri, "key", "X", "value", "v")).expect(401, "AccessControl");
    }

    // ------------------------------------------------------------------ did.json

    @Test
    @DisplayName("GET /.well-known/did.json names did:web:<hostname> and its #tangled_spindle service")
    void didDocument() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(weft.baseUrl() + "/.well-known/did.json")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals("application/json", r.headers().firstValue("content-type").orElse("").split(";")[0]);
        JsonNode doc = JSON.readTree(r.body());
        assertEquals("did:web:" + HOST, doc.path("id").asText());
        assertEquals("https://www.w3.org/ns/did/v1", doc.path("@context").get(0).asText());
        JsonNode service = doc.path("service").get(0);
        assertEquals("#tangled_spindle", service.path("id").asText());
        assertEquals("TangledSpindle", service.path("type").asText());
        assertEquals("https://" + HOST, service.path("serviceEndpoint").asText());
    }
}
