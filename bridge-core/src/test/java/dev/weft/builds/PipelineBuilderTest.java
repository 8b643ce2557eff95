package dev.weft.builds;

import dev.weft.git.GitHttpServer;
import dev.weft.git.TestRepos;
import dev.weft.git.WorkflowFetcher;
import dev.weft.knot.RefUpdate;
import dev.weft.knot.TriggerSink.Outcome;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import dev.weft.pipelines.WorkflowTrigger;
import dev.weft.store.BuildRecord;
import dev.weft.store.sqlite.SqliteStores;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pushes to pipelines against a real git repository served over smart HTTP on loopback. */
@Timeout(60)
class PipelineBuilderTest {
    private static final String REPO_DID = "did:plc:repo1abc";
    private static final String OWNER = "did:plc:owner1";
    private static final String ZEROS = "0".repeat(40);

    @TempDir
    Path tmp;

    private GitHttpServer knot;
    private Repository repo;
    private SqliteStores store;
    private final List<Trigger> handed = new CopyOnWriteArrayList<>();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private PipelineBuilder builder;
    private WorkflowFetcher fetcher;

    @BeforeEach
    void setUp() throws IOException {
        knot = GitHttpServer.start();
        repo = TestRepos.bare(tmp.resolve("knot/repo.git"));
        knot.serve(REPO_DID, repo);
        store = SqliteStores.open(tmp.resolve("weft.db"));
        builder = builder(Duration.ofSeconds(20));
    }

    @AfterEach
    void tearDown() {
        builder.close();
        store.close();
        knot.close();
        repo.close();
    }

    private String host() {
        return "127.0.0.1:" + knot.port();
    }

    private RepoRef registered() {
        return new RepoRef(host(), OWNER, "3krepo", "", REPO_DID);
    }

    private PipelineBuilder builder(Duration fetchTimeout) throws IOException {
        return builder(fetchTimeout, null);
    }

    private PipelineBuilder builder(Duration fetchTimeout, String holder) throws IOException {
        fetcher = new WorkflowFetcher(WorkflowFetcher.Options.defaults(tmp.resolve("cache")).withFetchTimeout(fetchTimeout)
                .withBackoff(Duration.ofMillis(20), Duration.ofMillis(200)).withTransportTimeout(Duration.ofSeconds(2)), meters);
        RepoDirectory dir = new RepoDirectory() {
            @Override
            public Optional<RepoRef> byRepoDid(String did) {
                return did.equals(REPO_DID) ? Optional.of(registered()) : Optional.empty();
            }

            @Override
            public Optional<RepoRef> byName(String knotHost, String owner, String name) {
                return Optional.empty();
            }

            @Override
            public void learnOwner(String repoDid, String ownerDid) {
            }
        };
        return new PipelineBuilder(store.builds(), dir, fetcher, new DefaultBranches(true, Clock.systemUTC()), t -> {
            handed.add(t);
            return Outcome.ACCEPTED;
        }, Clock.systemUTC(), true, meters, holder);
    }

    private ObjectId commit(Map<String, String> workflows) throws IOException {
        Map<String, TestRepos.Node> tree = new java.util.LinkedHashMap<>();
        tree.put("README", TestRepos.text("hello\n"));
        workflows.forEach((name, yaml) -> tree.put(".tangled/workflows/" + name, TestRepos.text(yaml)));
        return TestRepos.commit(repo, null, tree);
    }

    private RefUpdate push(String rkey, ObjectId sha, List<String> options) {
        return new RefUpdate(host(), rkey, RefUpdate.Shape.CURRENT, "refs/heads/main", OWNER, REPO_DID, "", "",
                ZEROS, sha.name(), Optional.empty(), options, Instant.now());
    }

    @Test
    @DisplayName("a push becomes one pipeline with the workflows whose when matches; a replay of the push builds nothing more")
    void pushToPipeline() throws Exception {
        ObjectId sha = commit(Map.of(
                "ci.yml", "engine: stub\nwhen:\n  - event: push\n    branch: main\n",
                "release.yml", "engine: stub\nwhen:\n  - event: push\n    tag: 'v*'\n",
                "broken.yml", "engine: [unclosed\n"));
        assertEquals(Outcome.ACCEPTED, builder.push(push("3kaaaaaaaaaa2", sha, List.of())));
        await().atMost(Duration.ofSeconds(20)).until(() -> handed.size() == 1);
        Trigger t = handed.get(0);
        assertEquals(host(), t.pipeline().knot());
        assertEquals(REPO_DID, t.repo().repoDid());
        assertEquals(repo.getBranch(), t.repo().defaultBranch(), "asked of the knot's sh.tangled.repo.getDefaultBranch");
        assertTrue(!t.repo().defaultBranch().isEmpty());
        assertEquals(new TriggerKind.Push("refs/heads/main", sha.name(), ZEROS), t.kind());
        assertEquals(List.of("broken.yml", "ci.yml"), t.workflows().stream().map(Workflow::name).toList(),
                "the tag-only workflow does not run; the broken one is kept, to fail visibly");
        assertTrue(t.workflows().get(0).invalid().startsWith("invalid workflow file: "), t.workflows().get(0).invalid());
        assertTrue(t.workflows().get(1).raw().contains("branch: main"));

        assertEquals(Outcome.DUPLICATE, builder.push(push("3kaaaaaaaaaa2", sha, List.of())), "the knot replays the push");
        assertEquals(Outcome.DUPLICATE, builder.push(push("3kbbbbbbbbbb2", sha, List.of())),
                "the same push under another rkey (refUpdate and legacy record) is one pipeline");
        await().atMost(Duration.ofSeconds(5)).until(() -> store.builds().waitingRequests().isEmpty());
        assertEquals(1, handed.size());
        assertEquals(BuildRecord.State.BUILT, store.builds().recentRequests(REPO_DID, 5).get(0).state());
    }

    @Test
    @DisplayName("skip-ci, a deleted ref, an unknown repository and a push from another knot create nothing")
    void refused() throws Exception {
        ObjectId sha = commit(Map.of("ci.yml", "engine: stub\n"));
        assertEquals(Outcome.SKIPPED, builder.push(push("3kaaaaaaaaaa2", sha, List.of("skip-ci"))));
        assertEquals(Outcome.SKIPPED, builder.push(push("3kaaaaaaaaaa3", sha, List.of("ci-skip"))));
        assertEquals(Outcome.SKIPPED, builder.push(new RefUpdate(host(), "3kaaaaaaaaaa4", RefUpdate.Shape.CURRENT,
                "refs/heads/gone", OWNER, REPO_DID, "", "", sha.name(), ZEROS, Optional.empty(), List.of(), Instant.now())));
        assertEquals(Outcome.UNREGISTERED, builder.push(new RefUpdate(host(), "3kaaaaaaaaaa5", RefUpdate.Shape.CURRENT,
                "refs/heads/main", OWNER, "did:plc:stranger", "", "", ZEROS, sha.name(), Optional.empty(), List.of(), Instant.now())));
        assertEquals(Outcome.REJECTED, builder.push(new RefUpdate("evil.example", "3kaaaaaaaaaa6", RefUpdate.Shape.CURRENT,
                "refs/heads/main", OWNER, REPO_DID, "", "", ZEROS, sha.name(), Optional.empty(), List.of(), Instant.now())));
        assertTrue(store.builds().recentRequests(REPO_DID, 5).isEmpty());
        assertTrue(handed.isEmpty());
    }

    @Test
    @DisplayName("a push where nothing matches creates no pipeline; a commit the knot does not have fails with a clear error")
    void nothingAndMissingCommit() throws Exception {
        ObjectId sha = commit(Map.of("ci.yml", "engine: stub\nwhen:\n  - event: pull_request\n    branch: main\n"));
        builder.push(push("3kaaaaaaaaaa2", sha, List.of()));
        builder.push(push("3kaaaaaaaaaa3", ObjectId.fromString("1234567890123456789012345678901234567890"), List.of()));
        await().atMost(Duration.ofSeconds(20)).until(() -> store.builds().waitingRequests().isEmpty());
        List<BuildRecord> done = store.builds().recentRequests(REPO_DID, 5);
        assertEquals(BuildRecord.State.FAILED, done.get(0).state());
        assertTrue(done.get(0).error().contains("1234567890123456789012345678901234567890"), done.get(0).error());
        assertEquals(BuildRecord.State.NOTHING, done.get(1).state());
        assertTrue(handed.isEmpty());
    }

    /** A push request of {@code sha} stored as another instance ({@code builder}) would have stored it. */
    private BuildRecord requestOf(String rkey, ObjectId sha, String builder) {
        BuildRequest r = new BuildRequest(new PipelineId(host(), rkey), registered(),
                WorkflowTrigger.Push.of("refs/heads/main", ZEROS, sha.name(), null), sha.name(), host(), REPO_DID, "",
                Instant.now());
        return store.builds().insertRequest("push:" + rkey, r.pipeline(), REPO_DID, BuildRequestJson.write(r),
                r.receivedAt(), builder).orElseThrow();
    }

    private double counted(String outcome) {
        var c = meters.find("weft.builds").tag("outcome", outcome).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    @DisplayName("sharing the database: requests a live instance builds are left to it, in the resume and in the lane; a dead builder's are taken")
    void sharedBuilders() throws Exception {
        builder.close();
        builder = builder(Duration.ofSeconds(20), "a#1");
        assertTrue(store.leases().acquire("instance:b#1", "b#1", Instant.now(), Duration.ofMinutes(5)), "b is alive");
        ObjectId sha = commit(Map.of("ci.yml", "engine: stub\n"));
        BuildRecord bs = requestOf("3kaaaaaaaaaa2", sha, "b#1");
        BuildRecord dead = requestOf("3kaaaaaaaaaa3", sha, "dead#1");
        assertEquals(1, builder.start(), "only the dead builder's request is resumed");
        await().atMost(Duration.ofSeconds(20)).until(() -> handed.size() == 1);
        assertEquals(dead.pipeline(), handed.get(0).pipeline());
        assertEquals("a#1", store.builds().request(dead.pipeline()).orElseThrow().builder());
        assertEquals(BuildRecord.State.WAITING, store.builds().request(bs.pipeline()).orElseThrow().state(), "b's is b's");

        // The lane is busy with a push of its own (the knot is down) while a dead builder's request
        // waits behind it; b takes that one meanwhile, so the lane must leave it to b.
        int port = knot.port();
        knot.close();
        ObjectId sha2 = commit(Map.of("ci.yml", "engine: stub\n", "other.yml", "engine: stub\n"));
        assertEquals(Outcome.ACCEPTED, builder.push(push("3kaaaaaaaaaa4", sha2, List.of())));
        BuildRecord own = store.builds().recentRequests(REPO_DID, 1).get(0);
        assertEquals("a#1", own.builder(), "the receiving instance builds its push");
        BuildRecord behind = requestOf("3kaaaaaaaaaa5", sha2, "dead#2");
        assertEquals(1, builder.start(), "the dead builder's request; a's own is queued already");
        assertEquals(0, builder.start(), "a second look queues nothing twice");
        await().atMost(Duration.ofSeconds(10)).until(() -> store.builds().request(own.pipeline()).orElseThrow().attempts() > 0);
        assertTrue(store.builds().takeRequest(behind.id(), "b#1", Instant.now()));
        knot = GitHttpServer.start(port).serve(REPO_DID, repo);
        await().atMost(Duration.ofSeconds(20)).until(() -> counted("elsewhere") == 1);
        assertEquals(List.of(dead.pipeline(), own.pipeline()), handed.stream().map(Trigger::pipeline).toList(),
                "a built its own push; b's requests were not built here");
        assertEquals(BuildRecord.State.BUILT, store.builds().request(own.pipeline()).orElseThrow().state());
        BuildRecord left = store.builds().request(behind.pipeline()).orElseThrow();
        assertEquals(BuildRecord.State.WAITING, left.state(), "left waiting for b");
        assertEquals("b#1", left.builder());
    }

    @Test
    @DisplayName("a stop while the knot is down keeps the push (and who pushed); the next start builds it, once")
    void resumesAfterRestart() throws Exception {
        ObjectId sha = commit(Map.of("ci.yml", "engine: stub\n"));
        int port = knot.port();
        knot.close(); // the knot is down: every fetch fails to connect and is retried with backoff
        assertEquals(Outcome.ACCEPTED, builder.push(new RefUpdate("127.0.0.1:" + port, "3kaaaaaaaaaa2",
                RefUpdate.Shape.CURRENT, "refs/heads/main", "did:plc:pusher", REPO_DID, "", "", ZEROS, sha.name(),
                Optional.empty(), List.of(), Instant.now())));
        await().atMost(Duration.ofSeconds(10)).until(() -> store.builds().waitingRequests().get(0).attempts() > 0);
        String why = store.builds().waitingRequests().get(0).error();
        assertTrue(why.startsWith("knot unreachable") && why.endsWith("(retrying)"), "what weft repos shows: " + why);
        builder.close();
        assertEquals(1, store.builds().waitingRequests().size(), "the push survives the stop");
        assertTrue(handed.isEmpty());
        knot = GitHttpServer.start(port).serve(REPO_DID, repo);
        builder = builder(Duration.ofSeconds(20));
        builder.start();
        await().atMost(Duration.ofSeconds(20)).until(() -> handed.size() == 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> store.builds().waitingRequests().isEmpty());
        assertEquals(1, handed.size());
        assertEquals("did:plc:pusher", handed.get(0).actor(), "the committer survives the stored request");
        assertEquals("did:plc:pusher", dev.weft.store.TriggerJson.read(dev.weft.store.TriggerJson.write(handed.get(0))).actor());
    }
}
