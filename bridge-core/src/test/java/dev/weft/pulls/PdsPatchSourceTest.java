package dev.weft.pulls;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.auth.DidResolver;
import dev.weft.auth.Multikey;
import dev.weft.auth.TestIdentity;
import dev.weft.net.StallingHost;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static dev.weft.pulls.PatchBlobsTest.gzip;
import static dev.weft.pulls.PatchBlobsTest.patch;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("PdsPatchSource: pull records and patch blobs from a loopback PDS that misbehaves")
class PdsPatchSourceTest {
    static final String A = PatchBlobsTest.A;
    static final String B = PatchBlobsTest.B;
    static final String CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
    static final long WELL_BEFORE_MS = 5_000;

    /** A PLC directory and a PDS on one loopback server. */
    static final class FakePds implements AutoCloseable {
        final MockWebServer server = new MockWebServer();
        final Map<String, String> docs = new ConcurrentHashMap<>();
        final Map<String, MockResponse> blobs = new ConcurrentHashMap<>();
        final Map<String, String> records = new ConcurrentHashMap<>();
        final List<String> pdsRequests = new CopyOnWriteArrayList<>();

        FakePds start() throws IOException {
            server.setDispatcher(new Dispatcher() {
                @Override
                public MockResponse dispatch(RecordedRequest r) {
                    String path = r.getUrl().encodedPath();
                    if (path.startsWith("/xrpc/")) pdsRequests.add(r.getMethod() + " " + r.getTarget());
                    if (path.equals("/xrpc/com.atproto.sync.getBlob")) {
                        MockResponse b = blobs.get(r.getUrl().queryParameter("did") + "/" + r.getUrl().queryParameter("cid"));
                        return b != null ? b : json(400, "{\"error\":\"BlobNotFound\"}");
                    }
                    if (path.equals("/xrpc/com.atproto.repo.getRecord")) {
                        String rec = records.get(r.getUrl().queryParameter("repo") + "/"
                                + r.getUrl().queryParameter("collection") + "/" + r.getUrl().queryParameter("rkey"));
                        return rec == null ? json(400, "{\"error\":\"RecordNotFound\"}")
                                : json(200, "{\"uri\":\"at://x\",\"cid\":\"bafyrec\",\"value\":" + rec + "}");
                    }
                    String doc = docs.get(path.substring(1));
                    return doc == null ? json(404, "{}") : json(200, doc);
                }
            });
            server.start(InetAddress.getLoopbackAddress(), 0);
            return this;
        }

        String url() {
            String u = server.url("/").toString();
            return u.substring(0, u.length() - 1);
        }

        /** A new identity whose document names {@code pdsUrl} (null: none). */
        String identity(String pdsUrl) {
            TestIdentity id = TestIdentity.plc(Multikey.KeyType.P256);
            docs.put(id.did, id.document(pdsUrl));
            return id.did;
        }

        @Override
        public void close() {
            server.close();
        }
    }

    static MockResponse json(int code, String body) {
        return new MockResponse.Builder().code(code).addHeader("Content-Type", "application/json").body(body).build();
    }

    static MockResponse bytes(byte[] b) {
        return new MockResponse.Builder().code(200).addHeader("Content-Type", "application/gzip")
                .body(new Buffer().write(b)).build();
    }

    FakePds pds;
    DidResolver dids;
    final List<AutoCloseable> closing = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        pds = new FakePds().start();
        dids = new DidResolver(pds.url(), "http", Duration.ofMinutes(10), Duration.ofSeconds(5), Clock.systemUTC());
        closing.add(pds);
        closing.add(dids);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closing.reversed()) c.close();
    }

    PdsPatchSource source(boolean dev, PdsPatchSource.Limits limits) {
        PdsPatchSource s = new PdsPatchSource(dids, dev, limits);
        closing.add(s);
        return s;
    }

    PdsPatchSource devSource() {
        return source(true, PdsPatchSource.Limits.defaults());
    }

    @Test
    @DisplayName("the head commit: getBlob on the author's PDS, with the author's DID and the blob's CID")
    void lastPatchSha() throws Exception {
        String did = pds.identity(pds.url() + "/");
        pds.blobs.put(did + "/" + CID, bytes(gzip(patch(A, "one") + patch(B, "two"))));
        assertEquals(B, devSource().lastPatchSha(did, CID));
        assertEquals(List.of("GET /xrpc/com.atproto.sync.getBlob?did=" + did.replace(":", "%3A") + "&cid=" + CID),
                pds.pdsRequests);
    }

    @Test
    @DisplayName("a pull record: its value when the PDS has it, empty when it says RecordNotFound")
    void pullRecord() throws Exception {
        String did = pds.identity(pds.url());
        pds.records.put(did + "/sh.tangled.repo.pull/3lbpull", "{\"title\":\"Fix\",\"target\":{\"branch\":\"main\"}}");
        Optional<JsonNode> found = devSource().pullRecord(did, "3lbpull");
        assertEquals("main", found.orElseThrow().path("target").path("branch").asText());
        assertEquals(Optional.empty(), devSource().pullRecord(did, "3lbgone"));
    }

    record Bad(String name, MockResponse answer, PdsPatchSource.Limits limits, PatchException.Reason reason, String says) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Bad> badBlobs() {
        byte[] noise = new byte[200 << 10];
        new Random(7).nextBytes(noise);
        PdsPatchSource.Limits small = new PdsPatchSource.Limits(Duration.ofSeconds(5), 64 << 10, 15L << 20, 64 << 10);
        return Stream.of(
                new Bad("oversized (declared length)", bytes(gzip(noise)), small, PatchException.Reason.TOO_LARGE,
                        "body larger than 64 KiB"),
                new Bad("oversized (chunked)", new MockResponse.Builder().code(200).chunkedBody(new Buffer().write(gzip(noise)), 8192)
                        .build(), small, PatchException.Reason.TOO_LARGE, "body larger than 64 KiB"),
                new Bad("not gzip", bytes(patch(A, "one").getBytes()), PdsPatchSource.Limits.defaults(),
                        PatchException.Reason.NOT_GZIP, "not gzip"),
                new Bad("gzip bomb (64 MiB of zeros)", bytes(gzip(new byte[64 << 20])), PdsPatchSource.Limits.defaults(),
                        PatchException.Reason.TOO_LARGE, "inflates to more than 15728640 bytes"),
                new Bad("not a patch", bytes(gzip("just some text\n")), PdsPatchSource.Limits.defaults(),
                        PatchException.Reason.NOT_A_PATCH, "not git format-patch output"),
                new Bad("blob not found", json(400, "{\"error\":\"BlobNotFound\"}"), PdsPatchSource.Limits.defaults(),
                        PatchException.Reason.UNREACHABLE, "status 400"),
                new Bad("server error", json(500, "{}"), PdsPatchSource.Limits.defaults(),
                        PatchException.Reason.UNREACHABLE, "status 500"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badBlobs")
    void badBlob(Bad c) {
        String did = pds.identity(pds.url());
        pds.blobs.put(did + "/" + CID, c.answer());
        PatchException e = assertThrows(PatchException.class, () -> source(true, c.limits()).lastPatchSha(did, CID));
        assertEquals(c.reason(), e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(c.says()), e.getMessage());
        assertTrue(e.getMessage().contains(CID), "names the blob: " + e.getMessage());
    }

    @Test
    @DisplayName("a PDS that stalls mid-body fails the call at its budget and the connection is closed")
    void stall() throws Exception {
        StallingHost host = new StallingHost(StallingHost.stallMidBody("\u001f\u008b", 4096));
        closing.add(host);
        String did = pds.identity("http://127.0.0.1:" + host.port());
        PdsPatchSource s = source(true, new PdsPatchSource.Limits(Duration.ofMillis(500), 4 << 20, 15L << 20, 64 << 10));
        long t0 = System.nanoTime();
        PatchException e = assertThrows(PatchException.class, () -> s.lastPatchSha(did, CID));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < WELL_BEFORE_MS, "not bounded: " + ms + " ms");
        assertEquals(PatchException.Reason.UNREACHABLE, e.reason());
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());
        await().atMost(Duration.ofSeconds(5)).until(() -> host.closedByClient.get() == 1);
    }

    @Test
    @DisplayName("a record read that stalls is bounded the same way")
    void recordStall() throws Exception {
        StallingHost host = new StallingHost(StallingHost.stallMidBody("{\"value\":", 4096));
        closing.add(host);
        String did = pds.identity("http://127.0.0.1:" + host.port());
        PdsPatchSource s = source(true, new PdsPatchSource.Limits(Duration.ofMillis(500), 4 << 20, 15L << 20, 64 << 10));
        PatchException e = assertThrows(PatchException.class, () -> s.pullRecord(did, "3lbpull"));
        assertEquals(PatchException.Reason.UNREACHABLE, e.reason());
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());
    }

    @Test
    @DisplayName("outside dev mode a PDS on loopback is refused before anything is sent to it")
    void loopbackRefusedOutsideDev() {
        String did = pds.identity(pds.url());
        pds.blobs.put(did + "/" + CID, bytes(gzip(patch(A, "one"))));
        PdsPatchSource s = source(false, PdsPatchSource.Limits.defaults());
        PatchException e = assertThrows(PatchException.class, () -> s.lastPatchSha(did, CID));
        assertEquals(PatchException.Reason.REFUSED_ADDRESS, e.reason());
        assertTrue(e.getMessage().contains("resolves to 127.0.0.1: loopback"), e.getMessage());
        PatchException r = assertThrows(PatchException.class, () -> s.pullRecord(did, "3lbpull"));
        assertEquals(PatchException.Reason.REFUSED_ADDRESS, r.reason());
        assertEquals(List.of(), pds.pdsRequests);
    }

    @ParameterizedTest(name = "PDS URL {0} is refused")
    @MethodSource("unusableUrls")
    void unusableUrl(String url) {
        String did = pds.identity(url);
        PatchException e = assertThrows(PatchException.class, () -> devSource().lastPatchSha(did, CID));
        assertEquals(PatchException.Reason.REFUSED_ADDRESS, e.reason(), e.getMessage());
        assertEquals(List.of(), pds.pdsRequests);
    }

    static Stream<String> unusableUrls() {
        return Stream.of("ftp://127.0.0.1/", "file:///etc/passwd", "http://user:pw@127.0.0.1:1", "http://127.0.0.1:1/?x=1",
                "not a url", "http://10.0.0.1", "http://[fd00::1]:8080", "http://169.254.169.254");
    }

    @Test
    @DisplayName("a DID document without a PDS is a failed fetch that says so")
    void noPds() {
        String did = pds.identity(null);
        PatchException e = assertThrows(PatchException.class, () -> devSource().lastPatchSha(did, CID));
        assertEquals(PatchException.Reason.UNREACHABLE, e.reason());
        assertTrue(e.getMessage().contains("names no #atproto_pds service"), e.getMessage());
    }

    @Test
    @DisplayName("end to end: a status change on a loopback PDS becomes a merged trigger at the head commit")
    void endToEnd() {
        String author = pds.identity(pds.url());
        String repo = "did:plc:repoaaaaaaaaaaaaaaaaaaaa";
        pds.records.put(author + "/sh.tangled.repo.pull/3lbpull", "{\"title\":\"Fix\",\"createdAt\":\"2026-03-01T10:00:00Z\","
                + "\"target\":{\"repo\":\"" + repo + "\",\"branch\":\"main\"},\"source\":{\"branch\":\"fix\"},"
                + "\"rounds\":[{\"createdAt\":\"2026-03-01T10:00:00Z\",\"patchBlob\":{\"$type\":\"blob\",\"ref\":{\"$link\":\""
                + CID + "\"},\"mimeType\":\"application/gzip\",\"size\":100}}]}");
        pds.blobs.put(author + "/" + CID, bytes(gzip(patch(A, "one") + patch(B, "two"))));
        List<PullRequestEvent> sent = new ArrayList<>();
        PullAccess everyone = new PullAccess() {
            @Override
            public boolean isRegistered(String repoDid) {
                return repoDid.equals(repo);
            }

            @Override
            public boolean hasPushRights(String actorDid, String repoDid) {
                return true;
            }
        };
        new PullRecords(everyone, devSource(), sent::add, new SimpleMeterRegistry()).onCommit(author,
                PullRecords.PULL_STATUS, "3lbstatus", "create", PullRecordsTest.json(
                        "{\"pull\":\"at://" + author + "/sh.tangled.repo.pull/3lbpull\",\"status\":\"sh.tangled.repo.pull.status.merged\"}"),
                true);
        assertEquals(List.of(new PullRequestEvent(author, "at://" + author + "/sh.tangled.repo.pull/3lbpull", repo, "main",
                "fix", B, "merged")), sent);
    }
}
