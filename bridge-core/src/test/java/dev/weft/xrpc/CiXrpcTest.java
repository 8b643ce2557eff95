package dev.weft.xrpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.auth.FakeDidHost;
import dev.weft.auth.Multikey;
import dev.weft.auth.TestIdentity;
import dev.weft.config.WeftConfig;
import dev.weft.daemon.Weft;
import dev.weft.git.GitHttpServer;
import dev.weft.git.TestRepos;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import dev.weft.spi.SecretSupport;
import dev.weft.store.Collaborator;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sh.tangled.ci.triggerPipeline}, its pre-rename alias and
 * {@code describeWorkflowDefinition}, end to end through weft, against a real git repository served
 * over smart HTTP on loopback.
 */
@Timeout(120)
@DisplayName("ci.triggerPipeline, its alias and describeWorkflowDefinition through weft")
class CiXrpcTest {
    static final String HOST = "ci.example.com";
    static final String AUD = "did:web:" + HOST;
    static final String REPO_DID = "did:plc:repo1abc";
    static final String FORK_DID = "did:plc:fork1abc";
    static final String TRIGGER = CiXrpc.TRIGGER_PIPELINE;
    static final String ALIAS = CiXrpc.TRIGGER_PIPELINE_ALIAS;
    static final ObjectMapper JSON = new ObjectMapper();

    static final String CI = "engine: hold\nwhen:\n  - event: push\n    branch: main\n";
    static final String DEPLOY = "engine: hold\nwhen:\n  - event: push\n    tag: 'v*'\n";
    static final String PR = "engine: hold\nwhen:\n  - event: pull_request\n    branch: main\n";

    @TempDir
    Path dir;
    FakeDidHost plc;
    GitHttpServer knot;
    Repository repo;
    Repository fork;
    Weft weft;
    TestIdentity owner;
    TestIdentity collaborator;
    TestIdentity stranger;
    ObjectId sha;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void setUp() throws Exception {
        plc = new FakeDidHost().start();
        owner = TestIdentity.plc(Multikey.KeyType.P256);
        collaborator = TestIdentity.plc(Multikey.KeyType.K256);
        stranger = TestIdentity.plc(Multikey.KeyType.P256);
        plc.publish(owner).publish(collaborator).publish(stranger);
        knot = GitHttpServer.start();
        repo = TestRepos.bare(dir.resolve("knot/repo.git"));
        fork = TestRepos.bare(dir.resolve("knot/fork.git"));
        knot.serve(REPO_DID, repo).serve(FORK_DID, fork);
        sha = commit(repo, Map.of("ci.yml", CI, "deploy.yml", DEPLOY, "pr.yml", PR));

        Map<String, String> env = new LinkedHashMap<>();
        env.put("WEFT_HOSTNAME", HOST);
        env.put("WEFT_OWNER_DID", "did:plc:spindleoperator");
        env.put("WEFT_LISTEN", "127.0.0.1:0");
        env.put("WEFT_DB", dir.resolve("weft.db").toString());
        env.put("WEFT_PLC_URL", plc.url());
        env.put("WEFT_DEV", "true"); // the test knot speaks http
        env.put("WEFT_GIT_CACHE_DIR", dir.resolve("git-cache").toString());
        env.put("WEFT_FIRST_STATUS_DELAY", "0s");
        env.put("WEFT_STATUS_GAP", "0s");
        weft = Weft.builder(WeftConfig.from(env))
                .providers(List.of(new NetworkXrpcTest.Hold("hold", SecretSupport.SECURE)))
                .consumeKnots(false).start();
        weft.registry().registerRepoDid(knotHost(), owner.did, "3krepo", REPO_DID, "at://" + owner.did + "/sh.tangled.repo/3krepo");
        weft.store().registry().putCollaborator(new Collaborator(owner.did, "c1", collaborator.did, REPO_DID, Instant.now()));
    }

    @AfterEach
    void tearDown() {
        if (weft != null) weft.close();
        knot.close();
        repo.close();
        fork.close();
        plc.close();
    }

    // ------------------------------------------------------------------ helpers

    String knotHost() {
        return "127.0.0.1:" + knot.port();
    }

    static ObjectId commit(Repository r, Map<String, String> workflows) throws Exception {
        Map<String, TestRepos.Node> tree = new LinkedHashMap<>();
        tree.put("README", TestRepos.text("hello\n"));
        workflows.forEach((name, yaml) -> tree.put(".tangled/workflows/" + name, TestRepos.text(yaml)));
        return TestRepos.commit(r, null, tree);
    }

    record Answer(int status, String body) {
        JsonNode json() throws Exception {
            return JSON.readTree(body);
        }

        Answer expect(int code, String error, String message) throws Exception {
            assertEquals(code, status, body);
            if (error != null) assertEquals(error, json().path("error").asText(), body);
            if (message != null) assertTrue(json().path("message").asText().contains(message), body);
            return this;
        }

        /** The pipeline a 200 names. */
        PipelineId pipeline() throws Exception {
            assertEquals(200, status, body);
            assertTrue(body.endsWith("}\n"), "Go's encoder ends with a newline: " + body);
            return PipelineId.parseAtUri(json().path("pipeline").asText()).orElseThrow();
        }
    }

    Answer post(String nsid, TestIdentity who, Object body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(weft.baseUrl() + "/xrpc/" + nsid))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : JSON.writeValueAsString(body)));
        if (who != null) b.header("Authorization", "Bearer " + who.token(AUD, nsid));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }

    Answer describe(String query) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(weft.baseUrl()
                + "/xrpc/" + CiXrpc.DESCRIBE_WORKFLOW_DEFINITION + "?" + query)).GET().build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }

    static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    ObjectNode manual(String commit) {
        ObjectNode body = JSON.createObjectNode().put("repo", REPO_DID);
        body.putObject("trigger").put("$type", CiXrpc.MANUAL).put("sha", commit);
        return body;
    }

    ObjectNode pullRequest(String commit, String targetBranch) {
        ObjectNode body = JSON.createObjectNode().put("repo", REPO_DID);
        body.putObject("trigger").put("$type", CiXrpc.PULL_REQUEST).put("sourceSha", commit)
                .put("targetBranch", targetBranch).put("sourceBranch", "feature");
        return body;
    }

    Trigger pipeline(PipelineId id) {
        await().atMost(Duration.ofSeconds(10)).until(() -> weft.store().runs().trigger(id).isPresent());
        return weft.store().runs().trigger(id).orElseThrow();
    }

    static List<String> names(Trigger t) {
        return t.workflows().stream().map(Workflow::name).toList();
    }

    // ------------------------------------------------------------------ triggerPipeline

    @Test
    @DisplayName("the owner's manual run: 200, a manual pipeline at the sha with its ref and inputs, only the named workflows, when ignored")
    void ownerManual() throws Exception {
        ObjectNode body = manual(sha.name());
        ((ObjectNode) body.get("trigger")).put("ref", "refs/heads/main").putArray("inputs")
                .add(JSON.createObjectNode().put("key", "target").put("value", "prod"));
        body.putArray("workflows").add("deploy.yml").add("pr.yml");
        PipelineId id = post(TRIGGER, owner, body).pipeline();
        assertEquals(knotHost(), id.knot());
        Trigger t = pipeline(id);
        assertEquals(new TriggerKind.Manual(List.of(new TriggerKind.Input("target", "prod")), sha.name(), "refs/heads/main"),
                t.kind());
        assertEquals(List.of("deploy.yml", "pr.yml"), names(t), "filtered by name; their when (tag, pull_request) ignored");
        assertEquals(REPO_DID, t.repo().repoDid());
        assertEquals("", t.sourceRepo());
    }

    @Test
    @DisplayName("a collaborator may trigger (every workflow when none is named); a stranger gets 400 AccessControl")
    void whoMayTrigger() throws Exception {
        Trigger t = pipeline(post(TRIGGER, collaborator, manual(sha.name())).pipeline());
        assertEquals(List.of("ci.yml", "deploy.yml", "pr.yml"), names(t));
        assertEquals(collaborator.did, t.actor(), "notifications name the caller, not the owner");
        post(TRIGGER, stranger, manual(sha.name())).expect(400, "AccessControl", stranger.did);
        post(TRIGGER, null, manual(sha.name())).expect(403, "Auth", "signature verification failed");
    }

    @Test
    @DisplayName("bad input is refused in the spec's order with its tags and messages")
    void refusals() throws Exception {
        post(TRIGGER, owner, "not json").expect(400, "Generic", "not JSON");
        ObjectNode notDid = manual(sha.name()).put("repo", "repo1abc");
        post(TRIGGER, owner, notDid).expect(400, "Generic", "invalid repo DID");
        post(TRIGGER, owner, manual(sha.name()).put("repo", "did:plc:unknown"))
                .expect(400, "RepoNotFound", "failed to access repository");
        ObjectNode noTrigger = manual(sha.name());
        noTrigger.remove("trigger");
        post(TRIGGER, owner, noTrigger).expect(400, "Generic", "trigger is required");
        post(TRIGGER, stranger, noTrigger).expect(400, "AccessControl", null); // rights before the trigger
        ObjectNode push = manual(sha.name());
        ((ObjectNode) push.get("trigger")).put("$type", "sh.tangled.ci.trigger#push");
        post(TRIGGER, owner, push).expect(400, "Generic", "unsupported trigger variant");
        post(TRIGGER, owner, manual("abc123")).expect(400, "Generic", CiXrpc.BAD_SHA);
        post(TRIGGER, owner, manual("z".repeat(40))).expect(400, "Generic", CiXrpc.BAD_SHA);
        ObjectNode badSource = manual(sha.name());
        ((ObjectNode) badSource.get("trigger")).put("sourceRepo", "not a did");
        post(TRIGGER, owner, badSource).expect(400, "Generic", "invalid sourceRepo DID");
        post(TRIGGER, owner, pullRequest(sha.name(), "")).expect(400, "Generic", "targetBranch is required");
        ObjectNode badPull = pullRequest(sha.name(), "main");
        ((ObjectNode) badPull.get("trigger")).put("pull", "https://tangled.org/pull/1");
        post(TRIGGER, owner, badPull).expect(400, "InvalidRepo", "pull");
        ObjectNode nothing = manual(sha.name());
        nothing.putArray("workflows").add("nope.yml");
        post(TRIGGER, owner, nothing).expect(400, "Generic", CiXrpc.NO_WORKFLOWS);
        post(TRIGGER, owner, manual("1234567890123456789012345678901234567890"))
                .expect(400, "Generic", "1234567890123456789012345678901234567890");
    }

    @Test
    @DisplayName("a pullRequest trigger is matched like an automatic one, and records its pull")
    void pullRequestTrigger() throws Exception {
        ObjectNode body = pullRequest(sha.name(), "main");
        String pull = "at://" + owner.did + "/sh.tangled.repo.pull/3kpull";
        ((ObjectNode) body.get("trigger")).put("pull", pull);
        Trigger t = pipeline(post(TRIGGER, owner, body).pipeline());
        assertEquals(new TriggerKind.PullRequest("feature", "main", sha.name(), "", pull), t.kind());
        assertEquals(List.of("pr.yml"), names(t), "only the workflow whose when names pull_request into main");
        post(TRIGGER, owner, pullRequest(sha.name(), "release")).expect(400, "Generic", CiXrpc.NO_WORKFLOWS);
    }

    @Test
    @DisplayName("a fork's sourceRepo: its workflows are read from the fork, and the run is untrusted")
    void forkSourceRepo() throws Exception {
        ObjectId forkSha = commit(fork, Map.of("fork.yml", "engine: hold\n"));
        ObjectNode body = manual(forkSha.name());
        ((ObjectNode) body.get("trigger")).put("sourceRepo", FORK_DID);
        Trigger t = pipeline(post(TRIGGER, owner, body).pipeline());
        assertEquals(FORK_DID, t.sourceRepo());
        assertTrue(t.untrusted());
        assertEquals(List.of("fork.yml"), names(t));
    }

    @Test
    @DisplayName("a fork registered with weft is read from its own knot")
    void registeredForkElsewhere() throws Exception {
        String elsewhere = "did:plc:fork2abc";
        try (GitHttpServer knot2 = GitHttpServer.start(); Repository r = TestRepos.bare(dir.resolve("knot2/fork.git"))) {
            knot2.serve(elsewhere, r); // only the second knot has it
            ObjectId forkSha = commit(r, Map.of("elsewhere.yml", "engine: hold\n"));
            weft.registry().registerRepoDid("127.0.0.1:" + knot2.port(), stranger.did, "3kfork", elsewhere,
                    "at://" + stranger.did + "/sh.tangled.repo/3kfork");
            ObjectNode body = manual(forkSha.name());
            ((ObjectNode) body.get("trigger")).put("sourceRepo", elsewhere);
            Trigger t = pipeline(post(TRIGGER, owner, body).pipeline());
            assertEquals(List.of("elsewhere.yml"), names(t));
            assertEquals(elsewhere, t.sourceRepo());
            assertEquals(knotHost(), t.pipeline().knot(), "the pipeline is the target repository's");
        }
    }

    @Test
    @DisplayName("the pre-rename alias: a repo AT-URI (a stored record or the owner's PDS) or a bare repo DID, a manual run")
    void alias() throws Exception {
        ObjectNode body = JSON.createObjectNode().put("repo", "at://" + owner.did + "/sh.tangled.repo/3krepo")
                .put("sha", sha.name()).put("ref", "refs/heads/main");
        body.putArray("workflows").add("ci.yml");
        // First from the owner's PDS: no record was delivered by the Jetstream.
        plc.record(owner.did, "sh.tangled.repo", "3krepo",
                "{\"knot\":\"" + knotHost() + "\",\"name\":\"repo\",\"repoDid\":\"" + REPO_DID + "\"}");
        Trigger t = pipeline(post(ALIAS, owner, body).pipeline());
        assertEquals(new TriggerKind.Manual(List.of(), sha.name(), "refs/heads/main"), t.kind());
        assertEquals(List.of("ci.yml"), names(t));
        // Then from the stored record, and by bare repo DID.
        weft.store().registry().putRepoRecord("3krepo", new RepoRef(knotHost(), owner.did, "3krepo", "", REPO_DID));
        post(ALIAS, collaborator, body).pipeline();
        post(ALIAS, owner, body.deepCopy().put("repo", REPO_DID)).pipeline();
        post(ALIAS, stranger, body).expect(400, "AccessControl", null);
        post(ALIAS, owner, body.deepCopy().put("repo", "at://" + owner.did + "/sh.tangled.repo/3kmissing"))
                .expect(400, "RepoNotFound", null);
        post(ALIAS, owner, body.deepCopy().put("repo", "nonsense")).expect(400, "Generic", "neither");
        post(ALIAS, owner, body.deepCopy().put("sha", "short")).expect(400, "Generic", CiXrpc.BAD_SHA);
    }

    // ------------------------------------------------------------------ describeWorkflowDefinition

    /** The spec's algorithm (3.6), written out independently of WorkflowDefinitionHash. */
    static String specHash(Map<String, String> files) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        for (String name : files.keySet().stream().sorted().toList()) {
            byte[] c = files.get(name).getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(name.getBytes(StandardCharsets.UTF_8));
            b.write(0);
            b.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(c.length).array());
            b.writeBytes(c);
            d.update(b.toByteArray());
        }
        return "sha256:" + HexFormat.of().formatHex(d.digest());
    }

    @Test
    @DisplayName("describe: the hash of the spec's algorithm, the files in directory order, Go's bytes; a fork's files; errors")
    void describeWorkflows() throws Exception {
        Answer a = describe("repo=" + q(REPO_DID) + "&sha=" + sha.name()).expect(200, null, null);
        String hash = specHash(Map.of("ci.yml", CI, "deploy.yml", DEPLOY, "pr.yml", PR));
        assertEquals("{\"derived\":true,\"hash\":\"" + hash + "\",\"workflows\":[\"ci.yml\",\"deploy.yml\",\"pr.yml\"]}\n", a.body());

        ObjectId forkSha = commit(fork, Map.of("fork.yml", "engine: hold\n"));
        Answer f = describe("repo=" + q(REPO_DID) + "&sha=" + forkSha.name() + "&sourceRepo=" + q(FORK_DID)).expect(200, null, null);
        assertEquals(specHash(Map.of("fork.yml", "engine: hold\n")), f.json().path("hash").asText());

        ObjectId empty = commit(repo, Map.of());
        Answer e = describe("repo=" + q(REPO_DID) + "&sha=" + empty.name()).expect(200, null, null);
        assertEquals("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", e.json().path("hash").asText(),
                "no files hash nothing");

        describe("repo=nope&sha=" + sha.name()).expect(400, "Generic", "invalid repo DID");
        describe("sha=" + sha.name()).expect(400, "Generic", "invalid repo DID");
        describe("repo=" + q("did:plc:unknown") + "&sha=" + sha.name()).expect(400, "RepoNotFound", null);
        describe("repo=" + q(REPO_DID) + "&sha=abc").expect(400, "InvalidRequest", CiXrpc.BAD_SHA);
        describe("repo=" + q(REPO_DID) + "&sha=" + sha.name() + "&sourceRepo=nope").expect(400, "InvalidRequest", "sourceRepo");
        describe("repo=" + q(REPO_DID) + "&sha=1234567890123456789012345678901234567890")
                .expect(400, "Generic", "failed to load workflows");
    }
}
