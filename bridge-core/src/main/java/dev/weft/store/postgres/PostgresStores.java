package dev.weft.store.postgres;

import dev.weft.store.StoreException;
import dev.weft.store.jdbc.Database.Lane;
import dev.weft.store.jdbc.JdbcStores;

import java.time.Instant;
import java.util.Optional;

/**
 * Every store over one PostgreSQL database, for operators who outgrow the embedded SQLite file.
 * The store logic and SQL are SQLite's ({@code store.jdbc}); what differs is how connections and
 * transactions are had ({@link PostgresDatabase}) and the schema's dialect ({@code db/postgres}).
 */
public final class PostgresStores extends JdbcStores {
    private final PostgresDatabase db;

    private PostgresStores(PostgresDatabase db, String owner) {
        super(db, owner);
        this.db = db;
    }

    /**
     * Connects to {@code jdbcUrl} ({@code jdbc:postgresql://...}) and brings the schema up to date.
     *
     * @param user     null to take it from the URL
     * @param password null to take it from the URL (or none)
     */
    public static PostgresStores open(String jdbcUrl, String user, String password) {
        return open(jdbcUrl, user, password, null);
    }

    /**
     * As {@link #open(String, String, String)}, for a daemon that shares the database: the runs it
     * inserts are driven by {@code owner} (its lease holder), so another instance can tell them
     * from its own and adopt them when {@code owner} dies.
     */
    public static PostgresStores open(String jdbcUrl, String user, String password, String owner) {
        return new PostgresStores(PostgresDatabase.open(jdbcUrl, user, password, PostgresDatabase.DEFAULT_POOL_SIZE), owner);
    }

    /**
     * Records {@code keyId}, the fingerprint of this instance's repo-secrets key, as the database's
     * when none is recorded yet, and refuses another: every instance on one database must seal
     * with the same key, or secrets one of them stored could not be opened by the others.
     *
     * @throws StoreException naming both fingerprints when the database already has another key
     */
    public void pinSecretsKey(String keyId) {
        String recorded = db.write(Lane.URGENT, s -> {
            s.update("INSERT INTO secrets_key (key_id, recorded_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    keyId, Instant.now().toEpochMilli());
            return s.queryOne("SELECT key_id FROM secrets_key", rs -> rs.getString(1)).orElseThrow();
        });
        if (!recorded.equals(keyId)) {
            throw new StoreException("the repo secrets in " + db.description() + " are sealed with key " + recorded
                    + ", but WEFT_SECRETS_KEY_FILE holds key " + keyId
                    + ": every instance on one database needs the same key file; refusing to start", null);
        }
    }

    /** The fingerprint of the repo-secrets key the database recorded, if any. */
    public Optional<String> secretsKey() {
        return db.read(s -> s.queryOne("SELECT key_id FROM secrets_key", rs -> rs.getString(1)));
    }
}
