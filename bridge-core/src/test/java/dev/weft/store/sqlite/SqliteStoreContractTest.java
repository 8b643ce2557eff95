package dev.weft.store.sqlite;

import dev.weft.store.StoreContract;
import dev.weft.store.Stores;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

class SqliteStoreContractTest extends StoreContract {
    @TempDir
    Path dir;

    @Override
    protected Stores open() {
        return SqliteStores.open(dir.resolve("weft.db"));
    }

    @Override
    protected Stores reopen() {
        return SqliteStores.open(dir.resolve("weft.db"));
    }
}
