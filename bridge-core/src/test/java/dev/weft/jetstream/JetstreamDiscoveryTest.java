package dev.weft.jetstream;

import dev.weft.discovery.KnotEvents;
import dev.weft.discovery.RepoRegistry;
import dev.weft.model.RepoRef;
import dev.weft.model.RepoRef.RepoKey;
import dev.weft.store.RegisteredRepo;
import dev.weft.store.sqlite.SqliteStores;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

import static dev.weft.jetstream.NetworkRecords.COLLABORATOR;
import static dev.weft.jetstream.NetworkRecords.MEMBER;
import static dev.weft.jetstream.NetworkRecords.REPO;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Jetstream discovery against an in-process Jetstream")
class JetstreamDiscoveryTest {
    static final String HOST = "ci.example.com";
    static final String OWNER = "did:plc:owner";
    static final String ALICE = "did:plc:alice";
    static final String BOB = "did:plc:bob";
    static final String MALLORY = "did:plc:mallory";
    static final RepoKey STATIC = new RepoKey("knot3.example", OWNER, "pinned");

    @TempDir
    Path dir;
    TestJetstream js;
    SqliteStores store;
    RepoRegistry registry;
    JetstreamClient client;
    SimpleMeterRegistry meters;
    final KnotEvents knotEvents = new KnotEvents();
    Duration replayWindow = Duration.ofHours(1);

    @BeforeEach
    void setUp() throws Exception {
        js = new TestJetstream().start();
        open();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (client != null) client.close();
        if (store != null) store.close();
        js.close();
    }

    void open() {
        store = SqliteStores.open(dir.resolve("weft.db"));
        registry = new RepoRegistry(store.registry(), Clock.systemUTC());
        registry.addListener(knotEvents);
        NetworkRecords records = new NetworkRecords(store.registry(), registry, HOST, OWNER, STATIC::equals, Clock.systemUTC());
        meters = new SimpleMeterRegistry();
        client = new JetstreamClient(js.url(), records, new JetstreamClient.CursorStore() {
            @Override
            public OptionalLong cursor() {
                return store.registry().networkCursor(JetstreamClient.CURSOR);
            }

            @Override
            public void save(long timeUs) {
                store.registry().saveNetworkCursor(JetstreamClient.CURSOR, timeUs);
            }
        }, JetstreamOptions.defaults().withReplayWindow(replayWindow)
                .withBackoff(Duration.ofMillis(20), Duration.ofMillis(200)).withConnectTimeout(Duration.ofSeconds(5)), meters)
                .start();
        await().until(() -> client.isConnected() && js.connectionCount() == 1);
    }

    /** Stops weft (client and store) and starts it again on the same database. */
    void restart(Runnable whileDown) {
        client.close();
        store.close();
        await().until(() -> js.connectionCount() == 0);
        whileDown.run();
        open();
    }

    static Map<String, Object> member(String subject, String instance) {
        return Map.of("subject", subject, "instance", instance, "createdAt", "2025-12-01T00:00:00Z");
    }

    static Map<String, Object> repo(String name, String knot, String spindle) {
        return spindle == null ? Map.of("name", name, "knot", knot, "createdAt", "2025-12-01T00:00:00Z")
                : Map.of("name", name, "knot", knot, "spindle", spindle, "createdAt", "2025-12-01T00:00:00Z");
    }

    static final String REPO_DID = "did:plc:repo1";

    /** An upgraded knot's repo record: it names the repo DID, and the record key is the repo's name in triggers. */
    static Map<String, Object> repoWithDid(String repoDid, String knot, String spindle) {
        Map<String, Object> m = new java.util.HashMap<>(Map.of("name", "ignored-name", "knot", knot, "repoDid", repoDid,
                "createdAt", "2025-12-01T00:00:00Z"));
        if (spindle != null) m.put("spindle", spindle);
        return m;
    }

    double frames(String outcome) {
        return meters.get("weft.jetstream.frames").tag("outcome", outcome).counter().count();
    }

    long cursor() {
        return store.registry().networkCursor(JetstreamClient.CURSOR).orElse(-1);
    }

    /** Waits until the client has processed everything published so far. */
    void settle(long timeUs) {
        await().until(() -> cursor() >= timeUs);
    }

    /** A frame as a Jetstream that does not filter would send it, bypassing the server's filter. */
    void raw(String did, String collection, String rkey, String recordJson) {
        js.sendRaw("{\"did\":\"" + did + "\",\"time_us\":1700000000000001,\"kind\":\"commit\",\"commit\":{\"rev\":\"3zzzzzzzzzzzz\","
                + "\"operation\":\"create\",\"collection\":\"" + collection + "\",\"rkey\":\"" + rkey + "\",\"record\":"
                + recordJson + "}}");
    }

    @Test
    @DisplayName("subscribes to the three collections for the owner, live when there is no cursor")
    void subscription() {
        Map<String, List<String>> q = TestJetstream.query(js.requests().get(0));
        assertEquals(Set.of(MEMBER, REPO, COLLABORATOR), Set.copyOf(q.get("wantedCollections")));
        assertEquals(List.of(OWNER), q.get("wantedDids"));
        assertFalse(q.containsKey("cursor"), "no stored cursor: live");
    }

    @Test
    @DisplayName("members: the owner's records for this instance add and remove them; others do not count")
    void members() {
        js.put(OWNER, MEMBER, "m1", false, member(ALICE, HOST));
        await().until(() -> store.registry().isMember(ALICE));
        // A new member widens the subscription at once, resuming from the cursor.
        await().until(() -> js.requests().size() == 2);
        Map<String, List<String>> q = TestJetstream.query(js.requests().get(1));
        assertEquals(Set.of(OWNER, ALICE), Set.copyOf(q.get("wantedDids")));
        assertTrue(q.containsKey("cursor"));
        await().until(() -> client.isConnected());

        long t = js.put(OWNER, MEMBER, "m2", false, member(BOB, "other.example.com"));
        raw(MALLORY, MEMBER, "m3", "{\"subject\":\"" + MALLORY + "\",\"instance\":\"" + HOST + "\"}");
        settle(t);
        t = js.put(OWNER, MEMBER, "m4", false, member(OWNER, HOST)); // the owner naming itself changes nothing
        settle(t);
        assertFalse(store.registry().isMember(BOB), "a member of another spindle");
        assertFalse(store.registry().isMember(MALLORY), "a member record not authored by the owner");
        assertEquals(1.0, frames("ignored"), "the stranger's record");
        assertEquals(List.of(ALICE, OWNER), store.registry().members().stream().map(m -> m.subject()).toList());
        assertEquals("at://" + OWNER + "/" + MEMBER + "/m1", store.registry().members().get(0).source());

        js.delete(OWNER, MEMBER, "m1");
        await().until(() -> !store.registry().isMember(ALICE));
        await().until(() -> js.requests().size() == 3);
        assertEquals(List.of(OWNER), TestJetstream.query(js.requests().get(2)).get("wantedDids"));
    }

    @Test
    @DisplayName("repos: a record naming this spindle registers; a knot change moves it; a spindle change or delete unregisters")
    void repos() {
        RepoKey k1 = new RepoKey("knot1.example", OWNER, "hello");
        RepoKey k2 = new RepoKey("knot2.example", OWNER, "hello");
        js.put(OWNER, REPO, "r1", false, repo("hello", "knot1.example", HOST));
        await().until(() -> registry.isRegistered(k1));
        assertEquals("at://" + OWNER + "/" + REPO + "/r1", store.registry().repos().get(0).source());
        assertEquals(List.of("+knot1.example"), knotEvents);

        js.put(OWNER, REPO, "r1", true, repo("hello", "knot2.example", HOST));
        await().until(() -> registry.isRegistered(k2));
        assertFalse(registry.isRegistered(k1));
        assertEquals(List.of("+knot1.example", "+knot2.example", "-knot1.example"), knotEvents);

        js.put(OWNER, REPO, "r1", true, repo("hello", "knot2.example", "other.example.com"));
        await().until(() -> !registry.isRegistered(k2));
        assertEquals("-knot2.example", knotEvents.getLast());

        js.put(OWNER, REPO, "r1", true, repo("hello", "knot2.example", HOST));
        await().until(() -> registry.isRegistered(k2));
        js.put(OWNER, REPO, "r1", true, repo("hello", "knot2.example", null)); // spindle removed
        await().until(() -> !registry.isRegistered(k2));

        RepoKey k3 = new RepoKey("knot1.example", OWNER, "second");
        js.put(OWNER, REPO, "r2", false, repo("second", "knot1.example", HOST));
        await().until(() -> registry.isRegistered(k3));
        long t = js.delete(OWNER, REPO, "r2");
        settle(t);
        assertFalse(registry.isRegistered(k3));
        assertTrue(store.registry().repos().isEmpty());
        assertEquals("-knot1.example", knotEvents.getLast());
        assertTrue(store.registry().repoRecordsOf(OWNER).isEmpty());
    }

    @Test
    @DisplayName("repos of members count while they are members; strangers' records are ignored")
    void memberRepos() {
        js.put(OWNER, MEMBER, "m1", false, member(ALICE, HOST));
        await().until(() -> store.registry().isMember(ALICE) && js.requests().size() == 2 && client.isConnected());
        RepoKey a = new RepoKey("knot1.example", ALICE, "alices");
        js.put(ALICE, REPO, "a1", false, repo("alices", "knot1.example", HOST));
        await().until(() -> registry.isRegistered(a));

        // Neither the server's filter nor the client lets a stranger in.
        js.put(MALLORY, REPO, "x1", false, repo("evil", "knot1.example", HOST));
        raw(MALLORY, REPO, "x2", "{\"name\":\"evil2\",\"knot\":\"knot1.example\",\"spindle\":\"" + HOST + "\"}");
        long t = js.put(ALICE, MEMBER, "m9", false, member(MALLORY, HOST)); // only the owner adds members
        settle(t);
        await().until(() -> frames("ignored") >= 2.0);
        assertFalse(registry.isRegistered(new RepoKey("knot1.example", MALLORY, "evil")));
        assertFalse(registry.isRegistered(new RepoKey("knot1.example", MALLORY, "evil2")));
        assertFalse(store.registry().isMember(MALLORY));

        js.delete(OWNER, MEMBER, "m1");
        await().until(() -> !registry.isRegistered(a));
        assertTrue(store.registry().repoRecordsOf(ALICE).isEmpty());
    }

    @Test
    @DisplayName("a registration from the static configuration survives its record's delete")
    void staticStays() {
        js.put(OWNER, REPO, "p1", false, repo("pinned", "knot3.example", HOST));
        await().until(() -> registry.isRegistered(STATIC));
        long t = js.delete(OWNER, REPO, "p1");
        settle(t);
        assertTrue(registry.isRegistered(STATIC));
    }

    @Test
    @DisplayName("collaborators: the repo owner's records for its own repos count, others do not")
    void collaborators() {
        String repoUri = "at://" + OWNER + "/" + REPO + "/r1";
        js.put(OWNER, COLLABORATOR, "c1", false, Map.of("subject", BOB, "repo", repoUri, "createdAt", "2025-12-01T00:00:00Z"));
        long t = js.put(OWNER, COLLABORATOR, "c2", false,
                Map.of("subject", MALLORY, "repo", "at://" + ALICE + "/" + REPO + "/r9", "createdAt", "2025-12-01T00:00:00Z"));
        settle(t);
        assertTrue(store.registry().isCollaborator(repoUri, BOB));
        assertFalse(store.registry().isCollaborator("at://" + ALICE + "/" + REPO + "/r9", MALLORY), "not the author's repo");
        raw(MALLORY, COLLABORATOR, "c3", "{\"subject\":\"" + MALLORY + "\",\"repo\":\"at://" + MALLORY + "/" + REPO + "/x\"}");
        t = js.delete(OWNER, COLLABORATOR, "c1");
        settle(t);
        assertFalse(store.registry().isCollaborator(repoUri, BOB));
        assertTrue(store.registry().collaborators().isEmpty());
    }

    @Test
    @DisplayName("malformed frames are logged and skipped; the stream goes on")
    void malformed() {
        js.sendRaw("not json at all");
        js.sendRaw("[1,2,3]");
        js.sendRaw("{\"did\":\"" + OWNER + "\",\"kind\":\"commit\"}");
        js.sendRaw("{\"did\":\"" + OWNER + "\",\"time_us\":1,\"kind\":\"commit\",\"commit\":{\"operation\":\"create\","
                + "\"collection\":\"" + REPO + "\",\"rkey\":\"r\"}}"); // a create without a record
        js.identity(OWNER);
        long t = js.put(OWNER, REPO, "r1", false, repo("hello", "knot1.example", HOST));
        settle(t);
        assertTrue(registry.isRegistered(new RepoKey("knot1.example", OWNER, "hello")));
        assertEquals(4.0, frames("malformed"));
        assertTrue(client.isConnected());
        assertEquals(1, js.requests().size(), "never reconnected");
    }

    @Test
    @DisplayName("a replay after a dropped connection neither loses nor doubles anything")
    void replayAfterReconnect() {
        js.put(OWNER, MEMBER, "m1", false, member(ALICE, HOST));
        await().until(() -> store.registry().isMember(ALICE) && js.requests().size() == 2 && client.isConnected());
        long t = js.put(OWNER, REPO, "r1", false, repo("hello", "knot1.example", HOST));
        js.put(OWNER, REPO, "r2", false, repo("moved", "knot1.example", HOST));
        t = js.put(OWNER, REPO, "r2", true, repo("moved", "knot2.example", HOST));
        settle(t);
        List<RegisteredRepo> before = store.registry().repos();
        long saved = cursor();
        double appliedBefore = frames("applied");

        js.dropConnections();
        await().until(() -> js.requests().size() == 3 && client.isConnected());
        long resumedAt = Long.parseLong(TestJetstream.query(js.requests().get(2)).get("cursor").get(0));
        assertTrue(resumedAt <= saved, "resumes at or before the cursor");
        t = js.put(ALICE, REPO, "a1", false, repo("alices", "knot2.example", HOST));
        settle(t);

        // Everything before the drop came again and was recognised; only the new record applied.
        assertTrue(frames("replayed") >= 4.0, "replayed " + frames("replayed"));
        assertEquals(appliedBefore + 1, frames("applied"));
        List<RegisteredRepo> after = store.registry().repos();
        assertEquals(3, after.size());
        assertTrue(after.containsAll(before), "registrations and their times unchanged");
        assertEquals(List.of("+knot1.example", "+knot2.example"), knotEvents, "each knot started once");
    }

    @Test
    @DisplayName("an old commit delivered again does not undo a newer one")
    void oldCommitSkipped() {
        RepoKey k = new RepoKey("knot1.example", OWNER, "hello");
        js.commit(OWNER, REPO, "r1", "create", repo("hello", "knot1.example", HOST), "3laaaaaaa0001");
        js.commit(OWNER, REPO, "r1", "update", repo("hello", "knot1.example", "other.example.com"), "3laaaaaaa0002");
        long t = js.commit(OWNER, REPO, "r1", "create", repo("hello", "knot1.example", HOST), "3laaaaaaa0001");
        settle(t);
        assertFalse(registry.isRegistered(k));
        assertEquals(1.0, frames("replayed"));
    }

    @Test
    @DisplayName("a restart resumes from the stored cursor: what happened while down is applied, nothing doubles")
    void restartResumes() {
        RepoKey kept = new RepoKey("knot1.example", OWNER, "kept");
        RepoKey dropped = new RepoKey("knot1.example", OWNER, "dropped");
        RepoKey added = new RepoKey("knot2.example", OWNER, "added");
        js.put(OWNER, REPO, "r1", false, repo("kept", "knot1.example", HOST));
        long t = js.put(OWNER, REPO, "r2", false, repo("dropped", "knot1.example", HOST));
        settle(t);
        RegisteredRepo keptBefore = store.registry().repos().stream().filter(r -> r.repo().equals(kept)).findFirst().orElseThrow();
        long saved = cursor();

        long[] last = new long[1];
        restart(() -> {
            js.delete(OWNER, REPO, "r2");
            last[0] = js.put(OWNER, REPO, "r3", false, repo("added", "knot2.example", HOST));
        });
        settle(last[0]);
        Map<String, List<String>> q = TestJetstream.query(js.requests().getLast());
        assertEquals(saved - replayWindow.toNanos() / 1000, Long.parseLong(q.get("cursor").get(0)));
        assertTrue(registry.isRegistered(kept));
        assertFalse(registry.isRegistered(dropped));
        assertTrue(registry.isRegistered(added));
        List<RegisteredRepo> repos = store.registry().repos();
        assertEquals(2, repos.size());
        assertTrue(repos.contains(keptBefore), "the kept registration is the same row, same time");
        assertEquals(2.0, frames("replayed"), "r1 and r2 came again after the restart and were skipped");
    }

    @Test
    @DisplayName("repo records with a repoDid register that repo DID, named by the record key; a spindle change or delete unregisters")
    void repoDidRecords() {
        js.put(OWNER, REPO, "3kr1", false, repoWithDid(REPO_DID, "knot1.example", HOST));
        await().until(() -> registry.byRepoDid(REPO_DID).isPresent());
        assertEquals(new RepoRef("knot1.example", OWNER, "3kr1", "", REPO_DID), registry.byRepoDid(REPO_DID).get());
        assertEquals("at://" + OWNER + "/" + REPO + "/3kr1", store.registry().repos().get(0).source());
        assertFalse(registry.isRegistered(new RepoKey("knot1.example", OWNER, "ignored-name")), "the name is not the key");

        js.put(OWNER, REPO, "3kr1", true, repoWithDid(REPO_DID, "knot2.example", HOST));
        await().until(() -> registry.byRepoDid(REPO_DID).filter(r -> r.knot().equals("knot2.example")).isPresent());
        assertEquals(List.of("+knot1.example", "+knot2.example", "-knot1.example"), knotEvents);

        js.put(OWNER, REPO, "3kr1", true, repoWithDid(REPO_DID, "knot2.example", null)); // spindle removed
        await().until(() -> registry.byRepoDid(REPO_DID).isEmpty());
        assertEquals("-knot2.example", knotEvents.getLast());

        js.put(OWNER, REPO, "3kr1", true, repoWithDid(REPO_DID, "knot2.example", HOST));
        await().until(() -> registry.byRepoDid(REPO_DID).isPresent());
        long t = js.delete(OWNER, REPO, "3kr1");
        settle(t);
        assertTrue(registry.byRepoDid(REPO_DID).isEmpty());
        assertTrue(store.registry().repos().isEmpty());
        assertTrue(store.registry().repoRecordsOf(OWNER).isEmpty());
    }

    @Test
    @DisplayName("a repoDid that is not a DID is logged and ignored; a repo DID another owner holds is refused and left alone")
    void repoDidRefused() {
        js.put(OWNER, MEMBER, "m1", false, member(ALICE, HOST));
        await().until(() -> store.registry().isMember(ALICE) && js.requests().size() == 2 && client.isConnected());
        js.put(OWNER, REPO, "3kbad", false, repoWithDid("not-a-did", "knot1.example", HOST));
        js.put(OWNER, REPO, "3kbad2", false, repoWithDid(REPO_DID, "https://knot1.example/x", HOST));
        js.put(ALICE, REPO, "3ka", false, repoWithDid(REPO_DID, "knot1.example", HOST));
        long t = js.put(OWNER, REPO, "3kmine", false, repoWithDid(REPO_DID, "knot9.example", HOST));
        settle(t);
        assertEquals(new RepoRef("knot1.example", ALICE, "3ka", "", REPO_DID), registry.byRepoDid(REPO_DID).orElseThrow());
        assertEquals(1, store.registry().repos().size());
        assertTrue(store.registry().repoRecordsOf(OWNER).isEmpty(), "the refused record holds nothing");

        t = js.delete(OWNER, REPO, "3kmine");
        settle(t);
        assertTrue(registry.byRepoDid(REPO_DID).isPresent(), "the refused record's delete does not undo another's registration");

        js.delete(OWNER, MEMBER, "m1"); // Alice leaves: what she brought goes
        await().until(() -> registry.byRepoDid(REPO_DID).isEmpty());
        assertEquals("-knot1.example", knotEvents.getLast());
    }

    @Test
    @DisplayName("a static repo DID takes its owner and record key from a record, and survives the record's delete")
    void staticRepoDid() {
        registry.registerRepoDid("knot3.example", OWNER, REPO_DID, REPO_DID, RepoRegistry.STATIC);
        js.put(OWNER, MEMBER, "m1", false, member(ALICE, HOST));
        await().until(() -> store.registry().isMember(ALICE) && js.requests().size() == 2 && client.isConnected());
        js.put(ALICE, REPO, "3ka", false, repoWithDid(REPO_DID, "knot3.example", HOST));
        await().until(() -> registry.byRepoDid(REPO_DID).filter(r -> r.did().equals(ALICE)).isPresent());
        assertEquals("3ka", registry.byRepoDid(REPO_DID).get().name());
        long t = js.delete(ALICE, REPO, "3ka");
        settle(t);
        assertTrue(registry.byRepoDid(REPO_DID).isPresent());
    }

    @Test
    @DisplayName("collaborator records naming a repo DID count when the author owns that registration")
    void collaboratorsByRepoDid() {
        js.put(OWNER, MEMBER, "m1", false, member(ALICE, HOST));
        await().until(() -> store.registry().isMember(ALICE) && js.requests().size() == 2 && client.isConnected());
        js.put(OWNER, REPO, "3kr1", false, repoWithDid(REPO_DID, "knot1.example", HOST));
        js.put(OWNER, COLLABORATOR, "c1", false, Map.of("subject", BOB, "repo", REPO_DID, "createdAt", "2025-12-01T00:00:00Z"));
        js.put(ALICE, COLLABORATOR, "c2", false, Map.of("subject", MALLORY, "repo", REPO_DID, "createdAt", "2025-12-01T00:00:00Z"));
        long t = js.put(OWNER, COLLABORATOR, "c3", false,
                Map.of("subject", MALLORY, "repo", "did:plc:unregistered", "createdAt", "2025-12-01T00:00:00Z"));
        settle(t);
        assertTrue(registry.hasPushRights(BOB, REPO_DID));
        assertTrue(registry.hasPushRights(OWNER, REPO_DID));
        assertFalse(registry.hasPushRights(MALLORY, REPO_DID), "not authored by the repo's owner");
        assertFalse(store.registry().isCollaborator("did:plc:unregistered", MALLORY));

        t = js.delete(OWNER, COLLABORATOR, "c1");
        settle(t);
        assertFalse(registry.hasPushRights(BOB, REPO_DID));
        assertTrue(store.registry().collaborators().isEmpty());
    }
}
