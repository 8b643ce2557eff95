package dev.weft.store.postgres;

import dev.weft.store.StoreContract;
import dev.weft.store.Stores;

/** The store contract, unchanged, against PostgreSQL: a database of its own per test. */
class PostgresStoreContractTest extends StoreContract {
    private String url;

    @Override
    protected Stores open() {
        url = EmbeddedPostgresFixture.freshDatabase();
        return PostgresStores.open(url, EmbeddedPostgresFixture.USER, null);
    }

    @Override
    protected Stores reopen() {
        return PostgresStores.open(url, EmbeddedPostgresFixture.USER, null);
    }
}
