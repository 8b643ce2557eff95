package dev.weft.store.postgres;

import dev.weft.store.StoreSignals;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.LockSupport;

/**
 * PostgreSQL's {@code LISTEN} for {@link StoreSignals}: one connection of its own, outside the pool
 * (it is held for the store's whole life), and one platform thread, {@code weft-db-listen}, that
 * waits for notifications on the {@link #CHANNEL} and hands them to the listener. The thread is
 * started by {@link #listen} and ended by {@link #close}. A broken connection is replaced (every
 * second until it works); signals sent while there was none are lost, so after every new
 * connection the listener is told it {@link StoreSignals.Listener#missed} some.
 */
final class PostgresSignals implements StoreSignals {
    private static final Logger log = LoggerFactory.getLogger(PostgresSignals.class);
    /** The one channel weft uses; the payload says what changed. */
    static final String CHANNEL = "weft_changes";
    /** How long one wait for notifications lasts: bounds how long {@link #close} waits for the thread. */
    private static final int WAIT_MILLIS = 250;
    private static final long RECONNECT_NANOS = 1_000_000_000L;
    /** How often the listening connection is checked with a round trip. */
    private static final long CHECK_NANOS = 5_000_000_000L;
    /** The longest payload taken: "log:" and a run id. Anything else on the channel is not ours. */
    private static final int MAX_PAYLOAD = 64;

    /** Opens a connection of its own for listening (not one of the pool's). */
    interface Connector {
        Connection connect() throws SQLException;
    }

    private final Connector connector;
    private volatile boolean running = true;
    private Thread thread;

    PostgresSignals(Connector connector) {
        this.connector = connector;
    }

    @Override
    public boolean live() {
        return true;
    }

    @Override
    public synchronized void listen(Listener listener) {
        if (thread != null) throw new IllegalStateException("a listener is already set");
        if (!running) return;
        thread = Thread.ofPlatform().name("weft-db-listen").daemon(true).start(() -> loop(listener));
    }

    private void loop(Listener listener) {
        Connection c = null;
        boolean first = true;
        long checked = System.nanoTime();
        while (running) {
            try {
                if (c == null) {
                    c = connector.connect();
                    try (Statement s = c.createStatement()) {
                        s.execute("LISTEN " + CHANNEL);
                    }
                    // The first connection misses what came before it too: the listener's own
                    // start-up reads the store then, so only later connections say so.
                    if (!first) listener.missed();
                    first = false;
                }
                if (System.nanoTime() - checked > CHECK_NANOS) {
                    // A round trip: a connection the server or the network dropped fails here
                    // (within the socket timeout) instead of waiting silently forever.
                    try (Statement s = c.createStatement()) {
                        s.execute("SELECT 1");
                    }
                    checked = System.nanoTime();
                }
                PGNotification[] got = c.unwrap(PGConnection.class).getNotifications(WAIT_MILLIS);
                if (got != null) for (PGNotification n : got) deliver(listener, n.getParameter());
            } catch (SQLException e) {
                if (!running) break;
                log.warn("listening for other instances' changes failed (live views fall back to polling; reconnecting): {}",
                        e.toString());
                closeQuietly(c);
                c = null;
                LockSupport.parkNanos(RECONNECT_NANOS);
            } catch (RuntimeException e) {
                // A listener's failure must not end the thread that every live view depends on.
                log.warn("a store signal's listener failed: {}", e.toString());
            }
        }
        closeQuietly(c);
    }

    /** Hands one payload to the listener; an unknown one is ignored (another program may use the channel). */
    static void deliver(Listener listener, String payload) {
        if (payload == null || payload.length() > MAX_PAYLOAD) return;
        switch (payload) {
            case EVENTS -> listener.eventsAppended();
            case OUTBOX -> listener.outboxQueued();
            default -> {
                if (!payload.startsWith(LOG)) return;
                try {
                    listener.logAppended(Long.parseLong(payload, LOG.length(), payload.length(), 10));
                } catch (NumberFormatException e) {
                    log.debug("ignoring signal {}", payload);
                }
            }
        }
    }

    /** The statement that sends a signal, bound to the payload. */
    static String notifySql() {
        return "SELECT pg_notify('" + CHANNEL + "', ?)";
    }

    private static void closeQuietly(Connection c) {
        if (c == null) return;
        try {
            c.close();
        } catch (SQLException e) {
            // the connection was broken already
        }
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            running = false;
            t = thread;
        }
        if (t == null) return;
        try {
            // At most one wait for notifications (or one connect attempt) more.
            t.join(10_000);
            if (t.isAlive()) log.warn("the store's listening thread did not stop within 10 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
