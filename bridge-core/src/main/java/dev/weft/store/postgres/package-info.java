/**
 * The PostgreSQL implementation of the stores: a HikariCP pool, one transaction per store call,
 * Flyway migrations from {@code db/postgres} that mirror SQLite's versions, and the store logic of
 * {@code store.jdbc}. Nothing outside the store packages names these types except the code that
 * opens the database. Several instances on one database are not coordinated yet (leases come next).
 */
package dev.weft.store.postgres;
