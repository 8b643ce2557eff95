package dev.weft.store.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One connection with its prepared-statement cache. SQLite compiles a statement on every prepare,
 * which the benchmarks showed to be most of a store call's cost, so statements are prepared once
 * per connection and kept (a PostgreSQL session lives for one store call and its pooled connection
 * keeps server-side statements itself, so there the cache only spans the call): {@link #cached} hands out the live statement, which callers must not
 * close; {@link #close} closes them all with the connection. A session is used by one thread at a
 * time (the writer thread, or a reader that borrowed it).
 */
public final class Session implements AutoCloseable {
    private final Connection connection;
    private final Map<String, PreparedStatement> statements = new HashMap<>();

    public Session(Connection connection) {
        this.connection = connection;
    }

    public Connection connection() {
        return connection;
    }

    /** The cached statement for {@code sql} with {@code args} bound. Never close it. */
    public PreparedStatement cached(String sql, Object... args) throws SQLException {
        PreparedStatement p = statements.get(sql);
        if (p == null) {
            p = connection.prepareStatement(sql);
            statements.put(sql, p);
        }
        return bind(p, args);
    }

    public int update(String sql, Object... args) throws SQLException {
        return cached(sql, args).executeUpdate();
    }

    /**
     * Inserts one row into a table whose generated key is its {@code id} column and returns that
     * key. {@code RETURNING}, which SQLite and PostgreSQL both speak, rather than JDBC's generated
     * keys: sqlite-jdbc serves those by matching every INSERT's text against a pattern and running
     * {@code SELECT last_insert_rowid()} on a fresh statement, so they stay off for its connections
     * ({@code SqliteDatabase}), where they cost the writer thread a tenth of its time.
     */
    public long insertReturningKey(String sql, Object... args) throws SQLException {
        try (ResultSet keys = cached(sql + " RETURNING id", args).executeQuery()) {
            if (!keys.next()) throw new SQLException("no generated key for " + sql);
            return keys.getLong(1);
        }
    }

    public long queryLong(String sql, Object... args) throws SQLException {
        try (ResultSet rs = cached(sql, args).executeQuery()) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }

    /** Maps every row of a query. */
    public <T> List<T> query(String sql, RowMapper<T> mapper, Object... args) throws SQLException {
        List<T> out = new ArrayList<>();
        try (ResultSet rs = cached(sql, args).executeQuery()) {
            while (rs.next()) out.add(mapper.map(rs));
        }
        return out;
    }

    public <T> Optional<T> queryOne(String sql, RowMapper<T> mapper, Object... args) throws SQLException {
        try (ResultSet rs = cached(sql, args).executeQuery()) {
            return rs.next() ? Optional.of(mapper.map(rs)) : Optional.empty();
        }
    }

    public void execute(String sql) throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute(sql);
        }
    }

    @FunctionalInterface
    public interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    /** A nullable integer column. */
    public static Long nullableLong(ResultSet rs, int column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    private static PreparedStatement bind(PreparedStatement p, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null) p.setNull(i + 1, Types.NULL);
            else if (a instanceof Long l) p.setLong(i + 1, l);
            else if (a instanceof Integer n) p.setInt(i + 1, n);
            else if (a instanceof String s) p.setString(i + 1, s);
            else if (a instanceof byte[] b) p.setBytes(i + 1, b);
            else if (a instanceof Boolean b) p.setInt(i + 1, b ? 1 : 0);
            else throw new IllegalArgumentException("cannot bind " + a.getClass());
        }
        return p;
    }

    @Override
    public void close() throws SQLException {
        SQLException first = null;
        for (PreparedStatement p : statements.values()) {
            try {
                p.close();
            } catch (SQLException e) {
                if (first == null) first = e;
            }
        }
        statements.clear();
        try {
            connection.close();
        } catch (SQLException e) {
            if (first == null) first = e;
        }
        if (first != null) throw first;
    }
}
