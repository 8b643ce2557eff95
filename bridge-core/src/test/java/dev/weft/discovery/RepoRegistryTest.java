package dev.weft.discovery;

import dev.weft.model.RepoRef;
import dev.weft.model.RepoRef.RepoKey;
import dev.weft.store.Collaborator;
import dev.weft.store.RegisteredRepo;
import dev.weft.store.sqlite.SqliteStores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("The repo registry: registrations by (knot, owner, name) and by repo DID")
class RepoRegistryTest {
    static final String OWNER = "did:plc:owner";
    static final String ALICE = "did:plc:alice";
    static final String BOB = "did:plc:bob";
    static final String REPO = "did:plc:repo1";
    static final String SRC = "at://" + ALICE + "/sh.tangled.repo/3krk";

    @TempDir
    Path dir;
    SqliteStores store;
    RepoRegistry registry;
    final KnotEvents knotEvents = new KnotEvents();

    @BeforeEach
    void open() {
        store = SqliteStores.open(dir.resolve("weft.db"));
        registry = new RepoRegistry(store.registry(), Clock.systemUTC());
        registry.addListener(knotEvents);
    }

    @AfterEach
    void close() {
        store.close();
    }

    void reopen() {
        store.close();
        open();
    }

    @Test
    @DisplayName("a repo-DID registration is found by its DID and by (knot, owner, rkey), needs its knot, and survives a restart")
    void byRepoDid() {
        registry.registerRepoDid("knot1", ALICE, "3krk", REPO, SRC);
        RepoRef ref = new RepoRef("knot1", ALICE, "3krk", "", REPO);
        assertEquals(Optional.of(ref), registry.byRepoDid(REPO));
        assertEquals(Optional.of(ref), registry.byName("knot1", ALICE, "3krk"));
        assertTrue(registry.isRegistered(ref));
        assertTrue(registry.isRegistered(new RepoRef("elsewhere", "did:plc:x", "x", "", REPO)), "by repo DID alone");
        assertTrue(registry.isRegistered(new RepoKey("knot1", ALICE, "3krk")));
        assertFalse(registry.isRegistered(new RepoRef("knot1", ALICE, "3krk", "", "did:plc:other")));
        assertEquals(List.of("+knot1"), knotEvents);
        RegisteredRepo row = registry.registrations().get(0);
        assertEquals(REPO, row.repoDid());
        assertEquals(SRC, row.source());

        reopen();
        assertEquals(Optional.of(ref), registry.byRepoDid(REPO));
        assertEquals(java.util.Set.of("knot1"), registry.knots());

        assertTrue(registry.unregisterRepoDid(REPO));
        assertFalse(registry.unregisterRepoDid(REPO));
        assertTrue(registry.byRepoDid(REPO).isEmpty());
        assertFalse(registry.isRegistered(ref));
        assertEquals(List.of("+knot1", "-knot1"), knotEvents);
    }

    @Test
    @DisplayName("knots are told once: a knot shared by both kinds stays until the last registration goes")
    void knotsFollowBothKinds() {
        RepoKey legacy = new RepoKey("knot1", ALICE, "hello");
        registry.register(legacy, "static");
        registry.registerRepoDid("knot1", ALICE, "3krk", REPO, SRC);
        registry.registerRepoDid("knot2", ALICE, "3krk", REPO, SRC); // the record moved knots
        assertEquals(List.of("+knot1", "+knot2"), knotEvents);
        registry.unregister(legacy);
        assertEquals(List.of("+knot1", "+knot2", "-knot1"), knotEvents);
        registry.unregisterRepoDid(REPO);
        assertEquals("-knot2", knotEvents.getLast());
        assertTrue(registry.knots().isEmpty());
    }

    @Test
    @DisplayName("byName: a (knot, owner, name) registration, a repo-DID one with that name (carrying its DID), or a wildcard knot")
    void byName() {
        registry.register(new RepoKey("knot1", ALICE, "hello"), "static");
        registry.registerRepoDid("knot1", ALICE, "named", REPO, SRC);
        registry.acceptAllOn("wild");
        assertEquals(Optional.of(new RepoRef("knot1", ALICE, "hello")), registry.byName("knot1", ALICE, "hello"));
        assertEquals(REPO, registry.byName("knot1", ALICE, "named").orElseThrow().repoDid());
        assertEquals(Optional.of(new RepoRef("wild", BOB, "any")), registry.byName("wild", BOB, "any"));
        assertTrue(registry.byName("knot1", BOB, "hello").isEmpty());
        assertTrue(registry.byName("knot2", ALICE, "named").isEmpty());
        assertTrue(registry.isRegistered(new RepoRef("wild", BOB, "any")), "wildcard by key");
        assertFalse(registry.isRegistered(new RepoRef("wild", BOB, "any", "", "did:plc:unknown")),
                "a repo DID is registered only by its own registration");
    }

    @Test
    @DisplayName("a repo DID registered to one owner is not taken by another's record; the same owner's record moves it")
    void anotherOwner() {
        registry.registerRepoDid("knot1", ALICE, "3krk", REPO, SRC);
        registry.registerRepoDid("knot9", BOB, "3kbob", REPO, "at://" + BOB + "/sh.tangled.repo/3kbob");
        assertEquals(ALICE, registry.byRepoDid(REPO).orElseThrow().did());
        assertEquals("knot1", registry.byRepoDid(REPO).orElseThrow().knot());
        registry.registerRepoDid("knot1", ALICE, "3kother", REPO, SRC);
        assertEquals("3kother", registry.byRepoDid(REPO).orElseThrow().name());
        assertEquals(List.of("+knot1"), knotEvents);
    }

    @Test
    @DisplayName("a static repo DID starts with the spindle owner, learns its owner, keeps it across a restart, and a record may take it over")
    void staticOwner() {
        registry.registerRepoDid("knot1", OWNER, REPO, REPO, RepoRegistry.STATIC);
        assertEquals(OWNER, registry.byRepoDid(REPO).orElseThrow().did());
        registry.learnOwner(REPO, ALICE);
        assertEquals(ALICE, registry.byRepoDid(REPO).orElseThrow().did());
        registry.learnOwner(REPO, "not a did");
        assertEquals(ALICE, registry.byRepoDid(REPO).orElseThrow().did());

        reopen();
        registry.registerRepoDid("knot1", OWNER, REPO, REPO, RepoRegistry.STATIC); // start-up again
        assertEquals(ALICE, registry.byRepoDid(REPO).orElseThrow().did(), "the learned owner is kept");
        assertTrue(registry.hasPushRights(ALICE, REPO));

        registry.registerRepoDid("knot1", BOB, "3kbob", REPO, "at://" + BOB + "/sh.tangled.repo/3kbob");
        assertEquals(new RepoRef("knot1", BOB, "3kbob", "", REPO), registry.byRepoDid(REPO).orElseThrow());
        assertEquals(RepoRegistry.STATIC, registry.registrations().get(0).source(), "still pinned by the configuration");
    }

    @Test
    @DisplayName("a knot does not override the owner a record gave")
    void recordOwnerStays() {
        String other = "did:plc:repo2";
        registry.registerRepoDid("knot1", ALICE, "3krk", other, SRC);
        registry.learnOwner(other, BOB);
        assertEquals(ALICE, registry.byRepoDid(other).orElseThrow().did(), "a record-backed owner is not overridden by a knot");
        registry.learnOwner("did:plc:unregistered", BOB); // nothing to learn for
    }

    @Test
    @DisplayName("push rights: the owner, record collaborators (by repo DID or at-uri) and the repo's own knot's collaborators")
    void pushRights() {
        registry.registerRepoDid("knot1", ALICE, "3krk", REPO, SRC);
        assertTrue(registry.hasPushRights(ALICE, REPO));
        assertFalse(registry.hasPushRights(BOB, REPO));
        assertFalse(registry.hasPushRights(ALICE, "did:plc:unregistered"));

        assertFalse(registry.collaboratorUpdate("knot2", "add", BOB, REPO), "not the repo's knot");
        assertFalse(registry.hasPushRights(BOB, REPO));
        assertTrue(registry.collaboratorUpdate("knot1", "add", BOB, REPO));
        assertTrue(registry.collaboratorUpdate("knot1", "add", BOB, REPO), "again: still applied");
        assertTrue(registry.hasPushRights(BOB, REPO));
        assertFalse(registry.collaboratorUpdate("knot1", "promote", BOB, REPO), "unknown op");
        assertFalse(registry.collaboratorUpdate("knot1", "add", "bob", REPO), "subject not a DID");
        assertFalse(registry.collaboratorUpdate("knot1", "add", BOB, "did:plc:unregistered"));
        assertFalse(registry.collaboratorUpdate("knot1", null, null, null));
        assertTrue(registry.collaboratorUpdate("knot1", "remove", BOB, REPO));
        assertFalse(registry.hasPushRights(BOB, REPO));

        String carol = "did:plc:carol";
        store.registry().putCollaborator(new Collaborator(ALICE, "c1", carol, REPO, Instant.EPOCH));
        assertTrue(registry.hasPushRights(carol, REPO));
        String dave = "did:plc:dave";
        store.registry().putCollaborator(new Collaborator(ALICE, "c2", dave, SRC, Instant.EPOCH));
        assertTrue(registry.hasPushRights(dave, REPO), "a record naming the repo record's at-uri");

        registry.collaboratorUpdate("knot1", "add", BOB, REPO);
        registry.unregisterRepoDid(REPO);
        registry.registerRepoDid("knot1", ALICE, "3krk", REPO, SRC);
        assertFalse(registry.hasPushRights(BOB, REPO), "a teardown forgets what the knot said");
    }

    @Test
    @DisplayName("bad input is logged and ignored, never thrown")
    void badInput() {
        registry.registerRepoDid("knot1", ALICE, "3krk", "not-a-did", SRC);
        registry.registerRepoDid("knot1", ALICE, "", REPO, SRC);
        registry.registerRepoDid("knot1", ALICE, "  ", REPO, SRC);
        registry.registerRepoDid("knot1", "alice", "3krk", REPO, SRC);
        registry.registerRepoDid("", ALICE, "3krk", REPO, SRC);
        registry.registerRepoDid(null, null, null, null, SRC);
        registry.registerRepoDid("knot1", ALICE, "3krk", REPO, null);
        assertTrue(registry.registrations().isEmpty());
        assertTrue(knotEvents.isEmpty());
        assertFalse(registry.unregisterRepoDid("not-a-did"));
        assertFalse(registry.unregisterRepoDid(null));
        registry.learnOwner(null, ALICE);
        assertTrue(registry.byRepoDid(null).isEmpty());
        assertTrue(registry.byName(null, ALICE, "x").isEmpty());
        assertFalse(registry.hasPushRights(ALICE, null));

        registry.registerRepoDid("knot1", OWNER, REPO, REPO, RepoRegistry.STATIC);
        registry.learnOwner(REPO, null);
        assertFalse(registry.hasPushRights(null, REPO));
        assertEquals(OWNER, registry.byRepoDid(REPO).orElseThrow().did());
    }
}
