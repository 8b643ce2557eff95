package dev.weft.lease;

import dev.weft.knot.MutableClock;
import dev.weft.store.StoreException;
import dev.weft.store.postgres.EmbeddedPostgresFixture;
import dev.weft.store.postgres.PostgresStores;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A process stalled past its liveness lease (SIGSTOP, a long pause) wakes with its run threads
 * beside its renewal thread; before any round notices the lapse, those threads must not write to
 * runs other instances adopted meanwhile. The daemon fences its shared store with
 * {@link LeaseKeeper#lapsed}, which tells the lapse from the clock alone (found by KillNineTest:
 * the woken instance wrote log lines into adopted runs, colliding with their new drivers' lines).
 */
class WriteFenceTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration TTL = Duration.ofSeconds(10);

    @Test
    @DisplayName("once its liveness lease lapsed by the clock, before any round saw it, the store refuses the instance's writes")
    void lapsedLifeWritesNothing() {
        MutableClock clock = new MutableClock(T0);
        InstanceId me = InstanceId.of("a");
        try (PostgresStores stores = PostgresStores.open(EmbeddedPostgresFixture.freshDatabase(), EmbeddedPostgresFixture.USER, null,
                me.holder())) {
            // Renewal rounds an hour apart: the thread never runs a round during the test.
            LeaseKeeper keeper = new LeaseKeeper(stores.leases(), me, Duration.ofHours(3), Duration.ofHours(1), clock);
            stores.fenceWrites(keeper::lapsed);
            keeper.start();
            try {
                clock.advance(Duration.ofHours(3).minusMillis(1));
                assertFalse(keeper.lapsed(), "still within the lease");
                assertTrue(stores.leases().acquire("knot:k", me.holder(), clock.instant(), TTL), "writes pass while alive");

                clock.advance(Duration.ofMillis(1)); // the process "wakes" a whole lease after its last renewal
                assertTrue(keeper.lapsed());
                assertFalse(keeper.livenessLost(), "no round has looked yet");
                StoreException refused = assertThrows(StoreException.class,
                        () -> stores.leases().acquire("publisher", me.holder(), clock.instant(), TTL));
                assertTrue(refused.getMessage().contains("liveness lease lapsed"), refused.getMessage());
                assertTrue(stores.leases().lease("publisher").isEmpty(), "nothing was written");
                assertEquals(me.holder(), stores.leases().lease("knot:k").orElseThrow().holder(), "reads still work");

                keeper.round(clock.instant());
                assertTrue(keeper.livenessLost() && keeper.lapsed(), "the round confirms it, and the fence stays");
            } finally {
                keeper.close();
            }
        }
    }

    @Test
    @DisplayName("without a shared database an instance never lapses")
    void unsharedNeverLapses() {
        MutableClock clock = new MutableClock(T0);
        LeaseKeeper keeper = new LeaseKeeper(null, InstanceId.of("solo"), TTL, Duration.ofSeconds(2), clock);
        keeper.start();
        clock.advance(Duration.ofDays(1));
        assertFalse(keeper.lapsed());
        keeper.close();
    }
}
