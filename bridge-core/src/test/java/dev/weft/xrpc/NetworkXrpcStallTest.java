package dev.weft.xrpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.auth.FakeDidHost;
import dev.weft.auth.Multikey;
import dev.weft.auth.TestIdentity;
import dev.weft.config.WeftConfig;
import dev.weft.daemon.Weft;
import dev.weft.net.StallingHost;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 9: whoever calls an XRPC method picks the hosts weft reads before it knows who the caller
 * is (the token's did:web issuer) and right after (the repo owner's PDS). Through a whole daemon,
 * wired as {@code weft serve} wires it (10 s per fetch, {@link NetworkXrpc#REQUEST_BUDGET} per
 * call), a call is answered within 15 s whatever those hosts do. These tests take that long.
 */
@DisplayName("XRPC calls whose remote hosts stall are answered within 15 s")
class NetworkXrpcStallTest {
    static final String HOST = "ci.example.com";
    static final String AUD = "did:web:" + HOST;
    static final String ADD = "sh.tangled.repo.addSecret";
    static final Duration PROMISE = Duration.ofSeconds(15);
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    FakeDidHost plc;
    Weft weft;
    final List<StallingHost> hosts = new ArrayList<>();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void setUp() throws Exception {
        plc = new FakeDidHost().start();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("WEFT_HOSTNAME", HOST);
        env.put("WEFT_OWNER_DID", "did:plc:spindleoperator");
        env.put("WEFT_LISTEN", "127.0.0.1:0");
        env.put("WEFT_DB", dir.resolve("weft.db").toString());
        env.put("WEFT_PLC_URL", plc.url());
        env.put("WEFT_DEV", "true"); // did:web over http, so a loopback host can serve one
        env.put("WEFT_REPOS", "knot.test/did:plc:aaaaaaaaaaaaaaaaaaaaaaaa/repo");
        weft = Weft.builder(WeftConfig.from(env)).providers(List.of()).consumeKnots(false).start();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (weft != null) weft.close();
        plc.close();
        for (StallingHost h : hosts) h.close();
    }

    StallingHost host(StallingHost.Reply reply) throws Exception {
        StallingHost h = new StallingHost(reply);
        hosts.add(h);
        return h;
    }

    record Answer(int status, JsonNode body, Duration took) {
    }

    Answer addSecret(String token, String repo) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(weft.baseUrl() + "/xrpc/" + ADD))
                .timeout(PROMISE.multipliedBy(2)) // well after the promise: a regression fails, not hangs
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(
                        Map.of("repo", repo, "key", "TOKEN", "value", "v"))))
                .build();
        long t0 = System.nanoTime();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), JSON.readTree(r.body()), Duration.ofNanos(System.nanoTime() - t0));
    }

    @Test
    @DisplayName("a token whose iss is a did:web host that stalls mid-body: 403 within 15 s, and its connection is closed")
    void issuerStallsMidBody() throws Exception {
        StallingHost stalling = host(StallingHost.stallMidBody("{\"@context\":[", 8192));
        TestIdentity issuer = TestIdentity.web(stalling.hostAndPort(), Multikey.KeyType.P256);

        Answer a = addSecret(issuer.token(AUD, ADD), "at://did:plc:aaaaaaaaaaaaaaaaaaaaaaaa/sh.tangled.repo/3krepo");

        // The answer comes only once the handler's virtual thread has returned: the request is over.
        assertTrue(a.took().compareTo(PROMISE) < 0, "answered after " + a.took());
        assertEquals(403, a.status(), a.body().toString());
        assertEquals("Auth", a.body().path("error").asText());
        String message = a.body().path("message").asText();
        assertTrue(message.contains(stalling.hostAndPort() + ": timed out after 10s reading the body"), message);
        assertEquals(1, stalling.requests.get());
        await().atMost(Duration.ofSeconds(5)).until(() -> stalling.closedByClient.get() == 1);
    }

    @Test
    @DisplayName("a slow issuer and then a PDS that stalls mid-body share one budget: 502 within 15 s, not 10 s after the slow one")
    void slowIssuerThenStallingPds() throws Exception {
        // 6 s for the issuer's document, then the PDS's own 10 s would end at 16 s: only the
        // request's budget keeps the sum under the promise.
        AtomicReference<String> issuerDoc = new AtomicReference<>();
        StallingHost slow = host((line, out) -> {
            Thread.sleep(6_000);
            StallingHost.send(out, 200, issuerDoc.get());
        });
        TestIdentity issuer = TestIdentity.web(slow.hostAndPort(), Multikey.KeyType.K256);
        issuerDoc.set(issuer.document(null));
        // The repo owner's did:web document comes at once and names a PDS on the same host, which
        // stalls mid-body; the record is not known locally, so weft has to ask it.
        AtomicReference<String> ownerDoc = new AtomicReference<>();
        StallingHost owners = host((line, out) -> {
            if (line.startsWith("GET /.well-known/did.json ")) StallingHost.send(out, 200, ownerDoc.get());
            else StallingHost.stallMidBody("{\"uri\":", 8192).write(line, out);
        });
        TestIdentity owner = TestIdentity.web(owners.hostAndPort(), Multikey.KeyType.P256);
        ownerDoc.set(owner.document("http://127.0.0.1:" + owners.port()));

        Answer a = addSecret(issuer.token(AUD, ADD), "at://" + owner.did + "/sh.tangled.repo/3krepo");

        assertTrue(a.took().compareTo(PROMISE) < 0, "answered after " + a.took());
        assertEquals(502, a.status(), a.body().toString());
        assertEquals("UpstreamFailure", a.body().path("error").asText());
        String message = a.body().path("message").asText();
        assertTrue(message.contains("127.0.0.1:" + owners.port() + ": timed out after"), message);
        assertTrue(message.endsWith("reading the body"), message);
        assertEquals(1, slow.requests.get());
        assertTrue(owners.requestLines.get(1).startsWith("GET /xrpc/com.atproto.repo.getRecord?"), owners.requestLines.toString());
        // Two connections: the document's (closed after it, Connection: close) and the stalled PDS read.
        await().atMost(Duration.ofSeconds(5)).until(() -> owners.closedByClient.get() == 2);
    }
}
