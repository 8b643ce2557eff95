package dev.weft.cmd;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("weft healthcheck")
class HealthcheckCommandTest {
    HttpServer server;
    final AtomicInteger status = new AtomicInteger(200);

    @AfterEach
    void stop() {
        if (server != null) server.stop(0);
    }

    int serve() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/healthz", ex -> {
            byte[] body = ("{\"status\":\"" + (status.get() == 200 ? "ok" : "unhealthy") + "\"}").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status.get(), body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        return server.getAddress().getPort();
    }

    record Result(int code, String out, String err) {
    }

    static Result run(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = HealthcheckCommand.run(List.of(args), env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("exit 0 when /healthz on WEFT_LISTEN's port answers 200 (a wildcard address means loopback)")
    void healthy() throws Exception {
        int port = serve();
        Result r = run(Map.of("WEFT_LISTEN", "0.0.0.0:" + port));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("200"), r.out());
    }

    @Test
    @DisplayName("exit 1 when /healthz answers 503")
    void unhealthy() throws Exception {
        status.set(503);
        int port = serve();
        Result r = run(Map.of(), "--listen", "127.0.0.1:" + port);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("503"), r.err());
    }

    @Test
    @DisplayName("exit 1 when nothing listens, within the timeout")
    void down() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        long start = System.nanoTime();
        Result r = run(Map.of("WEFT_LISTEN", "127.0.0.1:" + port), "--timeout", "1s");
        assertEquals(1, r.code());
        assertTrue(System.nanoTime() - start < 5_000_000_000L);
    }

    @Test
    @DisplayName("exit 1 when a server accepts and never answers, after the timeout")
    void silent() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            long start = System.nanoTime();
            Result r = run(Map.of("WEFT_LISTEN", "127.0.0.1:" + s.getLocalPort()), "--timeout", "1s");
            assertEquals(1, r.code());
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ms >= 900 && ms < 5_000, "took " + ms + " ms");
        }
    }

    @Test
    @DisplayName("exit 2 on a bad WEFT_LISTEN or timeout; the default port is 6555")
    void usage() {
        assertEquals(2, run(Map.of("WEFT_LISTEN", "nonsense")).code());
        assertEquals(2, run(Map.of(), "--timeout", "soon").code());
        assertEquals("http://127.0.0.1:6555/healthz", HealthcheckCommand.healthz("0.0.0.0:6555").toString());
        assertEquals("http://127.0.0.1:7000/healthz", HealthcheckCommand.healthz("[::]:7000").toString());
        assertEquals("http://10.0.0.5:7000/healthz", HealthcheckCommand.healthz("10.0.0.5:7000").toString());
        assertEquals("http://[::1]:7000/healthz", HealthcheckCommand.healthz("[::1]:7000").toString());
    }
}
