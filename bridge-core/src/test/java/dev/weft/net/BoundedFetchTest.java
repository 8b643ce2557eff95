package dev.weft.net;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("BoundedFetch: a total deadline and a byte cap against hosts that stall or flood")
class BoundedFetchTest {
    static final Duration SHORT = Duration.ofMillis(500);
    /** Far above every deadline used here and far below anything that would mean "hung". */
    static final long WELL_BEFORE_MS = 5_000;

    final List<StallingHost> hosts = new ArrayList<>();

    @AfterEach
    void tearDown() throws IOException {
        for (StallingHost h : hosts) h.close();
    }

    StallingHost host(StallingHost.Reply reply) throws IOException {
        StallingHost h = new StallingHost(reply);
        hosts.add(h);
        return h;
    }

    record Failure(BoundedFetch.FetchException e, long elapsedMs) {
    }

    static Failure fails(BoundedFetch fetch, StallingHost host, Deadline deadline) {
        long t0 = System.nanoTime();
        BoundedFetch.FetchException e = assertThrows(BoundedFetch.FetchException.class,
                () -> fetch.get(host.uri("/.well-known/did.json"), "application/json", deadline));
        return new Failure(e, (System.nanoTime() - t0) / 1_000_000);
    }

    @Test
    @DisplayName("a host that sends headers and then stalls mid-body fails the fetch at its deadline and the connection is closed")
    void stallMidBody() throws Exception {
        StallingHost host = host(StallingHost.stallMidBody("{\"id\":\"did:web:", 4096));
        Failure f = fails(new BoundedFetch(SHORT, 64 * 1024), host, Deadline.none());
        assertTrue(f.elapsedMs() >= SHORT.toMillis(), "gave up early: " + f.elapsedMs() + " ms");
        assertTrue(f.elapsedMs() < WELL_BEFORE_MS, "not bounded: " + f.elapsedMs() + " ms");
        assertEquals(BoundedFetch.FetchException.Kind.TIMEOUT, f.e().kind());
        assertEquals("127.0.0.1:" + host.port(), f.e().host());
        assertEquals("127.0.0.1:" + host.port() + ": timed out after 500ms reading the body", f.e().getMessage());
        await().atMost(Duration.ofSeconds(5)).until(() -> host.closedByClient.get() == 1);
    }

    @Test
    @DisplayName("a host that never answers at all fails the fetch at its deadline, waiting for the headers")
    void silent() throws Exception {
        StallingHost host = host(StallingHost.silent());
        Failure f = fails(new BoundedFetch(SHORT, 1024), host, Deadline.none());
        assertTrue(f.elapsedMs() >= SHORT.toMillis() && f.elapsedMs() < WELL_BEFORE_MS, f.elapsedMs() + " ms");
        assertEquals(BoundedFetch.FetchException.Kind.TIMEOUT, f.e().kind());
        assertTrue(f.e().getMessage().endsWith("timed out after 500ms waiting for the response headers"), f.e().getMessage());
        await().atMost(Duration.ofSeconds(5)).until(() -> host.closedByClient.get() == 1);
    }

    @Test
    @DisplayName("a caller's deadline shorter than the fetch's own timeout wins")
    void callerDeadline() throws Exception {
        StallingHost host = host(StallingHost.stallMidBody("{", 100));
        Failure f = fails(new BoundedFetch(Duration.ofSeconds(30), 1024), host, Deadline.after(SHORT));
        assertTrue(f.elapsedMs() >= SHORT.toMillis() - 50 && f.elapsedMs() < WELL_BEFORE_MS, f.elapsedMs() + " ms");
        assertTrue(f.e().getMessage().contains("reading the body"), f.e().getMessage());
        await().atMost(Duration.ofSeconds(5)).until(() -> host.closedByClient.get() == 1);
    }

    @Test
    @DisplayName("a spent budget fails at once without connecting")
    void spentBudget() throws Exception {
        StallingHost host = host(StallingHost.stallMidBody("{", 100));
        Failure f = fails(new BoundedFetch(Duration.ofSeconds(30), 1024), host, Deadline.after(Duration.ZERO));
        assertEquals(BoundedFetch.FetchException.Kind.TIMEOUT, f.e().kind());
        assertTrue(f.e().getMessage().contains("budget is spent"), f.e().getMessage());
    }

    @Test
    @DisplayName("a declared Content-Length above the cap is refused from the headers, without waiting for the body")
    void declaredTooLarge() throws Exception {
        StallingHost host = host(StallingHost.declares(10L << 20));
        Failure f = fails(new BoundedFetch(Duration.ofSeconds(30), 1 << 20), host, Deadline.none());
        assertTrue(f.elapsedMs() < WELL_BEFORE_MS, "waited for the body: " + f.elapsedMs() + " ms");
        assertEquals(BoundedFetch.FetchException.Kind.TOO_LARGE, f.e().kind());
        assertEquals("127.0.0.1:" + host.port() + ": body larger than 1 MiB", f.e().getMessage());
        await().atMost(Duration.ofSeconds(5)).until(() -> host.closedByClient.get() == 1);
    }

    @Test
    @DisplayName("a chunked body that goes past the cap is cut off there and the connection is closed")
    void chunkedTooLarge() throws Exception {
        StallingHost host = host(StallingHost.endlessChunks());
        Failure f = fails(new BoundedFetch(Duration.ofSeconds(30), 64 * 1024), host, Deadline.none());
        assertTrue(f.elapsedMs() < WELL_BEFORE_MS, f.elapsedMs() + " ms");
        assertEquals(BoundedFetch.FetchException.Kind.TOO_LARGE, f.e().kind());
        assertTrue(f.e().getMessage().endsWith("body larger than 64 KiB"), f.e().getMessage());
        await().atMost(Duration.ofSeconds(5)).until(() -> host.closedByClient.get() == 1);
    }

    @Test
    @DisplayName("a body within the cap comes back whole with its status, whatever the status")
    void withinCap() throws Exception {
        String doc = "{\"id\":\"did:web:example.com\"}";
        StallingHost ok = host(StallingHost.after(Duration.ZERO, 200, doc));
        BoundedFetch.Response r = new BoundedFetch(Duration.ofSeconds(5), doc.length())
                .get(ok.uri("/.well-known/did.json"), "application/json");
        assertEquals(200, r.status());
        assertArrayEquals(doc.getBytes(StandardCharsets.UTF_8), r.body());
        assertEquals("GET /.well-known/did.json HTTP/1.1", ok.requestLines.get(0));

        StallingHost gone = host(StallingHost.after(Duration.ZERO, 404, "{}"));
        assertEquals(404, new BoundedFetch(Duration.ofSeconds(5), 1024).get(gone.uri("/x"), null).status());
    }

    @Test
    @DisplayName("a refused connection is a FAILED fetch naming the host")
    void refused() throws Exception {
        StallingHost host = host(StallingHost.silent());
        java.net.URI gone = host.uri("/");
        host.close();
        BoundedFetch.FetchException e = assertThrows(BoundedFetch.FetchException.class,
                () -> new BoundedFetch(Duration.ofSeconds(5), 1024).get(gone, null));
        assertEquals(BoundedFetch.FetchException.Kind.FAILED, e.kind());
        assertTrue(e.getMessage().startsWith("127.0.0.1:" + host.port() + ": "), e.getMessage());
    }

    @Test
    @DisplayName("many concurrent stalled fetches all end at their deadline and leave no connection open")
    void manyStalled() throws Exception {
        StallingHost host = host(StallingHost.stallMidBody("{", 1000));
        BoundedFetch fetch = new BoundedFetch(SHORT, 1024);
        int n = 32;
        long t0 = System.nanoTime();
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Throwable>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                results.add(callers.submit(() -> {
                    try {
                        fetch.get(host.uri("/"), null);
                        return null;
                    } catch (BoundedFetch.FetchException e) {
                        return e;
                    }
                }));
            }
            for (Future<Throwable> r : results) {
                BoundedFetch.FetchException e = assertInstanceOf(BoundedFetch.FetchException.class, r.get());
                assertEquals(BoundedFetch.FetchException.Kind.TIMEOUT, e.kind(), e.getMessage());
            }
        }
        assertTrue((System.nanoTime() - t0) / 1_000_000 < WELL_BEFORE_MS, "not bounded");
        await().atMost(Duration.ofSeconds(5)).until(() -> host.closedByClient.get() == n);
    }

    @Test
    @DisplayName("durations and sizes are worded as an operator would write them")
    void wording() {
        assertEquals("500ms", BoundedFetch.duration(Duration.ofMillis(500)));
        assertEquals("10s", BoundedFetch.duration(Duration.ofSeconds(10)));
        assertEquals("2.5s", BoundedFetch.duration(Duration.ofMillis(2500)));
        assertEquals("1 MiB", BoundedFetch.size(1 << 20));
        assertEquals("256 KiB", BoundedFetch.size(256 * 1024));
        assertEquals("1000 bytes", BoundedFetch.size(1000));
    }
}
