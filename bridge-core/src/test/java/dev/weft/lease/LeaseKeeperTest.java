package dev.weft.lease;

import dev.weft.store.LeaseStore;
import dev.weft.store.sqlite.SqliteStores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two keepers on one lease table, driven round by round at chosen instants (the renewal thread is
 * not started), so expiry and take-over are exact rather than timed.
 */
class LeaseKeeperTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration TTL = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    SqliteStores stores;
    LeaseStore store;
    final List<String> events = new ArrayList<>();

    @BeforeEach
    void open() {
        stores = SqliteStores.open(dir.resolve("weft.db"));
        store = stores.leases();
    }

    @AfterEach
    void close() {
        stores.close();
    }

    LeaseKeeper keeper(String name) {
        return new LeaseKeeper(store, InstanceId.of(name), TTL, Duration.ofSeconds(2), Clock.fixed(T0, ZoneOffset.UTC));
    }

    LeaseKeeper.Work work(String who) {
        return new LeaseKeeper.Work(() -> events.add(who + " gained"), () -> events.add(who + " lost"));
    }

    @Test
    @DisplayName("a keeper whose liveness lease went a whole lease time unrenewed says so once, and renews nothing after")
    void livenessLapse() {
        LeaseKeeper a = keeper("a");
        List<String> lost = new ArrayList<>();
        a.onLivenessLost(lost::add);
        a.want("knot:k", work("a"));
        a.round(T0);
        a.round(T0.plusSeconds(9));
        assertTrue(lost.isEmpty());
        assertFalse(a.livenessLost());
        // Stalled (or cut off from the database) from T0+9s to T0+19s: the lease lapsed meanwhile.
        a.round(T0.plusSeconds(19));
        assertEquals(1, lost.size());
        assertTrue(lost.get(0).contains("lapsed"), lost.get(0));
        assertTrue(a.livenessLost());
        long knotExpiry = store.lease("knot:k").orElseThrow().expiresAt().toEpochMilli();
        a.round(T0.plusSeconds(21));
        assertEquals(1, lost.size(), "told once");
        assertEquals(knotExpiry, store.lease("knot:k").orElseThrow().expiresAt().toEpochMilli(),
                "a lapsed instance renews no work lease: another takes it at expiry");
    }

    @Test
    @DisplayName("the first keeper that wants a lease gets it; the other gets it once the holder stops renewing and it expires")
    void takeOverOnExpiry() {
        LeaseKeeper a = keeper("a");
        LeaseKeeper b = keeper("b");
        a.want("knot:k", work("a"));
        b.want("knot:k", work("b"));
        assertEquals(List.of("a gained"), events);
        assertEquals(Set.of("knot:k"), a.held());
        b.round(T0.plusSeconds(9));
        assertFalse(b.holds("knot:k"), "live: not taken");
        a.round(T0.plusSeconds(9)); // renewed until T0+19s
        b.round(T0.plusSeconds(18));
        assertFalse(b.holds("knot:k"));
        // a stops renewing (killed): b takes over after expiry, and a learns of it at its next round.
        b.round(T0.plusSeconds(19));
        assertTrue(b.holds("knot:k"));
        a.round(T0.plusSeconds(20));
        assertFalse(a.holds("knot:k"));
        assertEquals(List.of("a gained", "b gained", "a lost"), events);
    }

    @Test
    @DisplayName("handing back stops the work and frees the lease at once; unwanting one lease frees only it")
    void handBack() {
        LeaseKeeper a = keeper("a");
        LeaseKeeper b = keeper("b");
        a.want("knot:k", work("a"));
        a.want("publisher", work("a-pub"));
        b.want("knot:k", work("b"));
        b.want("publisher", work("b-pub"));
        a.unwant("knot:k");
        b.round(T0.plusSeconds(1));
        assertEquals(Set.of("knot:k"), b.held());
        a.handBack();
        b.round(T0.plusSeconds(2));
        assertEquals(Set.of("knot:k", "publisher"), b.held());
        assertEquals(List.of("a gained", "a-pub gained", "a lost", "b gained", "a-pub lost", "b-pub gained"), events);
        a.want("knot:x", work("a"));
        assertTrue(a.held().isEmpty(), "after handing back it wants nothing");
    }

    @Test
    @DisplayName("without a shared store every lease is held at once and nothing is written")
    void sole() {
        LeaseKeeper alone = new LeaseKeeper(null, InstanceId.of("solo"), TTL, Duration.ofSeconds(2), Clock.systemUTC());
        alone.start();
        alone.want("knot:k", work("solo"));
        assertEquals(Set.of("knot:k"), alone.held());
        alone.close();
        assertEquals(List.of("solo gained", "solo lost"), events);
        assertTrue(store.leases().isEmpty());
    }

    @Test
    @DisplayName("a process restarted under the same instance name is another holder: it waits for its previous life's leases")
    void restartIsAnotherHolder() {
        InstanceId first = InstanceId.of("web-1");
        InstanceId second = InstanceId.of("web-1");
        assertEquals(first.name(), second.name());
        assertNotEquals(first.holder(), second.holder());
        assertTrue(store.acquire("knot:k", first.holder(), T0, TTL));
        assertFalse(store.acquire("knot:k", second.holder(), T0.plusSeconds(1), TTL));
        assertTrue(store.acquire("knot:k", second.holder(), T0.plusSeconds(10), TTL));
    }

    @Test
    @DisplayName("start takes the liveness lease; close hands it and every work lease back")
    void liveness() {
        LeaseKeeper a = keeper("a");
        a.start();
        a.want("jetstream", work("a"));
        assertTrue(store.lease(a.instance().liveness()).isPresent());
        a.close();
        assertTrue(store.leases().isEmpty());
        assertEquals(List.of("a gained", "a lost"), events);
    }

    @Test
    @DisplayName("after start-up, wants and unwants from other threads are queued for the next round and never wait")
    void queuedAfterOpened() {
        LeaseKeeper a = keeper("a");
        a.opened();
        a.want("knot:k", work("a"));
        assertTrue(events.isEmpty(), "queued");
        a.round(T0);
        assertEquals(Set.of("knot:k"), a.held());
        a.unwant("knot:k");
        assertEquals(Set.of("knot:k"), a.held(), "queued too");
        a.round(T0.plusSeconds(1));
        assertTrue(a.held().isEmpty());
        assertTrue(store.lease("knot:k").isEmpty(), "handed back");
        assertEquals(List.of("a gained", "a lost"), events);
    }
}
