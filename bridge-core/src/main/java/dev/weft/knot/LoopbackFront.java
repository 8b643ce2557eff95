package dev.weft.knot;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * One loopback port in front of several local HTTP servers, for {@link UpgradedKnot}: a real knot
 * is one host:port serving both its {@code /events} WebSocket and git over HTTP, while the
 * in-process servers for those (Java-WebSocket, the JDK's HttpServer) each want a port of their own.
 *
 * <p>Each connection's first request line is peeked (at most {@link #MAX_REQUEST_LINE} bytes, within
 * {@link #PEEK_TIMEOUT}), the route picks a backend port from it, and from then on bytes are pumped
 * both ways unchanged. A connection stays with the backend it was first routed to; that is enough
 * for knot traffic, where a WebSocket never shares its connection and git clients only ever send
 * git requests on theirs. When the route has no backend (a test took the git side down), the
 * client gets {@code 502 Bad Gateway}, as from a proxy in front of a knot that is down.
 *
 * <p>Threads: one virtual thread accepts, and each connection runs on two virtual threads (one per
 * direction). All are started here and ended by {@link #close()}, which closes every socket and
 * joins them.
 */
final class LoopbackFront implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LoopbackFront.class);

    /** Longest request line read before routing; a longer one is refused (no client of a knot sends one). */
    static final int MAX_REQUEST_LINE = 8 * 1024;
    /** A client that connects and sends no request line in this time is dropped, not waited on forever. */
    static final Duration PEEK_TIMEOUT = Duration.ofSeconds(10);

    private static final byte[] BAD_GATEWAY = ("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n"
            + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

    private final ServerSocket listener;
    /** Request line to backend port; {@code -1} when that backend is down. */
    private final Function<String, Integer> route;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final AtomicInteger refused = new AtomicInteger();
    private final Thread acceptor;
    private volatile boolean closed;

    /**
     * Binds {@code 127.0.0.1:port} and starts accepting.
     *
     * @param port  0 for an ephemeral port
     * @param route maps a request line to the backend's loopback port, or -1 when it is down
     */
    LoopbackFront(int port, Function<String, Integer> route) {
        this.route = route;
        try {
            listener = new ServerSocket();
            listener.setReuseAddress(true);
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the knot front on loopback port " + port, e);
        }
        acceptor = start("knot-front-accept", this::acceptLoop);
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Requests answered with 502 because their backend was down. */
    int refused() {
        return refused.get();
    }

    /** Threads started here and not yet ended (the acceptor and the pumps). */
    int liveThreads() {
        return (int) threads.stream().filter(Thread::isAlive).count();
    }

    private Thread start(String name, Runnable body) {
        Thread t = Thread.ofVirtual().name(name).unstarted(() -> {
            try {
                body.run();
            } finally {
                threads.remove(Thread.currentThread());
            }
        });
        threads.add(t);
        t.start();
        return t;
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                if (!closed) log.warn("knot front: accept failed: {}", e.toString());
                return;
            }
            if (!track(client)) return;
            start("knot-front-conn", () -> serve(client));
        }
    }

    /** Registers a socket for {@link #close()}; false (and the socket closed) when already closing. */
    private boolean track(Socket s) {
        sockets.add(s);
        if (closed) {
            quietly(s);
            return false;
        }
        return true;
    }

    private void serve(Socket client) {
        Socket backend = null;
        try {
            client.setTcpNoDelay(true);
            client.setSoTimeout((int) PEEK_TIMEOUT.toMillis());
            byte[] head = peekRequestLine(client.getInputStream());
            if (head == null) return;
            client.setSoTimeout(0);
            int port = route.apply(new String(head, StandardCharsets.ISO_8859_1).strip());
            if (port < 0) {
                refused.incrementAndGet();
                client.getOutputStream().write(BAD_GATEWAY);
                client.getOutputStream().flush();
                return;
            }
            backend = new Socket();
            if (!track(backend)) return;
            backend.setTcpNoDelay(true);
            try {
                backend.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
            } catch (IOException e) {
                // The backend went down between routing and connecting: the same answer as down.
                refused.incrementAndGet();
                client.getOutputStream().write(BAD_GATEWAY);
                client.getOutputStream().flush();
                return;
            }
            backend.getOutputStream().write(head);
            backend.getOutputStream().flush();
            Socket b = backend;
            Thread back = start("knot-front-pump", () -> pump(b, client));
            pump(client, backend);
            back.join();
        } catch (IOException e) {
            if (!closed) log.debug("knot front connection ended: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            quietly(client);
            sockets.remove(client);
            if (backend != null) {
                quietly(backend);
                sockets.remove(backend);
            }
        }
    }

    /** The bytes up to and including the first {@code \n}; null when the client sent none or too many. */
    private static byte[] peekRequestLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        while (line.size() < MAX_REQUEST_LINE) {
            int b = in.read();
            if (b < 0) return null;
            line.write(b);
            if (b == '\n') return line.toByteArray();
        }
        return null;
    }

    /**
     * Copies {@code from} to {@code to} until end of stream, then half-closes {@code to}, so each
     * side sees the other's close (an HTTP body end, or a knot dropping a WebSocket) as it would
     * without the front. A failure on either socket closes both.
     */
    private static void pump(Socket from, Socket to) {
        byte[] buf = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
                out.flush();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            quietly(from);
            quietly(to);
        }
    }

    private static void quietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing: nothing left to do with it
        }
    }

    /** Stops accepting, closes every connection and joins every thread started here (bounded). */
    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException e) {
            log.debug("knot front: closing the listener: {}", e.toString());
        }
        for (Socket s : sockets) quietly(s);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        for (Thread t : Set.copyOf(threads)) {
            try {
                if (!t.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) {
                    log.warn("knot front thread {} did not end", t.getName());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (acceptor.isAlive()) log.warn("knot front acceptor did not end");
    }
}
