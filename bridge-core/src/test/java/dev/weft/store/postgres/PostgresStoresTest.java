package dev.weft.store.postgres;

import dev.weft.model.Nanos;
import dev.weft.model.RepoRef;
import dev.weft.model.Trigger;
import dev.weft.store.PipelineQueries;
import dev.weft.store.StoreContract;
import dev.weft.store.StoreException;
import dev.weft.store.TriggerJson;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PostgresStoresTest {
    @Test
    @DisplayName("the first secrets key is recorded; the same key starts again, another is refused by name")
    void secretsKeyFingerprint() {
        String url = EmbeddedPostgresFixture.freshDatabase();
        try (PostgresStores s = PostgresStores.open(url, EmbeddedPostgresFixture.USER, null)) {
            assertTrue(s.secretsKey().isEmpty());
            s.pinSecretsKey("key-a");
            s.pinSecretsKey("key-a");
            assertEquals("key-a", s.secretsKey().orElseThrow());
        }
        try (PostgresStores s = PostgresStores.open(url, EmbeddedPostgresFixture.USER, null)) {
            StoreException e = assertThrows(StoreException.class, () -> s.pinSecretsKey("key-b"));
            assertTrue(e.getMessage().contains("key-a") && e.getMessage().contains("key-b")
                    && e.getMessage().contains("WEFT_SECRETS_KEY_FILE"), e.getMessage());
            assertEquals("key-a", s.secretsKey().orElseThrow(), "the recorded key is kept");
        }
    }

    @Test
    @DisplayName("an interrupted virtual thread's write still commits, and the interrupt is kept for its caller")
    void interruptedWriterCommits() throws Exception {
        try (PostgresStores s = PostgresStores.open(EmbeddedPostgresFixture.freshDatabase(), EmbeddedPostgresFixture.USER, null)) {
            boolean[] stillInterrupted = new boolean[1];
            Thread t = Thread.ofVirtual().start(() -> {
                Thread.currentThread().interrupt();
                s.runs().insertTrigger(StoreContract.trigger("3k1", "a.yml"), 0);
                stillInterrupted[0] = Thread.currentThread().isInterrupted();
            });
            t.join();
            assertTrue(stillInterrupted[0]);
            assertEquals(1, s.runs().openRuns().size());
        }
    }

    @Test
    @DisplayName("a fresh database is migrated to the version SQLite's schema has (with the key table of 5.1)")
    void schemaVersion() {
        try (PostgresStores s = PostgresStores.open(EmbeddedPostgresFixture.freshDatabase(), EmbeddedPostgresFixture.USER, null)) {
            assertEquals("18", s.schemaVersion());
            assertEquals("ok", s.check());
        }
    }

    @Test
    @DisplayName("V7 makes a 5.1 database's pipelines queryable: columns from the stored trigger, counts, start times")
    void pipelinesOfSchema51() throws Exception {
        String url = EmbeddedPostgresFixture.emptyDatabase();
        Flyway.configure().dataSource(url, EmbeddedPostgresFixture.USER, null).locations("classpath:db/postgres")
                .target("5.1").load().migrate();
        Trigger legacy = StoreContract.push("3kold", new RepoRef("knot", "did:plc:owner", "repo"), "a".repeat(40), 1);
        long received = Nanos.of(legacy.receivedAt());
        try (Connection c = DriverManager.getConnection(url, EmbeddedPostgresFixture.USER, null)) {
            try (PreparedStatement t = c.prepareStatement("INSERT INTO triggers (knot, rkey, received_at, trigger) VALUES (?,?,?,?)")) {
                t.setString(1, "knot");
                t.setString(2, "3kold");
                t.setLong(3, received);
                t.setString(4, TriggerJson.write(legacy));
                t.executeUpdate();
            }
            try (var st = c.createStatement()) {
                st.execute("INSERT INTO runs (id, knot, rkey, workflow, engine, state, created_at, updated_at) "
                        + "VALUES (1, 'knot', '3kold', 'ci.yml', 'stub', 'running', " + received + ", " + (received + 9) + ")");
                st.execute("INSERT INTO status_events (id, rkey, run_id, state, created_at) "
                        + "VALUES (1, 's1', 1, 'running', " + (received + 5) + ")");
            }
        }
        try (PostgresStores s = PostgresStores.open(url, EmbeddedPostgresFixture.USER, null)) {
            assertEquals("18", s.schemaVersion());
            PipelineQueries.Page page = s.pipelines().query(new PipelineQueries.Query("did:plc:owner",
                    new PipelineQueries.Legacy.Owner("did:plc:owner"), List.of("a".repeat(40)), List.of("push"), 10, Optional.empty()));
            assertEquals(1, page.total());
            PipelineQueries.Pipeline p = page.pipelines().getFirst();
            assertEquals(Optional.of(legacy), p.trigger());
            assertEquals("", p.repoDid());
            assertEquals("push", p.kind());
            assertEquals(Optional.of(Nanos.instant(received + 5)), p.workflows().getFirst().startedAt());
            assertEquals(1, s.pipelines().query(new PipelineQueries.Query("did:plc:owner",
                    new PipelineQueries.Legacy.Owner("did:plc:owner"), List.of(), List.of(), 10, Optional.empty())).total(),
                    "counted by the migration");
        }
    }

    @Test
    @DisplayName("a knot checkpoint whose deferred write was refused is flushed by a later checkpoint, not stuck")
    void checkpointAfterRefusedFlush() throws Exception {
        String url = EmbeddedPostgresFixture.freshDatabase();
        java.util.concurrent.atomic.AtomicBoolean fenced = new java.util.concurrent.atomic.AtomicBoolean(true);
        try (PostgresStores s = PostgresStores.open(url, EmbeddedPostgresFixture.USER, null, "a#1")) {
            s.fenceWrites(fenced::get);
            s.registry().saveKnotCursor("knot.example", 5); // its flush is refused: the batch fails
            org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(300)).until(() -> stored(url).isEmpty());
            fenced.set(false);
            // Checkpoints keep coming, as a consumer's do; one of them must reach the table.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> {
                s.registry().saveKnotCursor("knot.example", 6);
                return stored(url).equals(Optional.of(6L));
            });
        }
    }

    private static Optional<Long> stored(String url) throws java.sql.SQLException {
        try (Connection c = DriverManager.getConnection(url, EmbeddedPostgresFixture.USER, null);
             PreparedStatement p = c.prepareStatement("SELECT cursor FROM knot_cursors WHERE knot = 'knot.example'");
             var rs = p.executeQuery()) {
            return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
        }
    }

    @Test
    @DisplayName("an unreachable server fails the open at once, naming the database without its password")
    void unreachable() {
        StoreException e = assertThrows(StoreException.class, () -> PostgresStores.open(
                "jdbc:postgresql://127.0.0.1:1/weft?password=hunter2&connectTimeout=2", "weft", null));
        assertTrue(e.getMessage().contains("127.0.0.1:1/weft"), e.getMessage());
        assertTrue(!e.getMessage().contains("hunter2"), e.getMessage());
    }

    @Test
    @DisplayName("two instances taking one group's slot at once: only one member ever runs")
    void concurrencyGroupAcrossInstances() throws Exception {
        String url = EmbeddedPostgresFixture.freshDatabase();
        try (PostgresStores one = PostgresStores.open(url, EmbeddedPostgresFixture.USER, null, "one#1");
             PostgresStores two = PostgresStores.open(url, EmbeddedPostgresFixture.USER, null, "two#1")) {
            java.time.Instant now = java.time.Instant.now();
            List<Long> ids = new java.util.ArrayList<>();
            // A burst first: in 10 groups, 4 members each join and try to start at once, newest first,
            // half through each instance; a member that joins while an older one takes must not
            // also run (the group's row lock orders them).
            java.util.concurrent.ExecutorService burst = java.util.concurrent.Executors.newFixedThreadPool(8);
            try {
                List<java.util.concurrent.Future<?>> all = new java.util.ArrayList<>();
                for (int g = 0; g < 10; g++) {
                    List<Long> members = new java.util.ArrayList<>();
                    for (int m = 0; m < 4; m++) {
                        members.add(one.runs().insertTrigger(StoreContract.trigger("3b" + g + "m" + m, "deploy.yml"), 0)
                                .orElseThrow().get(0).id());
                    }
                    String group = "burst-" + g;
                    for (int m = members.size() - 1; m >= 0; m--) {
                        long id = members.get(m);
                        PostgresStores instance = m % 2 == 0 ? one : two;
                        all.add(burst.submit(() -> {
                            instance.concurrency().join(id, "did:plc:repo", group, false, "3b", now);
                            return instance.concurrency().take(id, now);
                        }));
                        PostgresStores other = m % 2 == 0 ? two : one;
                        all.add(burst.submit(() -> other.concurrency().take(id, now)));
                    }
                }
                for (var f : all) f.get();
            } finally {
                burst.shutdownNow();
            }
            for (int g = 0; g < 10; g++) {
                long running = one.concurrency().queue("did:plc:repo", "burst-" + g).stream()
                        .filter(e -> e.state() == dev.weft.model.QueueState.RUNNING).count();
                assertTrue(running <= 1, "group burst-" + g + " runs " + running + " members");
            }
            for (int i = 0; i < 6; i++) {
                long id = one.runs().insertTrigger(StoreContract.trigger("3k" + i, "deploy.yml"), 0).orElseThrow().get(0).id();
                ids.add(id);
                (i % 2 == 0 ? one : two).concurrency().join(id, "did:plc:repo", "deploy", false, "3k" + i, now);
            }
            // Every member tries to start from both instances at once, rounds after rounds; each
            // round, the running member ends. At no point may two members run.
            List<Long> order = new java.util.ArrayList<>();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
            try {
                for (int round = 0; round < ids.size(); round++) {
                    List<java.util.concurrent.Future<?>> tries = new java.util.ArrayList<>();
                    for (long id : ids) {
                        for (PostgresStores instance : List.of(one, two)) {
                            tries.add(pool.submit(() -> instance.concurrency().take(id, now)));
                        }
                    }
                    for (var f : tries) f.get();
                    List<dev.weft.store.QueueEntry> running = one.concurrency().queue("did:plc:repo", "deploy").stream()
                            .filter(e -> e.state() == dev.weft.model.QueueState.RUNNING).toList();
                    assertEquals(1, running.size(), "round " + round + ": " + running);
                    long id = running.get(0).runId();
                    order.add(id);
                    two.runs().transition(id, new dev.weft.model.Status.Running(), 0, 0);
                    two.runs().transition(id, new dev.weft.model.Status.Success(), 0, 0);
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(ids, order, "trigger order");
            assertTrue(one.concurrency().queue("did:plc:repo", "deploy").isEmpty());
        }
    }
}
