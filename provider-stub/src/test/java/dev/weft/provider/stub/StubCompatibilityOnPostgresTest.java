package dev.weft.provider.stub;

import dev.weft.store.postgres.EmbeddedPostgresFixture;

import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/**
 * The same SPI contract with weft's state in PostgreSQL (each test on a fresh database of the
 * embedded server): a provider must not be able to tell the two stores apart.
 */
class StubCompatibilityOnPostgresTest extends StubCompatibilityTest {
    static {
        // The server, its output loggers and the driver's cleaner thread exist before any test:
        // the kit's thread-leak checks count only what the provider and weft leave behind.
        EmbeddedPostgresFixture.freshDatabase();
    }

    private String database;
    private Path keyFile;

    @Override
    protected Map<String, String> env() {
        // One database and one key per test, kept across the test's restarts and second harnesses
        // (env() is asked at each start): instances of one database must share its key.
        if (database == null) {
            database = EmbeddedPostgresFixture.freshDatabase();
            keyFile = Path.of(System.getProperty("java.io.tmpdir"), "weft-kit-" + UUID.randomUUID() + ".key");
            keyFile.toFile().deleteOnExit();
        }
        return Map.of("WEFT_DB", database, "WEFT_SECRETS_KEY_FILE", keyFile.toString());
    }
}
