package dev.weft.daemon;

import dev.weft.store.Stores;
import dev.weft.store.sqlite.SqliteStores;

import java.nio.file.Path;

/**
 * The one place that turns {@code WEFT_DB} into a store implementation, so that the daemon and
 * the operator commands name only the {@link Stores} interfaces. SQLite is the embedded default;
 * a server database plugs in here behind the same interfaces.
 */
public final class Databases {
    private Databases() {
    }

    /** Opens (creating when absent) the database {@code db} names and brings its schema up to date. */
    public static Stores open(Path db) {
        return SqliteStores.open(db);
    }
}
