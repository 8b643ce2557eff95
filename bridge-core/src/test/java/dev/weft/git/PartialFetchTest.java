package dev.weft.git;

import static dev.weft.git.TestRepos.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.weft.git.WorkflowFetchException.Failure;
import dev.weft.git.WorkflowFetchException.Limit;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.revwalk.RevWalk;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The partial fetch (git protocol v2, objects read in memory) that {@link WorkflowFetcher} tries
 * first, and its fall back to the full fetch, against the loopback knot's JGit server.
 */
@Timeout(30)
class PartialFetchTest extends LoopbackKnotRepo {
    private WorkflowFetcher fetcher(WorkflowFetcher.Limits limits) throws IOException {
        return new WorkflowFetcher(WorkflowFetcher.Options.defaults(tmp.resolve("cache"))
                .withLimits(limits)
                .withFetchTimeout(Duration.ofSeconds(10))
                .withBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
                .withTransportTimeout(Duration.ofSeconds(2)), meters);
    }

    private WorkflowFetcher fetcher() throws IOException {
        return fetcher(WorkflowFetcher.Limits.DEFAULTS);
    }

    private double fallbacks() {
        return meters.counter("weft.workflow.fetches", "outcome", "partial-fallback").count();
    }

    /** Whether anything was written into the on-disk cache (the full fetch's repositories). */
    private boolean diskCacheUsed() throws IOException {
        try (Stream<Path> dirs = Files.list(tmp.resolve("cache"))) {
            return dirs.findAny().isPresent();
        }
    }

    private static Map<String, String> asText(WorkflowFiles files) {
        Map<String, String> m = new LinkedHashMap<>();
        files.files().forEach(f -> m.put(f.name(), new String(f.content(), StandardCharsets.UTF_8)));
        return m;
    }

    @Test
    @DisplayName("a commit's files come in one request when .tangled is unchanged, none when asked again, nothing on disk")
    void onePostPerPush() throws Exception {
        byte[] binary = {0, (byte) 0xff, 1, (byte) 0xfe};
        Map<String, TestRepos.Node> tree = new LinkedHashMap<>(Map.of(
                WF + "ci.yml", text("engine: nixery\n# v1\n"),
                WF + "bin.dat", new TestRepos.Blob(binary, false),
                WF + "run.sh", new TestRepos.Blob("engine: x\n".getBytes(StandardCharsets.UTF_8), true),
                WF + "link.yml", new TestRepos.Link("ci.yml"),
                WF + "sub/nested.yml", text("engine: x\n"),
                ".tangled/other.txt", text("not a workflow"),
                "README.md", text("hello")));
        ObjectId c1 = TestRepos.commit(repo, null, tree);
        try (WorkflowFetcher f = fetcher()) {
            WorkflowFiles first = f.fetch(server.baseUri(), DID, c1.name());
            assertEquals(c1.name(), first.commit());
            // Regular and executable files only, in tree order: no symlink, no subdirectory.
            assertEquals(List.of("bin.dat", "ci.yml", "run.sh"), first.files().stream().map(WorkflowFiles.File::name).toList());
            assertArrayEquals(binary, first.files().get(0).content());
            // commit+root, .tangled, workflows, blobs
            assertEquals(4, server.uploadPackCount());

            tree.put("README.md", text("hello again"));
            ObjectId c2 = TestRepos.commit(repo, c1, tree);
            WorkflowFiles second = f.fetch(server.baseUri(), DID, c2.name());
            assertEquals(first.files(), second.files());
            assertEquals(c2.name(), second.commit());
            assertEquals(5, server.uploadPackCount(), "one request: the commit and its root tree");

            assertEquals(first, f.fetch(server.baseUri(), DID, c1.name()));
            assertEquals(5, server.uploadPackCount(), "a commit asked for again costs no request");

            tree.put(WF + "ci.yml", text("engine: nixery\n# v2\n"));
            ObjectId c3 = TestRepos.commit(repo, c2, tree);
            assertEquals("engine: nixery\n# v2\n", asText(f.fetch(server.baseUri(), DID, c3.name())).get("ci.yml"));

            assertEquals(0, fallbacks());
            assertTrue(!diskCacheUsed(), "the partial fetch writes nothing to disk");
        }
        // The same files as the full fetch reads.
        try (WorkflowFetcher full = new WorkflowFetcher(WorkflowFetcher.Options.defaults(tmp.resolve("full"))
                .withPartialFetch(false), meters)) {
            try (WorkflowFetcher f = fetcher()) {
                assertEquals(full.fetch(server.baseUri(), DID, c1.name()), f.fetch(server.baseUri(), DID, c1.name()));
            }
        }
    }

    @Test
    @DisplayName("no .tangled, .tangled a file, no workflows directory: no files, and no fall back")
    void absentDirectories() throws Exception {
        ObjectId none = TestRepos.commit(repo, null, Map.of("README.md", text("x")));
        ObjectId file = TestRepos.commit(repo, none, Map.of(".tangled", text("a file")));
        ObjectId noWf = TestRepos.commit(repo, file, Map.of(".tangled/README", text("x")));
        ObjectId wfFile = TestRepos.commit(repo, noWf, Map.of(".tangled/workflows", text("x")));
        try (WorkflowFetcher f = fetcher()) {
            for (ObjectId c : List.of(none, file, noWf, wfFile)) {
                assertTrue(f.fetch(server.baseUri(), DID, c.name()).isEmpty(), c.name());
            }
        }
        assertEquals(0, fallbacks());
        assertTrue(!diskCacheUsed());
    }

    @Test
    @DisplayName("an id that names a tree is not a commit, said without a fall back")
    void treeIsNotACommit() throws Exception {
        ObjectId c = TestRepos.commit(repo, null, Map.of(WF + "ci.yml", text("engine: x\n")));
        ObjectId tree;
        try (RevWalk rw = new RevWalk(repo)) {
            tree = rw.parseCommit(c).getTree();
        }
        try (WorkflowFetcher f = fetcher()) {
            var e = assertThrows(WorkflowFetchException.class, () -> f.fetch(server.baseUri(), DID, tree.name()));
            var nf = assertInstanceOf(Failure.CommitNotFound.class, e.failure());
            assertTrue(nf.detail().contains("tree"), nf.detail());
        }
        assertEquals(0, fallbacks());
    }

    @Test
    @DisplayName("a commit the knot lacks is reported not found from the partial fetch's answer, without a fall back")
    void missingCommit() throws Exception {
        TestRepos.commit(repo, null, Map.of(WF + "ci.yml", text("engine: x\n")));
        try (WorkflowFetcher f = fetcher()) {
            var e = assertThrows(WorkflowFetchException.class,
                    () -> f.fetch(server.baseUri(), DID, "1234567890abcdef1234567890abcdef12345678"));
            assertInstanceOf(Failure.CommitNotFound.class, e.failure(), e.getMessage());
        }
        assertEquals(0, fallbacks());
        assertEquals(1, server.uploadPackCount());
    }

    @Test
    @DisplayName("10,000 files are refused by count before any file is asked for")
    void tooManyFiles() throws Exception {
        Map<String, TestRepos.Node> tree = new LinkedHashMap<>();
        for (int i = 0; i < 10_000; i++) tree.put(WF + "w" + i + ".yml", text("engine: x " + i + "\n"));
        ObjectId c = TestRepos.commit(repo, null, tree);
        try (WorkflowFetcher f = fetcher()) {
            var e = assertThrows(WorkflowFetchException.class, () -> f.fetch(server.baseUri(), DID, c.name()));
            var limit = assertInstanceOf(Failure.LimitExceeded.class, e.failure(), e.getMessage());
            assertEquals(Limit.FILE_COUNT, limit.limit());
        }
        assertEquals(3, server.uploadPackCount(), "commit+root, .tangled, the directory; no blobs");
        assertEquals(0, fallbacks());
    }

    @Test
    @DisplayName("files under the per-file bound that add up past the total are refused by the total limit")
    void totalLimit() throws Exception {
        ObjectId c = TestRepos.commit(repo, null, Map.of(
                WF + "a.yml", new TestRepos.Zeros(600), WF + "b.yml", new TestRepos.Blob(new byte[600], false)));
        try (WorkflowFetcher f = fetcher(new WorkflowFetcher.Limits(10, 1000, 1000))) {
            var e = assertThrows(WorkflowFetchException.class, () -> f.fetch(server.baseUri(), DID, c.name()));
            assertEquals(Limit.TOTAL_SIZE, assertInstanceOf(Failure.LimitExceeded.class, e.failure()).limit());
        }
    }

    @Test
    @DisplayName("a 50 MiB workflow file is refused by its size, without being held in memory")
    void hugeFile() throws Exception {
        ObjectId c = TestRepos.commit(repo, null, Map.of(
                WF + "ci.yml", text("engine: x\n"),
                WF + "huge.bin", new TestRepos.Zeros(50L * 1024 * 1024),
                "assets/big.bin", new TestRepos.Zeros(50L * 1024 * 1024)));
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (WorkflowFetcher f = fetcher()) {
            long before = threads.getCurrentThreadAllocatedBytes();
            var e = assertThrows(WorkflowFetchException.class, () -> f.fetch(server.baseUri(), DID, c.name()));
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            var limit = assertInstanceOf(Failure.LimitExceeded.class, e.failure(), e.getMessage());
            assertEquals(Limit.FILE_SIZE, limit.limit());
            assertTrue(e.getMessage().contains("huge.bin"), e.getMessage());
            assertTrue(allocated < 40L * 1024 * 1024, "allocated " + allocated + " bytes");
        }
    }

    @Test
    @DisplayName("a knot without protocol v2 is fetched from the full way, and not asked the partial way again for a while")
    void knotWithoutV2() throws Exception {
        server.protocolV2(false);
        ObjectId c1 = TestRepos.commit(repo, null, Map.of(WF + "ci.yml", text("engine: x\n")));
        ObjectId c2 = TestRepos.commit(repo, c1, Map.of(WF + "ci.yml", text("engine: y\n")));
        try (WorkflowFetcher f = fetcher()) {
            assertEquals("engine: x\n", asText(f.fetch(server.baseUri(), DID, c1.name())).get("ci.yml"));
            assertEquals(1, fallbacks());
            int before = server.uploadPackCount();
            assertEquals("engine: y\n", asText(f.fetch(server.baseUri(), DID, c2.name())).get("ci.yml"));
            assertEquals(1, fallbacks(), "the knot was remembered");
            assertEquals(before + 1, server.uploadPackCount(), "one full fetch, no partial attempt");
        }
    }

    @Test
    @DisplayName("a knot that fails partial fetches three times in a row is fetched from the full way for a while")
    void failingInARow() throws Exception {
        // In front of the knot: v2 requests get a 500, as from a server that cannot parse them; the rest pass.
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        HttpServer front = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        java.util.concurrent.atomic.AtomicInteger v2 = new java.util.concurrent.atomic.AtomicInteger();
        front.createContext("/", ex -> {
            try (ex) {
                if (ex.getRequestHeaders().getFirst("Git-Protocol") != null && "POST".equals(ex.getRequestMethod())) {
                    v2.incrementAndGet();
                    ex.sendResponseHeaders(500, -1);
                    return;
                }
                var req = java.net.http.HttpRequest.newBuilder(server.baseUri().resolve(ex.getRequestURI().toString()));
                byte[] body = ex.getRequestBody().readAllBytes();
                req.method(ex.getRequestMethod(), body.length == 0 ? java.net.http.HttpRequest.BodyPublishers.noBody()
                        : java.net.http.HttpRequest.BodyPublishers.ofByteArray(body));
                for (String h : List.of("Content-Type", "Accept", "Content-Encoding")) {
                    String v = ex.getRequestHeaders().getFirst(h);
                    if (v != null) req.header(h, v);
                }
                var resp = client.send(req.build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
                resp.headers().firstValue("Content-Type").ifPresent(v -> ex.getResponseHeaders().set("Content-Type", v));
                ex.sendResponseHeaders(resp.statusCode(), resp.body().length == 0 ? -1 : resp.body().length);
                ex.getResponseBody().write(resp.body());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        front.start();
        try (WorkflowFetcher f = fetcher()) {
            java.net.URI base = java.net.URI.create("http://127.0.0.1:" + front.getAddress().getPort());
            ObjectId c = null;
            for (int i = 0; i < 5; i++) {
                c = TestRepos.commit(repo, c, Map.of(WF + "ci.yml", text("engine: x" + i + "\n")));
                assertEquals("engine: x" + i + "\n", asText(f.fetch(base, DID, c.name())).get("ci.yml"));
            }
            assertEquals(WorkflowFetcher.PARTIAL_FAILURES_IN_A_ROW, v2.get(), "no partial attempt after three failures");
            assertEquals(WorkflowFetcher.PARTIAL_FAILURES_IN_A_ROW, fallbacks());
        } finally {
            front.stop(0);
            client.close();
        }
    }

    @Test
    @DisplayName("a knot that refuses filters is fetched from the full way")
    void knotWithoutFilters() throws Exception {
        server.allowFilter(false);
        ObjectId c1 = TestRepos.commit(repo, null, Map.of(WF + "ci.yml", text("engine: x\n")));
        ObjectId c2 = TestRepos.commit(repo, c1, Map.of(WF + "ci.yml", text("engine: y\n")));
        try (WorkflowFetcher f = fetcher()) {
            assertEquals("engine: x\n", asText(f.fetch(server.baseUri(), DID, c1.name())).get("ci.yml"));
            assertEquals("engine: y\n", asText(f.fetch(server.baseUri(), DID, c2.name())).get("ci.yml"));
        }
        assertEquals(1, fallbacks(), "the knot was remembered");
    }

    @Test
    @DisplayName("a knot that stalls the partial fetch still gets no more than the fetch's deadline")
    void stalledKnot() throws Exception {
        HttpServer stall = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        CountDownLatch release = new CountDownLatch(1);
        stall.createContext("/", ex -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        });
        stall.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        stall.start();
        try (WorkflowFetcher f = new WorkflowFetcher(WorkflowFetcher.Options.defaults(tmp.resolve("cache"))
                .withFetchTimeout(Duration.ofMillis(1500)).withTransportTimeout(Duration.ofSeconds(30))
                .withBackoff(Duration.ofMillis(20), Duration.ofMillis(100)), meters)) {
            long t0 = System.nanoTime();
            var e = assertThrows(WorkflowFetchException.class, () -> f.fetch(
                    java.net.URI.create("http://127.0.0.1:" + stall.getAddress().getPort()), DID, "1234567890abcdef1234567890abcdef12345678"));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertInstanceOf(Failure.TimedOut.class, e.failure(), e.getMessage());
            assertTrue(ms < 5_000, "took " + ms + " ms");
        } finally {
            release.countDown();
            stall.stop(0);
        }
    }

    /** Packs written by hand: what a knot might send that JGit's server does not. */
    @Nested
    class Packs {
        private final ObjectInserter.Formatter ids = new ObjectInserter.Formatter();

        @Test
        @DisplayName("offset and reference deltas resolve against objects of the same pack, chains included")
        void deltas() throws Exception {
            byte[] base = "engine: nixery\nsteps:\n  - name: build\n".getBytes(StandardCharsets.UTF_8);
            byte[] one = "engine: nixery\nsteps:\n  - name: test\n".getBytes(StandardCharsets.UTF_8);
            byte[] two = "engine: nixery\nsteps:\n  - name: test\n# more\n".getBytes(StandardCharsets.UTF_8);
            Pack p = new Pack();
            int baseAt = p.object(Constants.OBJ_BLOB, base);
            // one = base[0..32) + "test\n" (an offset delta); two = one + "# more\n" (a reference delta on one).
            int oneAt = p.ofsDelta(baseAt, delta(base.length, one.length, copy(0, 32), insert("test\n")));
            p.refDelta(ids.idFor(Constants.OBJ_BLOB, one), delta(one.length, two.length, copy(0, one.length), insert("# more\n")));
            Map<ObjectId, PackObjects.GitObject> got = PackObjects.parse(p.bytes(), 1 << 20, 1 << 20);
            assertEquals(3, got.size());
            assertArrayEquals(one, got.get(ids.idFor(Constants.OBJ_BLOB, one)).data());
            assertArrayEquals(two, got.get(ids.idFor(Constants.OBJ_BLOB, two)).data());
            assertTrue(oneAt > baseAt);
        }

        @Test
        @DisplayName("a wrong checksum, a cut pack, stray bytes, a missing delta base and an oversized object are refused")
        void refused() throws Exception {
            Pack ok = new Pack();
            ok.object(Constants.OBJ_BLOB, "hello".getBytes(StandardCharsets.UTF_8));
            byte[] good = ok.bytes();
            assertEquals(1, PackObjects.parse(good, 100, 100).size());

            byte[] badSum = good.clone();
            badSum[badSum.length - 1] ^= 1;
            assertThrows(PackObjects.BadPack.class, () -> PackObjects.parse(badSum, 100, 100));

            Pack cut = new Pack();
            cut.raw(new byte[] {(byte) 0x35, 0x78}); // a blob of 5 bytes whose zlib stream stops at once
            assertThrows(PackObjects.BadPack.class, () -> PackObjects.parse(cut.bytes(), 100, 100));

            Pack stray = new Pack();
            stray.object(Constants.OBJ_BLOB, "hello".getBytes(StandardCharsets.UTF_8));
            stray.raw(new byte[] {1, 2, 3});
            assertThrows(PackObjects.BadPack.class, () -> PackObjects.parse(stray.withCount(1), 100, 100));

            Pack orphan = new Pack();
            orphan.refDelta(ObjectId.zeroId(), delta(1, 1, insert("x")));
            assertThrows(PackObjects.BadPack.class, () -> PackObjects.parse(orphan.bytes(), 100, 100));

            // Declared 10 MiB (a zip bomb of zeros): refused by the header before anything is inflated.
            Pack bomb = new Pack();
            bomb.object(Constants.OBJ_BLOB, new byte[10 << 20]);
            var e = assertThrows(PackObjects.BadPack.class, () -> PackObjects.parse(bomb.bytes(), 1 << 20, 1 << 20));
            assertTrue(e.getMessage().contains("10485760"), e.getMessage());

            assertThrows(PackObjects.BadPack.class, () -> PackObjects.parse("not a pack at all, really not".getBytes(), 100, 100));
        }

        @Test
        @DisplayName("an empty blob is an object like any other")
        void emptyObject() throws Exception {
            Pack p = new Pack();
            p.object(Constants.OBJ_BLOB, new byte[0]);
            assertEquals(0, PackObjects.parse(p.bytes(), 100, 100).get(ids.idFor(Constants.OBJ_BLOB, new byte[0])).data().length);
        }

        private static byte[] copy(int offset, int size) {
            // cmd 0x80 | offset byte 0 | size byte 0 (both below 256 here)
            return new byte[] {(byte) (0x80 | 0x01 | 0x10), (byte) offset, (byte) size};
        }

        private static byte[] insert(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            byte[] out = new byte[b.length + 1];
            out[0] = (byte) b.length;
            System.arraycopy(b, 0, out, 1, b.length);
            return out;
        }

        private static byte[] delta(int baseSize, int resultSize, byte[]... ops) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            varint(out, baseSize);
            varint(out, resultSize);
            for (byte[] op : ops) out.writeBytes(op);
            return out.toByteArray();
        }

        private static void varint(ByteArrayOutputStream out, long v) {
            do {
                int b = (int) (v & 0x7f);
                v >>>= 7;
                out.write(v != 0 ? b | 0x80 : b);
            } while (v != 0);
        }
    }

    /** A pack builder: objects deflated, offset and reference deltas, the checksum at the end. */
    private static final class Pack {
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private int count;

        int object(int type, byte[] data) {
            int at = 12 + body.size();
            header(type, data.length);
            body.writeBytes(deflate(data));
            count++;
            return at;
        }

        int ofsDelta(int baseAt, byte[] delta) {
            int at = 12 + body.size();
            header(6, delta.length);
            long ofs = at - baseAt;
            // git's offset encoding: big-endian 7-bit groups, each continuation adding one.
            byte[] buf = new byte[10];
            int i = buf.length - 1;
            buf[i] = (byte) (ofs & 127);
            while ((ofs >>>= 7) != 0) buf[--i] = (byte) (128 | (--ofs & 127));
            body.write(buf, i, buf.length - i);
            body.writeBytes(deflate(delta));
            count++;
            return at;
        }

        void refDelta(ObjectId base, byte[] delta) {
            header(7, delta.length);
            byte[] raw = new byte[20];
            base.copyRawTo(raw, 0);
            body.writeBytes(raw);
            body.writeBytes(deflate(delta));
            count++;
        }

        void raw(byte[] bytes) {
            body.writeBytes(bytes);
            count++;
        }

        private void header(int type, long size) {
            int c = (type << 4) | (int) (size & 15);
            size >>>= 4;
            while (size != 0) {
                body.write(c | 0x80);
                c = (int) (size & 0x7f);
                size >>>= 7;
            }
            body.write(c);
        }

        byte[] bytes() throws Exception {
            return withCount(count);
        }

        byte[] withCount(int n) throws Exception {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes("PACK".getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(new byte[] {0, 0, 0, 2, (byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
            out.writeBytes(body.toByteArray());
            out.writeBytes(MessageDigest.getInstance("SHA-1").digest(out.toByteArray()));
            return out.toByteArray();
        }

        private static byte[] deflate(byte[] data) {
            Deflater d = new Deflater();
            d.setInput(data);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            while (!d.finished()) out.write(buf, 0, d.deflate(buf));
            d.end();
            return out.toByteArray();
        }
    }
}
