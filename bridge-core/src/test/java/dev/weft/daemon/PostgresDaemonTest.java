package dev.weft.daemon;

import dev.weft.config.DatabaseLocation;
import dev.weft.config.WeftConfig;
import dev.weft.store.StoreException;
import dev.weft.store.Stores;
import dev.weft.store.postgres.EmbeddedPostgresFixture;
import dev.weft.store.sqlite.SqliteStores;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The daemon on a PostgreSQL WEFT_DB: it starts, keeps repo secrets there, and refuses a second key. */
class PostgresDaemonTest {
    @TempDir
    Path dir;

    private static Map<String, String> env(String db, Path keyFile) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("WEFT_HOSTNAME", "ci.example.com");
        env.put("WEFT_OWNER_DID", "did:plc:spindleoperator");
        env.put("WEFT_LISTEN", "127.0.0.1:0");
        env.put("WEFT_JETSTREAM", "");
        env.put("WEFT_DB", db);
        env.put("WEFT_SECRETS_KEY_FILE", keyFile.toString());
        return env;
    }

    /** The fixture's JDBC URL in the form operators write: postgresql://user@host:port/database. */
    private static String operatorUrl() {
        String jdbc = EmbeddedPostgresFixture.freshDatabase();
        String database = jdbc.substring(jdbc.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
        return "postgresql://" + EmbeddedPostgresFixture.USER + "@localhost:" + EmbeddedPostgresFixture.port() + "/" + database;
    }

    @Test
    @DisplayName("an instance with another WEFT_SECRETS_KEY_FILE than the database's refuses to start, naming both keys")
    void secondKeyRefused() throws Exception {
        String db = operatorUrl();
        try (Weft first = Weft.builder(WeftConfig.from(env(db, dir.resolve("a.key")))).providers(List.of()).consumeKnots(false).start()) {
            assertTrue(first.secrets().add("did:plc:r", "repo", "at://did:plc:r/sh.tangled.repo/repo", "TOKEN", "v", "did:plc:r"));
        }
        // The same key starts again and opens what it sealed.
        try (Weft again = Weft.builder(WeftConfig.from(env(db, dir.resolve("a.key")))).providers(List.of()).consumeKnots(false).start()) {
            assertEquals(Map.of("TOKEN", "v"), again.secrets().values("did:plc:r", "repo"));
        }
        WeftConfig other = WeftConfig.from(env(db, dir.resolve("b.key")));
        StoreException e = assertThrows(StoreException.class,
                () -> Weft.builder(other).providers(List.of()).consumeKnots(false).start());
        assertTrue(e.getMessage().contains("WEFT_SECRETS_KEY_FILE") && e.getMessage().contains("refusing to start"), e.getMessage());
    }

    @Test
    @DisplayName("Databases.open picks the implementation from WEFT_DB; SQLite is not key-checked")
    void picksImplementation() {
        try (Stores s = Databases.open(new DatabaseLocation.Sqlite(dir.resolve("weft.db")), "k1")) {
            assertInstanceOf(SqliteStores.class, s);
        }
        try (Stores s = Databases.open(new DatabaseLocation.Sqlite(dir.resolve("weft.db")), "k2")) {
            assertEquals("ok", s.check());
        }
        String jdbc = EmbeddedPostgresFixture.freshDatabase();
        DatabaseLocation pg = new DatabaseLocation.Postgres(jdbc, EmbeddedPostgresFixture.USER, null);
        try (Stores s = Databases.open(pg, "k1")) {
            assertEquals("ok", s.check());
        }
        assertThrows(StoreException.class, () -> Databases.open(pg, "k2"));
        try (Stores s = Databases.open(pg)) {
            assertEquals("ok", s.check(), "an operator command does not check the key");
        }
    }
}
