package dev.weft.jetstream;

import dev.weft.config.WeftConfig;
import dev.weft.daemon.Weft;
import dev.weft.model.RepoRef.RepoKey;
import dev.weft.store.RegisteredRepo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.weft.jetstream.NetworkRecords.REPO;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("weft follows WEFT_JETSTREAM when asked, beside its static repositories, across a restart")
class WeftJetstreamTest {
    static final String OWNER = "did:plc:owner";

    @TempDir
    Path dir;
    TestJetstream js;
    Weft weft;

    @AfterEach
    void tearDown() throws Exception {
        if (weft != null) weft.close();
        if (js != null) js.close();
    }

    static final String STATIC_REPO_DID = "did:plc:staticrepo";

    Weft start(boolean follow) throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("WEFT_HOSTNAME", "ci.example.com");
        env.put("WEFT_OWNER_DID", OWNER);
        env.put("WEFT_LISTEN", "127.0.0.1:0");
        env.put("WEFT_DB", dir.resolve("weft.db").toString());
        env.put("WEFT_REPOS", "knot.static/" + OWNER + "/pinned,knot.static/" + STATIC_REPO_DID);
        env.put("WEFT_JETSTREAM", js.url());
        return Weft.builder(WeftConfig.from(env)).consumeKnots(false).jetstream(follow)
                .jetstreamOptions(JetstreamOptions.defaults().withBackoff(Duration.ofMillis(20), Duration.ofMillis(200)))
                .start();
    }

    static Map<String, Object> repo(String name, String knot) {
        return Map.of("name", name, "knot", knot, "spindle", "ci.example.com", "createdAt", "2025-12-01T00:00:00Z");
    }

    @Test
    void followsAndResumes() throws Exception {
        js = new TestJetstream().start();
        weft = start(false);
        assertTrue(weft.jetstream().isEmpty(), "off unless the builder asks (tests, embedding)");
        weft.close();

        weft = start(true);
        await().until(() -> weft.jetstream().orElseThrow().isConnected());
        js.put(OWNER, REPO, "r1", false, repo("hello", "knot1.example"));
        // the static repository's record: deleting it later must not unregister it
        js.put(OWNER, REPO, "p1", false, repo("pinned", "knot.static"));
        RepoKey hello = new RepoKey("knot1.example", OWNER, "hello");
        await().until(() -> weft.registry().isRegistered(hello));
        RegisteredRepo before = weft.store().registry().repos().stream().filter(r -> r.repo().equals(hello)).findFirst().orElseThrow();
        assertEquals(OWNER, weft.registry().byRepoDid(STATIC_REPO_DID).orElseThrow().did(), "the spindle owner stands in");
        weft.registry().learnOwner(STATIC_REPO_DID, "did:plc:realowner");

        weft.close();
        js.delete(OWNER, REPO, "p1");
        long last = js.put(OWNER, REPO, "r2", false, repo("later", "knot2.example"));
        weft = start(true);
        await().until(() -> weft.store().registry().networkCursor(JetstreamClient.CURSOR).orElse(0) >= last);
        assertTrue(weft.registry().isRegistered(new RepoKey("knot2.example", OWNER, "later")), "created while weft was down");
        assertTrue(weft.registry().isRegistered(new RepoKey("knot.static", OWNER, "pinned")), "static stays");
        List<RegisteredRepo> repos = weft.store().registry().repos();
        assertEquals("did:plc:realowner", weft.registry().byRepoDid(STATIC_REPO_DID).orElseThrow().did(),
                "a learned owner outlives the restart's static registration");
        assertEquals(4, repos.size(), repos.toString());
        assertTrue(repos.contains(before), "not registered twice, same row and time");
        // The discovery subscription's requests (the pull-request one subscribes to every author).
        List<String> requests = js.requests().stream().filter(r -> TestJetstream.query(r).containsKey("wantedDids")).toList();
        assertTrue(TestJetstream.query(requests.getLast()).containsKey("cursor"), "resumed from the stored cursor");
        assertFalse(TestJetstream.query(requests.getFirst()).containsKey("cursor"), "the first start was live");
    }
}
