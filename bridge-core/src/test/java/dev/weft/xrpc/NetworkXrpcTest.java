package dev.weft.xrpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.auth.FakeDidHost;
import dev.weft.auth.Multikey;
import dev.weft.auth.TestIdentity;
import dev.weft.config.WeftConfig;
import dev.weft.daemon.Weft;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.RepoRef.RepoKey;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import dev.weft.model.WorkflowId;
import dev.weft.spi.LineAssembler;
import dev.weft.spi.Provider;
import dev.weft.spi.ProviderContext;
import dev.weft.spi.ProviderFactory;
import dev.weft.spi.Run;
import dev.weft.spi.SecretSupport;
import dev.weft.spi.Step;
import dev.weft.store.Collaborator;
import dev.weft.wire.Tid;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
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
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Secrets and cancel over XRPC with service auth, end to end through weft")
class NetworkXrpcTest {
    static final String HOST = "ci.example.com";
    static final String AUD = "did:web:" + HOST;
    static final String KNOT = "knot.test";
    static final String VALUE = "s3cr3t-deploy-token-42";
    static final ObjectMapper JSON = new ObjectMapper();
    static final AtomicInteger SEQ = new AtomicInteger();

    @TempDir
    Path dir;
    FakeDidHost plc;
    Weft weft;
    TestIdentity owner;      // owns the repos
    TestIdentity collaborator;
    TestIdentity stranger;
    String repoUri;
    String otherUri;
    final HttpClient http = HttpClient.newHttpClient();
    static final Map<Long, Map<String, String>> SEEN = new ConcurrentHashMap<>();

    @BeforeEach
    void setUp() throws Exception {
        SEEN.clear(); // run ids start at 1 in every fresh database
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
        env.put("WEFT_REPOS", KNOT + "/" + owner.did + "/repo," + KNOT + "/" + owner.did + "/plain");
        env.put("WEFT_FIRST_STATUS_DELAY", "0s");
        env.put("WEFT_STATUS_GAP", "0s");
        weft = Weft.builder(WeftConfig.from(env)).providers(List.of(new Hold("hold", SecretSupport.SECURE),
                new Hold("leaky", SecretSupport.NONE))).consumeKnots(false).cancelGrace(Duration.ofSeconds(30)).start();
        // The repo records as the Jetstream would have delivered them, and a collaborator record.
        weft.store().registry().putRepoRecord("3krepo", new dev.weft.model.RepoRef(KNOT, owner.did, "repo"));
        weft.store().registry().putRepoRecord("3kplain", new dev.weft.model.RepoRef(KNOT, owner.did, "plain"));
        repoUri = "at://" + owner.did + "/sh.tangled.repo/3krepo";
        otherUri = "at://" + owner.did + "/sh.tangled.repo/3kplain";
        weft.store().registry().putCollaborator(new Collaborator(owner.did, "c1", collaborator.did, repoUri, Instant.now()));
    }

    @AfterEach
    void tearDown() {
        if (weft != null) weft.close();
        plc.close();
    }

    // ------------------------------------------------------------------ helpers

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
    }

    Answer post(String nsid, String token, Map<String, String> body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(weft.baseUrl() + "/xrpc/" + nsid))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (token != null) b.header("Authorization", "Bearer " + token);
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }

    Answer list(String token, String repo) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(weft.baseUrl() + "/xrpc/sh.tangled.repo.listSecrets?repo="
                + URLEncoder.encode(repo, StandardCharsets.UTF_8))).GET();
        if (token != null) b.header("Authorization", "Bearer " + token);
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }

    Answer addSecret(TestIdentity who, String repo, String key, String value) throws Exception {
        return post("sh.tangled.repo.addSecret", who.token(AUD, "sh.tangled.repo.addSecret"),
                Map.of("repo", repo, "key", key, "value", value));
    }

    Answer cancel(TestIdentity who, String repo, WorkflowId w) throws Exception {
        return post("sh.tangled.pipeline.cancelPipeline", who.token(AUD, "sh.tangled.pipeline.cancelPipeline"),
                Map.of("repo", repo, "pipeline", w.pipeline().atUri(), "workflow", w.name()));
    }

    WorkflowId submit(String repoName, String engine, String yaml) {
        String rkey = Tid.of(Instant.now().toEpochMilli() * 1000, SEQ.incrementAndGet() & 0x3ff);
        Trigger t = new Trigger(new PipelineId(KNOT, rkey), new RepoRef(KNOT, owner.did, repoName),
                new TriggerKind.Push("refs/heads/main", "a".repeat(40), "0".repeat(40)),
                List.of(new Workflow("ci.yml", engine, null, "engine: " + engine + "\n" + yaml)), Instant.now());
        weft.runs().accept(t);
        return new WorkflowId(t.pipeline(), "ci.yml");
    }

    RunState state(WorkflowId w) {
        return weft.store().runs().run(w).orElseThrow().state();
    }

    List<Status> statuses(WorkflowId w) {
        return weft.store().statuses().publishedStatuses(weft.store().runs().run(w).orElseThrow().id());
    }

    String log(WorkflowId w) {
        StringBuilder b = new StringBuilder();
        weft.store().logs().after(weft.store().runs().run(w).orElseThrow().id(), 0, 10_000)
                .forEach(l -> b.append(new String(l.frame(), StandardCharsets.UTF_8)).append('\n'));
        return b.toString();
    }

    // ------------------------------------------------------------------ secrets

    @Nested
    @DisplayName("secrets")
    class Secrets {
        @Test
        @DisplayName("the owner and a collaborator manage them; listSecrets shows keys, never values")
        void manage() throws Exception {
            list(owner.token(AUD, "sh.tangled.repo.listSecrets"), repoUri).expect(200, null);
            assertEquals("{\"secrets\":null}", list(owner.token(AUD, "sh.tangled.repo.listSecrets"), repoUri).body());

            Answer added = addSecret(owner, repoUri, "TOKEN", VALUE).expect(200, null);
            assertEquals("", added.body());
            addSecret(collaborator, repoUri, "OTHER", "x-value").expect(200, null);
            addSecret(owner, repoUri, "TOKEN", "again").expect(400, "InvalidRequest");

            Answer l = list(collaborator.token(AUD, "sh.tangled.repo.listSecrets"), repoUri).expect(200, null);
            assertFalse(l.body().contains(VALUE), l.body());
            JsonNode secrets = l.json().get("secrets");
            assertEquals(2, secrets.size());
            assertEquals("OTHER", secrets.get(0).get("key").asText());
            assertEquals(collaborator.did, secrets.get(0).get("createdBy").asText());
            assertEquals("TOKEN", secrets.get(1).get("key").asText());
            assertEquals(repoUri, secrets.get(1).get("repo").asText());
            assertEquals(owner.did, secrets.get(1).get("createdBy").asText());
            Instant.parse(secrets.get(1).get("createdAt").asText());

            post("sh.tangled.repo.removeSecret", owner.token(AUD, "sh.tangled.repo.removeSecret"),
                    Map.of("repo", repoUri, "key", "OTHER")).expect(200, null);
            post("sh.tangled.repo.removeSecret", collaborator.token(AUD, "sh.tangled.repo.removeSecret"),
                    Map.of("repo", repoUri, "key", "TOKEN")).expect(200, null);
            assertEquals("{\"secrets\":null}", list(owner.token(AUD, "sh.tangled.repo.listSecrets"), repoUri).body());
        }

        @Test
        @DisplayName("a stranger gets 401 AccessControl; a collaborator of another repo too")
        void stranger() throws Exception {
            addSecret(stranger, repoUri, "TOKEN", VALUE).expect(401, "AccessControl");
            list(stranger.token(AUD, "sh.tangled.repo.listSecrets"), repoUri).expect(401, "AccessControl");
            post("sh.tangled.repo.removeSecret", stranger.token(AUD, "sh.tangled.repo.removeSecret"),
                    Map.of("repo", repoUri, "key", "TOKEN")).expect(401, "AccessControl");
            addSecret(collaborator, otherUri, "TOKEN", VALUE).expect(401, "AccessControl");
            assertTrue(weft.secrets().list(owner.did, "repo").isEmpty());
        }

        @Test
        @DisplayName("bad tokens get 403 Auth: none, wrong audience, expired, future iat, wrong lxm, bad signature, unknown DID, alg none")
        void badTokens() throws Exception {
            String m = "sh.tangled.repo.addSecret";
            Map<String, String> body = Map.of("repo", repoUri, "key", "TOKEN", "value", VALUE);
            Instant now = Instant.now();
            TestIdentity unknown = TestIdentity.plc(Multikey.KeyType.K256);
            List<String> bad = new ArrayList<>();
            bad.add(null);
            bad.add(owner.token("did:web:elsewhere.example.com", m));
            bad.add(owner.token(owner.claims(AUD, m, now.minusSeconds(120), now.minusSeconds(30))));
            bad.add(owner.token(owner.claims(AUD, m, now.plusSeconds(300), now.plusSeconds(360))));
            bad.add(owner.token(AUD, "sh.tangled.repo.removeSecret"));
            bad.add(stranger.token(TestIdentity.claims(owner.did, AUD, m, now, now.plusSeconds(60))));
            bad.add(unknown.token(AUD, m));
            bad.add(new com.nimbusds.jwt.PlainJWT(owner.claims(AUD, m, now, now.plusSeconds(60)).build()).serialize());
            for (String token : bad) post(m, token, body).expect(403, "Auth");
            assertTrue(weft.secrets().list(owner.did, "repo").isEmpty());
        }

        @Test
        @DisplayName("malformed requests get 400; a repo not registered here 401; an unknown record 404")
        void badRequests() throws Exception {
            String t = owner.token(AUD, "sh.tangled.repo.addSecret");
            post("sh.tangled.repo.addSecret", t, Map.of("repo", repoUri, "key", "1BAD", "value", "v")).expect(400, "InvalidRequest");
            post("sh.tangled.repo.addSecret", owner.token(AUD, "sh.tangled.repo.addSecret"), Map.of("repo", repoUri, "key", "K"))
                    .expect(400, "InvalidRequest");
            addSecret(owner, "https://not-an-at-uri", "K", "v").expect(400, "InvalidRequest");
            addSecret(owner, "at://" + owner.did + "/sh.tangled.repo/3knothere", "K", "v").expect(404, "RepoNotFound");
            // a record read from the owner's PDS (static mode): known there, but not registered here
            plc.record(owner.did, "sh.tangled.repo", "3kelse", "{\"name\":\"elsewhere\",\"knot\":\"" + KNOT + "\"}");
            addSecret(owner, "at://" + owner.did + "/sh.tangled.repo/3kelse", "K", "v").expect(401, "AccessControl");
            list(owner.token(AUD, "sh.tangled.repo.listSecrets"), "").expect(400, "InvalidRequest");
        }
    }

    // ------------------------------------------------------------------ delivery and masking

    @Nested
    @DisplayName("delivery")
    class Delivery {
        @Test
        @DisplayName("a run gets its repository's secrets, and every log line, step and error shows them as ***")
        void masked() throws Exception {
            addSecret(owner, repoUri, "TOKEN", VALUE).expect(200, null);
            WorkflowId w = submit("repo", "hold", "hold: {mode: fail}\n");
            await().until(() -> state(w) == RunState.FAILED);
            assertEquals(Map.of("TOKEN", VALUE), SEEN.get(weft.store().runs().run(w).orElseThrow().id()));
            await().until(() -> weft.store().runs().run(w).orElseThrow().logComplete());
            String log = log(w);
            assertFalse(log.contains(VALUE), log);
            assertFalse(log.contains(Base64.getEncoder().encodeToString(VALUE.getBytes(StandardCharsets.UTF_8))), log);
            assertFalse(log.contains(VALUE.substring(0, 9)) && log.contains(VALUE.substring(9)), "split halves rejoined: " + log);
            assertTrue(log.contains("\"content\":\"token ***\""), log);
            assertTrue(log.contains("\"content\":\"b64 ***\""), log);
            assertTrue(log.contains("\"content\":\"chunked *** done\""), log);
            assertTrue(log.contains("\"content\":\"deploy ***\""), "the step name: " + log);
            Status last = statuses(w).getLast();
            assertEquals("provider failed near ***", last.error().orElseThrow());
        }

        @Test
        @DisplayName("a provider that cannot keep secrets gets no run of a repository that has them")
        void refused() throws Exception {
            addSecret(owner, repoUri, "TOKEN", VALUE).expect(200, null);
            WorkflowId w = submit("repo", "leaky", "hold: {mode: finish}\n");
            await().until(() -> state(w) == RunState.FAILED);
            long id = weft.store().runs().run(w).orElseThrow().id();
            assertFalse(SEEN.containsKey(id), "never spawned");
            assertTrue(statuses(w).getLast().error().orElseThrow().contains("cannot keep secrets"), statuses(w).toString());
            WorkflowId ok = submit("plain", "leaky", "hold: {mode: finish}\n");
            await().until(() -> state(ok) == RunState.SUCCESS);
            assertEquals(Map.of(), SEEN.get(weft.store().runs().run(ok).orElseThrow().id()));
        }
    }

    // ------------------------------------------------------------------ cancel

    @Nested
    @DisplayName("cancelPipeline")
    class Cancel {
        @Test
        @DisplayName("the repo owner cancels a running workflow: 200 and it ends cancelled")
        void byOwner() throws Exception {
            WorkflowId w = submit("repo", "hold", "hold: {mode: wait}\n");
            await().until(() -> state(w) == RunState.RUNNING);
            Answer a = cancel(owner, repoUri, w).expect(200, null);
            assertEquals("", a.body());
            await().until(() -> state(w) == RunState.CANCELLED);
        }

        @Test
        @DisplayName("a collaborator may cancel too")
        void byCollaborator() throws Exception {
            WorkflowId w = submit("repo", "hold", "hold: {mode: wait}\n");
            await().until(() -> state(w) == RunState.RUNNING);
            cancel(collaborator, repoUri, w).expect(200, null);
            await().until(() -> state(w) == RunState.CANCELLED);
        }

        @Test
        @DisplayName("a stranger gets 401 and the workflow runs on; bad tokens get 403")
        void byStranger() throws Exception {
            WorkflowId w = submit("repo", "hold", "hold: {mode: wait}\n");
            await().until(() -> state(w) == RunState.RUNNING);
            cancel(stranger, repoUri, w).expect(401, "AccessControl");
            post("sh.tangled.pipeline.cancelPipeline", owner.token(AUD, "sh.tangled.repo.addSecret"),
                    Map.of("repo", repoUri, "pipeline", w.pipeline().atUri(), "workflow", w.name())).expect(403, "Auth");
            assertEquals(RunState.RUNNING, state(w));
            assertFalse(weft.store().runs().run(w).orElseThrow().cancelReason() != null, "no cancel recorded");
            cancel(owner, repoUri, w).expect(200, null);
            await().until(() -> state(w) == RunState.CANCELLED);
        }

        @Test
        @DisplayName("unknown workflow or one of another repo: 404 NotFound; already terminal: 200 and nothing changes")
        void notFoundAndTerminal() throws Exception {
            WorkflowId w = submit("repo", "hold", "hold: {mode: finish}\n");
            await().until(() -> state(w) == RunState.SUCCESS);
            List<Status> before = statuses(w);
            cancel(owner, repoUri, w).expect(200, null);
            assertEquals(before, statuses(w));
            assertEquals(RunState.SUCCESS, state(w));
            cancel(owner, repoUri, new WorkflowId(w.pipeline(), "nope.yml")).expect(404, "NotFound");
            cancel(owner, repoUri, new WorkflowId(new PipelineId(KNOT, "3kunknown22"), "ci.yml")).expect(404, "NotFound");
            cancel(owner, otherUri, w).expect(404, "NotFound");
            post("sh.tangled.pipeline.cancelPipeline", owner.token(AUD, "sh.tangled.pipeline.cancelPipeline"),
                    Map.of("repo", repoUri, "pipeline", "not-a-uri", "workflow", "ci.yml")).expect(400, "InvalidRequest");
        }

        @Test
        @DisplayName("weft cancel's database queue is carried out by the running daemon")
        void operatorQueue() {
            WorkflowId w = submit("repo", "hold", "hold: {mode: wait}\n");
            await().until(() -> state(w) == RunState.RUNNING);
            long id = weft.store().runs().requestCancel(w, Instant.now());
            await().until(() -> weft.store().runs().cancelRequest(id).orElseThrow().outcome() != null);
            assertEquals("REQUESTED", weft.store().runs().cancelRequest(id).orElseThrow().outcome());
            await().until(() -> state(w) == RunState.CANCELLED);
        }
    }

    /**
     * A test engine. {@code hold: {mode: wait}} runs until cancelled; {@code finish} succeeds;
     * {@code fail} writes its secrets (whole, base64, split across two chunks, in a step name) and
     * fails with a message holding one.
     */
    static final class Hold implements ProviderFactory {
        final String engine;
        final SecretSupport support;

        Hold(String engine, SecretSupport support) {
            this.engine = engine;
            this.support = support;
        }

        @Override
        public String engine() {
            return engine;
        }

        @Override
        public Provider create(ProviderContext context) {
            return new Provider() {
                @Override
                public void spawn(Run run) throws Exception {
                    SEEN.put(run.id(), run.secrets());
                    run.status().running();
                    switch (run.block().path("mode").asText()) {
                        case "wait" -> {
                            while (!run.awaitCancel(Duration.ofSeconds(1))) {
                                // until cancelled
                            }
                            run.status().cancelled("cancelled");
                        }
                        case "fail" -> {
                            String v = run.secrets().getOrDefault("TOKEN", "");
                            Step s = run.log().startStep("deploy " + v, "deploy --token " + v);
                            s.out("token " + v);
                            s.out("b64 " + Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8)));
                            LineAssembler lines = new LineAssembler(s::out);
                            lines.accept("chunked " + v.substring(0, 9));
                            lines.accept(v.substring(9) + " done\n");
                            s.end();
                            throw new Exception("provider failed near " + v);
                        }
                        default -> run.status().success();
                    }
                }

                @Override
                public SecretSupport secretSupport() {
                    return support;
                }

                @Override
                public void close() {
                }
            };
        }
    }
}
