package dev.weft.auth;

import dev.weft.net.Deadline;
import dev.weft.net.StallingHost;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("DID resolution against did:web hosts that stall or flood")
class DidResolverTest {
    static final Duration SHORT = Duration.ofMillis(500);
    static final long WELL_BEFORE_MS = 5_000;

    StallingHost host;

    @AfterEach
    void tearDown() throws IOException {
        if (host != null) host.close();
    }

    static DidResolver resolver(Duration timeout) {
        return new DidResolver("http://127.0.0.1:1", "http", Duration.ofMinutes(10), timeout, Clock.systemUTC());
    }

    static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    @DisplayName("a did:web host that sends headers and stalls mid-body fails resolution at the timeout, naming the host")
    void stallMidBody() throws Exception {
        host = new StallingHost(StallingHost.stallMidBody("{\"id\":\"did:web:", 2048));
        String did = "did:web:" + host.hostAndPort().replace(":", "%3A");
        long t0 = System.nanoTime();
        DidResolver.ResolutionException e = assertThrows(DidResolver.ResolutionException.class,
                () -> resolver(SHORT).resolve(did));
        long ms = millisSince(t0);
        assertTrue(ms >= SHORT.toMillis() && ms < WELL_BEFORE_MS, ms + " ms");
        assertTrue(e.getMessage().contains(host.hostAndPort() + ": timed out after 500ms reading the body"), e.getMessage());
        assertEquals("GET /.well-known/did.json HTTP/1.1", host.requestLines.get(0));
        await().atMost(Duration.ofSeconds(5)).until(() -> host.closedByClient.get() == 1);
    }

    @Test
    @DisplayName("the caller's deadline cuts a fetch shorter than the resolver's own timeout")
    void callerDeadline() throws Exception {
        host = new StallingHost(StallingHost.stallMidBody("{", 2048));
        String did = "did:web:" + host.hostAndPort().replace(":", "%3A");
        long t0 = System.nanoTime();
        DidResolver.ResolutionException e = assertThrows(DidResolver.ResolutionException.class,
                () -> resolver(Duration.ofSeconds(60)).resolve(did, Deadline.after(SHORT)));
        long ms = millisSince(t0);
        assertTrue(ms >= SHORT.toMillis() - 50 && ms < WELL_BEFORE_MS, ms + " ms");
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());
        await().atMost(Duration.ofSeconds(5)).until(() -> host.closedByClient.get() == 1);
    }

    @Test
    @DisplayName("a DID document declared larger than 256 KiB is refused from the headers")
    void tooLarge() throws Exception {
        host = new StallingHost(StallingHost.declares(1L << 30));
        String did = "did:web:" + host.hostAndPort().replace(":", "%3A");
        long t0 = System.nanoTime();
        DidResolver.ResolutionException e = assertThrows(DidResolver.ResolutionException.class,
                () -> resolver(Duration.ofSeconds(60)).resolve(did));
        assertTrue(millisSince(t0) < WELL_BEFORE_MS, "waited for the body");
        assertTrue(e.getMessage().endsWith(host.hostAndPort() + ": body larger than 256 KiB"), e.getMessage());
    }

    @Test
    @DisplayName("a token whose iss is a did:web on a stalling host is refused by the deadline, before any signature check")
    void serviceAuthIssuerStalls() throws Exception {
        host = new StallingHost(StallingHost.stallMidBody("{\"id\":", 4096));
        TestIdentity issuer = TestIdentity.web(host.hostAndPort(), Multikey.KeyType.P256);
        ServiceAuth auth = new ServiceAuth("ci.example.com", resolver(Duration.ofSeconds(60)), Clock.systemUTC());
        String lxm = "sh.tangled.repo.addSecret";
        long t0 = System.nanoTime();
        ServiceAuth.AuthException e = assertThrows(ServiceAuth.AuthException.class, () -> auth.verify(
                Optional.of("Bearer " + issuer.token("did:web:ci.example.com", lxm)), lxm, Deadline.after(SHORT)));
        long ms = millisSince(t0);
        assertTrue(ms >= SHORT.toMillis() - 50 && ms < WELL_BEFORE_MS, ms + " ms");
        assertTrue(e.getMessage().startsWith("cannot resolve issuer: ") && e.getMessage().contains("timed out"), e.getMessage());
        await().atMost(Duration.ofSeconds(5)).until(() -> host.closedByClient.get() == 1);
    }
}
