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
            assertEquals("10", s.schemaVersion());
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
            assertEquals("10", s.schemaVersion());
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
    @DisplayName("an unreachable server fails the open at once, naming the database without its password")
    void unreachable() {
        StoreException e = assertThrows(StoreException.class, () -> PostgresStores.open(
                "jdbc:postgresql://127.0.0.1:1/weft?password=hunter2&connectTimeout=2", "weft", null));
        assertTrue(e.getMessage().contains("127.0.0.1:1/weft"), e.getMessage());
        assertTrue(!e.getMessage().contains("hunter2"), e.getMessage());
    }
}
