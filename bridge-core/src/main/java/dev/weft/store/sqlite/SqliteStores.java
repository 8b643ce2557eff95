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

    public Path file() {
        return db.file();
    }
}
