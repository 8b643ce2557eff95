package dev.weft.store.sqlite;

import dev.weft.store.jdbc.JdbcStores;

import java.nio.file.Path;

/** The embedded default: every store over one SQLite file. */
public final class SqliteStores extends JdbcStores {
    private final SqliteDatabase db;

    private SqliteStores(SqliteDatabase db) {
        super(db);
        this.db = db;
    }

    /** Opens (creating when absent) the database file and brings its schema up to date. */
    public static SqliteStores open(Path file) {
        return new SqliteStores(SqliteDatabase.open(file));
    }

    /**
     * The schema of an existing file, read-only: nothing is created or migrated.
     *
     * @throws java.sql.SQLException when the file cannot be read as a SQLite database
     */
    public static dev.weft.store.jdbc.Migrations.SchemaState inspect(Path file) throws java.sql.SQLException {
        return SqliteDatabase.inspect(file);
    }

    /** Every knot of a registered repository, read-only (see {@link dev.weft.store.jdbc.JdbcStores#registeredKnots}). */
    public static java.util.Set<String> registeredKnots(Path file) throws java.sql.SQLException {
        return registeredKnots(SqliteDatabase.readOnly(file));
    }

    public Path file() {
        return db.file();
    }
}
