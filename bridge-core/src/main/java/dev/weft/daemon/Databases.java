package dev.weft.daemon;

import dev.weft.config.DatabaseLocation;
import dev.weft.store.Stores;
import dev.weft.store.postgres.PostgresStores;
import dev.weft.store.sqlite.SqliteStores;

import java.nio.file.Path;

/**
 * The one place that turns {@code WEFT_DB} into a store implementation, so that the daemon and
 * the operator commands name only the {@link Stores} interfaces. SQLite is the embedded default;
 * PostgreSQL serves the same interfaces from a server.
 */
public final class Databases {
    private Databases() {
    }

    /** Opens (creating when absent) the SQLite file {@code db} and brings its schema up to date. */
    public static Stores open(Path db) {
        return SqliteStores.open(db);
    }

    /**
     * Opens the database {@code db} names and brings its schema up to date, for a command that
     * does not seal repo secrets (the key is not checked).
     */
    public static Stores open(DatabaseLocation db) {
        return switch (db) {
            case DatabaseLocation.Sqlite s -> SqliteStores.open(s.file());
            case DatabaseLocation.Postgres pg -> PostgresStores.open(pg.jdbcUrl(), pg.user(), pg.password());
        };
    }

    /**
     * As {@link #open(DatabaseLocation)}, for the daemon, which seals repo secrets with the key
     * {@code secretsKeyId} names: a PostgreSQL database, shared by instances, records the first
     * key and refuses another ({@link dev.weft.store.StoreException} naming both). A SQLite file has
     * one daemon, whose key sits beside it, and is not checked.
     */
    public static Stores open(DatabaseLocation db, String secretsKeyId) {
        return open(db, secretsKeyId, null);
    }

    /**
     * As {@link #open(DatabaseLocation, String)}, naming {@code owner} (this instance's lease
     * holder) as the driver of the runs it inserts into a PostgreSQL database. A SQLite file has
     * one instance, which owns every run, so no owner is written there.
     */
    public static Stores open(DatabaseLocation db, String secretsKeyId, String owner) {
        Stores stores = switch (db) {
            case DatabaseLocation.Sqlite s -> SqliteStores.open(s.file());
            case DatabaseLocation.Postgres pg -> PostgresStores.open(pg.jdbcUrl(), pg.user(), pg.password(), owner);
        };
        if (stores instanceof PostgresStores pg) {
            try {
                pg.pinSecretsKey(secretsKeyId);
            } catch (RuntimeException e) {
                stores.close();
                throw e;
            }
        }
        return stores;
    }

    /**
     * The schema of the database {@code db} names, read without creating or migrating anything
     * (for {@code weft doctor}). A SQLite file that does not exist yet is the caller's to notice
     * first; PostgreSQL calls are bounded by {@code timeout}.
     *
     * @throws java.sql.SQLException when the database cannot be reached or read
     */
    public static dev.weft.store.jdbc.Migrations.SchemaState inspect(DatabaseLocation db, java.time.Duration timeout)
            throws java.sql.SQLException {
        return switch (db) {
            case DatabaseLocation.Sqlite s -> SqliteStores.inspect(s.file());
            case DatabaseLocation.Postgres pg -> PostgresStores.inspect(pg.jdbcUrl(), pg.user(), pg.password(), timeout);
        };
    }

    /** The knots of the registered repositories, read as {@link #inspect} reads (nothing written). */
    public static java.util.Set<String> registeredKnots(DatabaseLocation db, java.time.Duration timeout)
            throws java.sql.SQLException {
        return switch (db) {
            case DatabaseLocation.Sqlite s -> SqliteStores.registeredKnots(s.file());
            case DatabaseLocation.Postgres pg -> PostgresStores.registeredKnots(pg.jdbcUrl(), pg.user(), pg.password(), timeout);
        };
    }
}
