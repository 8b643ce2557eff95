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

    @Override
    public void fenceWrites(java.util.function.BooleanSupplier fenced) {
        db.fenceWrites(fenced);
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

    /**
     * The schema of the database {@code jdbcUrl} names, read without migrating, on one connection
     * whose connect, login and socket reads are each bounded by {@code timeout}.
     *
     * @throws java.sql.SQLException when the server cannot be reached or refuses the credentials
     */
    public static dev.weft.store.jdbc.Migrations.SchemaState inspect(String jdbcUrl, String user, String password,
                                                                      java.time.Duration timeout) throws java.sql.SQLException {
        javax.sql.DataSource ds = probe(jdbcUrl, user, password, timeout);
        try {
            return dev.weft.store.jdbc.Migrations.inspect(org.flywaydb.core.Flyway.configure().dataSource(ds)
                    .locations("classpath:db/postgres").validateMigrationNaming(true).load(), 0);
        } catch (org.flywaydb.core.api.FlywayException e) {
            throw new java.sql.SQLException(e.getMessage(), e);
        }
    }

    /** Every knot of a registered repository, on a bounded connection as {@link #inspect}. */
    public static java.util.Set<String> registeredKnots(String jdbcUrl, String user, String password,
                                                        java.time.Duration timeout) throws java.sql.SQLException {
        return registeredKnots(probe(jdbcUrl, user, password, timeout));
    }

    /** One-connection source whose connect, login and reads are bounded; checked before it is handed out. */
    private static javax.sql.DataSource probe(String jdbcUrl, String user, String password, java.time.Duration timeout)
            throws java.sql.SQLException {
        org.postgresql.ds.PGSimpleDataSource ds = new org.postgresql.ds.PGSimpleDataSource();
        ds.setURL(jdbcUrl);
        if (user != null) ds.setUser(user);
        if (password != null) ds.setPassword(password);
        int seconds = (int) Math.max(1, timeout.toSeconds());
        ds.setConnectTimeout(seconds);
        ds.setLoginTimeout(seconds);
        ds.setSocketTimeout(seconds);
        try (java.sql.Connection probe = ds.getConnection()) {
            probe.isValid(seconds); // fail here, with the driver's message, before Flyway wraps it
        }
        return ds;
    }
}
