package dev.weft.store.jdbc;

import java.sql.SQLException;

/** A unit of database work on a connection the caller was lent. */
@FunctionalInterface
public interface SqlWork<T> {
    T run(Session s) throws SQLException;
}
