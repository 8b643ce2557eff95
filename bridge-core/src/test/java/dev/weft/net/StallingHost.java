package dev.weft.net;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A hostile HTTP host on a raw loopback socket: it answers each request with whatever its
 * {@link Reply} writes (typically headers and then nothing more) and then waits for the client to
 * hang up, counting the connections the client closed. MockWebServer cannot be made to stall
 * forever mid-body, hence the raw socket.
 */
public final class StallingHost implements AutoCloseable {
    /** Writes one answer; may block (stall) for as long as it likes. */
    @FunctionalInterface
    public interface Reply {
        void write(String requestLine, OutputStream out) throws IOException, InterruptedException;
    }

    private final ServerSocket server;
    private final Reply reply;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    /** Requests received. */
    public final AtomicInteger requests = new AtomicInteger();
    /** Connections the client closed (or reset) after the reply was written or while it stalled. */
    public final AtomicInteger closedByClient = new AtomicInteger();
    /** The request lines received, in order. */
    public final List<String> requestLines = new CopyOnWriteArrayList<>();

    public StallingHost(Reply reply) throws IOException {
        this.reply = reply;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(this::acceptLoop);
    }

    /** Headers declaring {@code declaredLength} bytes, the first bytes of {@code prefix}, and then nothing, ever. */
    public static Reply stallMidBody(String prefix, int declaredLength) {
        return (line, out) -> {
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + declaredLength
                    + "\r\n\r\n" + prefix).getBytes(StandardCharsets.UTF_8));
            out.flush();
        };
    }

    /** Nothing at all: not even a status line. */
    public static Reply silent() {
        return (line, out) -> {
        };
    }

    /** Headers declaring a body of {@code declaredLength} bytes that never comes. */
    public static Reply declares(long declaredLength) {
        return (line, out) -> {
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + declaredLength + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        };
    }

    /** A chunked body that never ends, 1 KiB a chunk, until the client hangs up. */
    public static Reply endlessChunks() {
        return (line, out) -> {
            out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = ("400\r\n" + "x".repeat(1024) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            while (true) {
                out.write(chunk); // throws once the client has closed the connection
                out.flush();
            }
        };
    }

    /** A complete answer, after {@code delay}. */
    public static Reply after(Duration delay, int status, String body) {
        return (line, out) -> {
            Thread.sleep(delay.toMillis());
            send(out, status, body);
        };
    }

    /** Writes a complete answer (and asks the client to close the connection). */
    public static void send(OutputStream out, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 " + status + " X\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "
                + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(b);
        out.flush();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** {@code localhost:<port>}, the host of a did:web served here. */
    public String hostAndPort() {
        return "localhost:" + port();
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                sockets.add(s);
                threads.execute(() -> serve(s));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            String line = readHead(in);
            if (line == null) return;
            requests.incrementAndGet();
            requestLines.add(line);
            try {
                reply.write(line, s.getOutputStream());
            } catch (IOException e) {
                closedByClient.incrementAndGet(); // a write failed: the client hung up mid-answer
                return;
            }
            // Stall: a GET sends nothing more, so this returns only when the client hangs up.
            while (in.read() >= 0) {
                // discard
            }
            closedByClient.incrementAndGet();
        } catch (IOException e) {
            if (!server.isClosed()) closedByClient.incrementAndGet(); // reset by the client
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The request line, after reading the whole head; null when the client left first. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) return null;
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String text = head.toString(StandardCharsets.US_ASCII);
        return text.substring(0, text.indexOf("\r\n"));
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        threads.shutdownNow();
    }
}
