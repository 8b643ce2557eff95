package dev.weft.store.sqlite;

import java.sql.SQLException;

/** A unit of database work on a connection the caller was lent. */
@FunctionalInterface
interface SqlWork<T> {
    T run(Session s) throws SQLException;
}
