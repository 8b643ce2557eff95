package dev.weft.store.postgres;

import dev.weft.store.StoreContract;
import dev.weft.store.StoreException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

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
    @DisplayName("a fresh database is migrated to the version SQLite's schema has, plus the key table")
    void schemaVersion() {
        try (PostgresStores s = PostgresStores.open(EmbeddedPostgresFixture.freshDatabase(), EmbeddedPostgresFixture.USER, null)) {
            assertEquals("5.1", s.schemaVersion());
            assertEquals("ok", s.check());
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
