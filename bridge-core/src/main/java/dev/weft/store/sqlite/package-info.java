/**
 * The SQLite implementation of the stores: one file in WAL mode, one writer thread that
 * group-commits every write ({@code SqliteWriter}), a few reader connections, and Flyway
 * migrations from {@code db/sqlite}. Nothing outside this package names these types except the
 * code that opens the database.
 */
package dev.weft.store.sqlite;
