package dev.weft.config;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WeftConfigDatabaseTest {
    @TempDir
    Path dir;

    private Map<String, String> env(String... kv) {
        Map<String, String> env = new HashMap<>(WeftConfigTest.MINIMAL);
        for (int i = 0; i < kv.length; i += 2) env.put(kv[i], kv[i + 1]);
        return env;
    }

    private static List<String> problems(Map<String, String> env) {
        return assertThrows(WeftConfig.InvalidConfigException.class, () -> WeftConfig.from(env)).problems();
    }

    @Test
    @DisplayName("anything but a PostgreSQL URL is a SQLite path, as before, with the key and git cache beside it")
    void sqlitePath() throws Exception {
        WeftConfig c = WeftConfig.from(env("WEFT_DB", "/var/lib/weft/weft.db"));
        assertEquals(new DatabaseLocation.Sqlite(Path.of("/var/lib/weft/weft.db")), c.db());
        assertEquals(Path.of("/var/lib/weft/weft-secrets.key"), c.secretsKeyFile());
        assertEquals(Path.of("/var/lib/weft/weft-git"), c.gitCacheDir());
        assertInstanceOf(DatabaseLocation.Sqlite.class, WeftConfig.from(env("WEFT_DB", "postgresql.db")).db(),
                "a file whose name starts like the scheme is still a file");
    }

    @Test
    @DisplayName("postgresql://user:password@host:port/database?params becomes a JDBC URL with the credentials apart")
    void postgresUrl() throws Exception {
        WeftConfig c = WeftConfig.from(env("WEFT_DB", "postgresql://weft:p%40ss@db.internal:5433/weft?sslmode=require",
                "WEFT_SECRETS_KEY_FILE", "/etc/weft/key"));
        DatabaseLocation.Postgres pg = assertInstanceOf(DatabaseLocation.Postgres.class, c.db());
        assertEquals("jdbc:postgresql://db.internal:5433/weft?sslmode=require", pg.jdbcUrl());
        assertEquals("weft", pg.user());
        assertEquals("p@ss", pg.password());
        assertFalse(pg.toString().contains("p@ss"), "the password never prints");
        assertTrue(c.describe().stream().noneMatch(l -> l.contains("p@ss")), "nor in --print-config");
        assertEquals(Path.of("weft-git"), c.gitCacheDir(), "no file to put the cache beside");

        DatabaseLocation.Postgres bare = assertInstanceOf(DatabaseLocation.Postgres.class,
                WeftConfig.from(env("WEFT_DB", "postgres://db/weft", "WEFT_SECRETS_KEY_FILE", "k")).db());
        assertEquals(new DatabaseLocation.Postgres("jdbc:postgresql://db/weft", null, null), bare);
    }

    @Test
    @DisplayName("a jdbc:postgresql: URL is taken as it is")
    void jdbcUrl() throws Exception {
        String url = "jdbc:postgresql://a:5432,b:5432/weft?targetServerType=primary&user=weft";
        assertEquals(new DatabaseLocation.Postgres(url, null, null),
                WeftConfig.from(env("WEFT_DB", url, "WEFT_SECRETS_KEY_FILE", "k")).db());
    }

    @Test
    @DisplayName("the password may come from WEFT_DB_PASSWORD_FILE: its first line, exactly")
    void passwordFile() throws Exception {
        Path file = dir.resolve("pw");
        Files.writeString(file, " s3cret \nignored\n");
        WeftConfig c = WeftConfig.from(env("WEFT_DB", "postgresql://weft@db/weft", "WEFT_DB_PASSWORD_FILE", file.toString(),
                "WEFT_SECRETS_KEY_FILE", "k"));
        assertEquals(" s3cret ", ((DatabaseLocation.Postgres) c.db()).password());
        assertEquals(c.db(), WeftConfig.database(env("WEFT_DB", "postgresql://weft@db/weft", "WEFT_DB_PASSWORD_FILE", file.toString())),
                "the commands that only need the database read it the same way");
    }

    @Test
    @DisplayName("with PostgreSQL the secrets key file is required; bad URLs and password files are named")
    void problems() {
        assertTrue(problems(env("WEFT_DB", "postgresql://weft@db/weft")).stream()
                .anyMatch(p -> p.startsWith("WEFT_SECRETS_KEY_FILE: required with a PostgreSQL WEFT_DB")));
        assertTrue(problems(env("WEFT_DB", "postgresql://weft@db/", "WEFT_SECRETS_KEY_FILE", "k")).stream()
                .anyMatch(p -> p.startsWith("WEFT_DB: a PostgreSQL URL needs a database")));
        assertTrue(problems(env("WEFT_DB", "postgresql://weft@/weft", "WEFT_SECRETS_KEY_FILE", "k")).stream()
                .anyMatch(p -> p.startsWith("WEFT_DB: a PostgreSQL URL needs a host")));
        assertTrue(problems(env("WEFT_DB", "postgresql://db:99999/weft", "WEFT_SECRETS_KEY_FILE", "k")).stream()
                .anyMatch(p -> p.startsWith("WEFT_DB: port must be")));
        assertTrue(problems(env("WEFT_DB", "postgresql://db/weft", "WEFT_SECRETS_KEY_FILE", "k",
                "WEFT_DB_PASSWORD_FILE", dir.resolve("absent").toString())).stream()
                .anyMatch(p -> p.startsWith("WEFT_DB_PASSWORD_FILE: cannot read")));
        assertTrue(problems(env("WEFT_DB", "postgresql://u:p@db/weft", "WEFT_SECRETS_KEY_FILE", "k",
                "WEFT_DB_PASSWORD_FILE", "x")).stream()
                .anyMatch(p -> p.startsWith("WEFT_DB_PASSWORD_FILE: WEFT_DB already holds a password")));
        assertTrue(problems(env("WEFT_DB", "weft.db", "WEFT_DB_PASSWORD_FILE", "x")).stream()
                .anyMatch(p -> p.startsWith("WEFT_DB_PASSWORD_FILE: only with a PostgreSQL WEFT_DB")));
    }
}
