package dev.weft.pulls;

import dev.weft.config.WeftConfig;
import dev.weft.daemon.Weft;
import dev.weft.git.GitHttpServer;
import dev.weft.git.TestRepos;
import dev.weft.jetstream.JetstreamOptions;
import dev.weft.jetstream.TestJetstream;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import dev.weft.store.BuildRecord;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.weft.pulls.PatchBlobsTest.gzip;
import static dev.weft.pulls.PatchBlobsTest.patch;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Pull requests end to end: a pull record on the Jetstream, its patch blob on the author's PDS,
 * the workflows in a real repository on loopback, and the pipeline weft builds.
 */
@Timeout(90)
class WeftPullRequestTest {
    static final String REPO_DID = "did:plc:prrepo";
    static final String CID = PdsPatchSourceTest.CID;
    static final String CID2 = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvykv";

    @TempDir
    Path dir;
    PdsPatchSourceTest.FakePds pds;
    TestJetstream js;
    GitHttpServer knot;
    Repository repo;
    Weft weft;
    String owner;
    String stranger;
    ObjectId feature;

    @BeforeEach
    void setUp() throws Exception {
        pds = new PdsPatchSourceTest.FakePds().start();
        owner = pds.identity(pds.url());
        stranger = pds.identity(pds.url());
        js = new TestJetstream().start();
        knot = GitHttpServer.start();
        repo = TestRepos.bare(dir.resolve("repo.git"));
        knot.serve(REPO_DID, repo);
        Map<String, TestRepos.Node> tree = new LinkedHashMap<>();
        tree.put(".tangled/workflows/pr.yml", TestRepos.text("engine: stub\nwhen:\n  - event: pull_request\n    branch: main\n"));
        tree.put(".tangled/workflows/push.yml", TestRepos.text("engine: stub\nwhen:\n  - event: push\n    branch: main\n"));
        feature = TestRepos.commit(repo, null, tree);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("WEFT_HOSTNAME", "ci.example.com");
        env.put("WEFT_OWNER_DID", owner);
        env.put("WEFT_LISTEN", "127.0.0.1:0");
        env.put("WEFT_DB", dir.resolve("weft.db").toString());
        env.put("WEFT_DEV", "true");
        env.put("WEFT_PLC_URL", pds.url());
        env.put("WEFT_REPOS", "127.0.0.1:" + knot.port() + "/" + REPO_DID);
        env.put("WEFT_JETSTREAM", js.url());
        weft = Weft.builder(WeftConfig.from(env)).consumeKnots(false).jetstream(true)
                .jetstreamOptions(JetstreamOptions.defaults().withBackoff(Duration.ofMillis(20), Duration.ofMillis(200)))
                .start();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (weft != null) weft.close();
        js.close();
        knot.close();
        repo.close();
        pds.close();
    }

    private Map<String, Object> pull(String cid, String title) {
        return Map.of("title", title, "createdAt", "2026-12-01T00:00:00Z",
                "target", Map.of("repo", REPO_DID, "branch", "main"),
                "source", Map.of("branch", "feature"),
                "rounds", List.of(Map.of("createdAt", "2026-12-01T00:00:00Z", "patchBlob",
                        Map.of("$type", "blob", "ref", Map.of("$link", cid), "mimeType", "application/gzip", "size", 100))));
    }

    private List<BuildRecord> built() {
        return weft.store().builds().recentRequests(REPO_DID, 10).stream()
                .filter(r -> r.state() != BuildRecord.State.WAITING).toList().reversed();
    }

    @Test
    @DisplayName("an opened pull request builds a pipeline from the target repository at the last patch's commit; a stranger's does not")
    void openedPullRequest() {
        pds.blobs.put(owner + "/" + CID, PdsPatchSourceTest.bytes(gzip(patch("1".repeat(40), "first")
                + patch(feature.name(), "second"))));
        pds.blobs.put(stranger + "/" + CID2, PdsPatchSourceTest.bytes(gzip(patch(feature.name(), "theirs"))));
        await().until(() -> weft.jetstream().map(j -> j.isConnected()).orElse(false)
                && weft.pullRequests().map(j -> j.isConnected()).orElse(false));
        js.put(stranger, "sh.tangled.repo.pull", "3lstrangerpr1", false, pull(CID2, "not allowed"));
        js.put(owner, "sh.tangled.repo.pull", "3lownerpull01", false, pull(CID, "feature"));
        await().atMost(Duration.ofSeconds(30)).until(() -> built().size() == 1);
        BuildRecord b = built().get(0);
        assertEquals(BuildRecord.State.BUILT, b.state(), String.valueOf(b.error()));
        Trigger t = weft.store().runs().trigger(b.pipeline()).orElseThrow();
        assertEquals(new TriggerKind.PullRequest("feature", "main", feature.name(), "opened"), t.kind());
        assertEquals(List.of("pr.yml"), t.workflows().stream().map(Workflow::name).toList(),
                "matched against the target branch; the push workflow does not run");
        assertEquals(REPO_DID, t.repo().repoDid());

        js.put(owner, "sh.tangled.repo.pull", "3lownerpull01", true, pull(CID, "feature, retitled"));
        await().atMost(Duration.ofSeconds(30)).until(() -> built().size() == 2);
        assertEquals("synchronize", ((TriggerKind.PullRequest) weft.store().runs().trigger(built().get(1).pipeline())
                .orElseThrow().kind()).action());
        assertEquals(2, weft.store().builds().recentRequests(REPO_DID, 10).size(), "the stranger's pull request made no request");
    }
}
