package dev.weft.git;

import static dev.weft.git.TestRepos.text;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.weft.git.WorkflowFetchException.Failure;
import dev.weft.git.WorkflowFetchException.Limit;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class WorkflowFetcherTest extends LoopbackKnotRepo {
    /**
     * The full fetch into the cached repository, which these tests are about: the partial fetch
     * tried before it, and the fall back to this one, are {@link PartialFetchTest}'s.
     */
    private WorkflowFetcher.Options options() {
        return WorkflowFetcher.Options.defaults(tmp.resolve("cache")).withPartialFetch(false)
                .withFetchTimeout(Duration.ofSeconds(10))
                .withBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
                .withTransportTimeout(Duration.ofSeconds(2));
    }

    private WorkflowFetcher fetcher(WorkflowFetcher.Options o) throws IOException {
        return new WorkflowFetcher(o, meters);
    }

    private double retries() {
        return meters.counter("weft.workflow.fetch.retries").count();
    }

    private static Map<String, String> asText(WorkflowFiles files) {
        Map<String, String> m = new LinkedHashMap<>();
        files.files().forEach(f -> m.put(f.name(), new String(f.content(), StandardCharsets.UTF_8)));
        return m;
    }

    @Test
    @DisplayName("reads the workflow files of the asked commit, not the branch tip, in name order")
    void readsFilesOfThatCommit() throws Exception {
        byte[] binary = {0, (byte) 0xff, 1, (byte) 0xfe};
        ObjectId c1 = TestRepos.commit(repo, null, Map.of(
                WF + "ci.yml", text("engine: nixery\n# v1\n"),
                WF + "bin.dat", new TestRepos.Blob(binary, false),
                "README.md", text("hello")));
        ObjectId c2 = TestRepos.commit(repo, c1, Map.of(
                WF + "ci.yml", text("engine: nixery\n# v2\n"),
                WF + "a-deploy.yml", text("engine: nixery\n")));
        WorkflowFetcher f = fetcher(options());

        WorkflowFiles first = f.fetch(server.baseUri(), DID, c1.name());
        assertEquals(c1.name(), first.commit());
        assertEquals(List.of("bin.dat", "ci.yml"), first.files().stream().map(WorkflowFiles.File::name).toList());
        assertArrayEquals(binary, first.files().get(0).content());
        assertEquals("engine: nixery\n# v1\n", asText(first).get("ci.yml"));

        WorkflowFiles second = f.fetch(server.baseUri(), DID, c2.name().toUpperCase());
        assertEquals(Map.of("a-deploy.yml", "engine: nixery\n", "ci.yml", "engine: nixery\n# v2\n"), asText(second));
        assertEquals(2, server.uploadPackCount());

        // Already in the cache: read without asking the knot again.
        assertEquals(first, f.fetch(server.baseUri(), DID, c1.name()));
        assertEquals(2, server.uploadPackCount());
        assertEquals(3, meters.counter("weft.workflow.fetches", "outcome", "ok").count());
    }

    @Test
    @DisplayName("a commit without .tangled/workflows has no workflows")
    void missingDirectoryIsEmpty() throws Exception {
        ObjectId c = TestRepos.commit(repo, null, Map.of("src/main.c", text("int main;"), ".tangled/other", text("x")));
        WorkflowFiles files = fetcher(options()).fetch(server.baseUri(), DID, c.name());
        assertTrue(files.isEmpty());
    }

    @Test
    @DisplayName("only regular files directly in the directory: subdirectories, symlinks and submodules are skipped")
    void onlyRegularFiles() throws Exception {
        ObjectId c = TestRepos.commit(repo, null, Map.of(
                WF + "a.yml", text("a"),
                WF + "b.sh", new TestRepos.Blob("b".getBytes(StandardCharsets.UTF_8), true),
                WF + "nested/c.yml", text("c"),
                WF + "link.yml", new TestRepos.Link("a.yml"),
                WF + "module", new TestRepos.Gitlink(ObjectId.fromString("0123456789012345678901234567890123456789"))));
        WorkflowFiles files = fetcher(options()).fetch(server.baseUri(), DID, c.name());
        assertEquals(Map.of("a.yml", "a", "b.sh", "b"), asText(files));
    }

    @Test
    @DisplayName("a commit the knot does not have fails at once as commit-not-found, without retries")
    void commitNotFound() throws Exception {
        TestRepos.commit(repo, null, Map.of(WF + "ci.yml", text("x")));
        String missing = "1234567890abcdef1234567890abcdef12345678";
        long t0 = System.nanoTime();
        var e = assertThrows(WorkflowFetchException.class,
                () -> fetcher(options()).fetch(server.baseUri(), DID, missing));
        var f = assertInstanceOf(Failure.CommitNotFound.class, e.failure(), e.getMessage());
        assertEquals(missing, f.commit());
        assertEquals(0, retries());
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(5).toNanos());
        assertEquals(1, meters.counter("weft.workflow.fetches", "outcome", "commit_not_found").count());
    }

    @Test
    @DisplayName("an unknown repo on the knot is a permanent error")
    void unknownRepo() throws Exception {
        var e = assertThrows(WorkflowFetchException.class, () -> fetcher(options())
                .fetch(server.baseUri(), "did:plc:nosuchrepo", "1234567890abcdef1234567890abcdef12345678"));
        assertInstanceOf(Failure.RepositoryBroken.class, e.failure(), e.getMessage());
        assertEquals(0, retries());
    }

    @Test
    @DisplayName("a bad DID or commit id is refused before anything is sent")
    void invalidRequest() throws Exception {
        WorkflowFetcher f = fetcher(options());
        var e1 = assertThrows(WorkflowFetchException.class, () -> f.fetch(server.baseUri(), "../etc", "1234567890abcdef1234567890abcdef12345678"));
        assertInstanceOf(Failure.InvalidRequest.class, e1.failure());
        var e2 = assertThrows(WorkflowFetchException.class, () -> f.fetch(server.baseUri(), DID, "main"));
        assertInstanceOf(Failure.InvalidRequest.class, e2.failure());
        assertEquals(0, server.uploadPackCount());
    }

    @Test
    @DisplayName("failures are classified on their words, not on digits in the knot's host or port")
    void classifyIgnoresUrl() {
        URI url = URI.create("http://127.0.0.1:40317/did:plc:x");
        ObjectId id = ObjectId.fromString("1234567890abcdef1234567890abcdef12345678");
        var timeout = new org.eclipse.jgit.errors.TransportException(url + ": Read timed out");
        assertInstanceOf(Failure.KnotUnreachable.class, WorkflowFetcher.classify(timeout, url, id));
        var forbidden = new org.eclipse.jgit.errors.TransportException(url + ": 403 Forbidden");
        assertInstanceOf(Failure.RepositoryBroken.class, WorkflowFetcher.classify(forbidden, url, id));
        var notOurRef = new org.eclipse.jgit.errors.TransportException("upload-pack: not our ref " + id.name());
        assertInstanceOf(Failure.CommitNotFound.class, WorkflowFetcher.classify(notOurRef, url, id));
    }

    @Test
    @DisplayName("a knot answering HTTP 500 or garbage is retried with backoff and given up at the deadline")
    void garbageRetriedUntilDeadline() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        HttpServer bad = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        bad.createContext("/", ex -> {
            try (ex) {
                byte[] body = "<html>bad gateway</html>".getBytes(StandardCharsets.UTF_8);
                // Alternate the two ways a broken knot or its proxy answers.
                int n = requests.incrementAndGet();
                ex.getResponseHeaders().set("Content-Type", "text/html");
                ex.sendResponseHeaders(n % 2 == 0 ? 200 : 500, body.length);
                ex.getResponseBody().write(body);
            }
        });
        bad.start();
        try {
            URI base = URI.create("http://127.0.0.1:" + bad.getAddress().getPort());
            WorkflowFetcher f = fetcher(options().withFetchTimeout(Duration.ofMillis(800)));
            var e = assertThrows(WorkflowFetchException.class,
                    () -> f.fetch(base, DID, "1234567890abcdef1234567890abcdef12345678"));
            var timedOut = assertInstanceOf(Failure.TimedOut.class, e.failure(), e.getMessage());
            assertInstanceOf(Failure.KnotUnreachable.class, timedOut.last());
            assertTrue(timedOut.attempts() >= 3, "attempts: " + timedOut.attempts());
            assertEquals(timedOut.attempts() - 1, (int) retries());
            assertTrue(requests.get() >= 3);
            assertEquals(1, meters.counter("weft.workflow.fetches", "outcome", "timeout").count());
        } finally {
            bad.stop(0);
        }
    }

    @Test
    @DisplayName("a caller's shorter deadline bounds the retries of a down knot; a longer one does not stretch fetchTimeout")
    void shorterDeadline() throws Exception {
        int port;
        try (var s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed again: connections are refused
        }
        URI down = URI.create("http://127.0.0.1:" + port);
        WorkflowFetcher f = fetcher(options().withFetchTimeout(Duration.ofMinutes(5)));
        long t0 = System.nanoTime();
        var e = assertThrows(WorkflowFetchException.class,
                () -> f.fetch(down, DID, "1234567890abcdef1234567890abcdef12345678", Duration.ofMillis(500)));
        var timedOut = assertInstanceOf(Failure.TimedOut.class, e.failure(), e.getMessage());
        assertInstanceOf(Failure.KnotUnreachable.class, timedOut.last());
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(5).toNanos(), "bounded by the caller's 500 ms");

        WorkflowFetcher g = fetcher(options().withFetchTimeout(Duration.ofMillis(300)));
        long t1 = System.nanoTime();
        assertThrows(WorkflowFetchException.class,
                () -> g.fetch(down, DID, "1234567890abcdef1234567890abcdef12345678", Duration.ofMinutes(5)));
        assertTrue(System.nanoTime() - t1 < Duration.ofSeconds(5).toNanos(), "fetchTimeout still bounds it");
    }

    /** A knot that accepts every request and answers nothing until {@code release}; counts requests. */
    private static HttpServer stallingKnot(CountDownLatch release, AtomicInteger requests) throws java.io.IOException {
        HttpServer stall = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        stall.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        stall.createContext("/", ex -> {
            requests.incrementAndGet();
            try (ex) {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        stall.start();
        return stall;
    }

    @Test
    @DisplayName("a knot that accepts and then says nothing is cut off by the transport timeout and retried")
    void stalledKnotTimesOut() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger requests = new AtomicInteger();
        HttpServer stall = stallingKnot(release, requests);
        try {
            URI base = URI.create("http://127.0.0.1:" + stall.getAddress().getPort());
            WorkflowFetcher f = fetcher(options().withTransportTimeout(Duration.ofSeconds(1))
                    .withFetchTimeout(Duration.ofMillis(2500)));
            long t0 = System.nanoTime();
            var e = assertThrows(WorkflowFetchException.class,
                    () -> f.fetch(base, DID, "1234567890abcdef1234567890abcdef12345678"));
            assertInstanceOf(Failure.TimedOut.class, e.failure(), e.getMessage());
            assertTrue(requests.get() >= 2, "requests: " + requests.get());
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(6).toNanos());
        } finally {
            release.countDown();
            stall.stop(0);
        }
    }

    @Test
    @DisplayName("a knot that is down and then comes up: the fetch succeeds after retries")
    void downThenUp() throws Exception {
        ObjectId c = TestRepos.commit(repo, null, Map.of(WF + "ci.yml", text("engine: x\n")));
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        URI base = URI.create("http://127.0.0.1:" + port);
        WorkflowFetcher f = fetcher(options());
        CompletableFuture<WorkflowFiles> result = new CompletableFuture<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                result.complete(f.fetch(base, DID, c.name()));
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        try {
            await().atMost(Duration.ofSeconds(5)).until(() -> retries() >= 2);
            try (GitHttpServer up = GitHttpServer.start(port)) {
                up.serve(DID, repo);
                assertEquals(Map.of("ci.yml", "engine: x\n"), asText(result.get()));
            }
        } finally {
            t.interrupt();
            t.join();
        }
    }

    @Test
    @DisplayName("an interrupt ends a fetch that is waiting between retries promptly")
    void interruptible() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        WorkflowFetcher f = fetcher(options().withFetchTimeout(Duration.ofMinutes(5)).withBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30)));
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                f.fetch(URI.create("http://127.0.0.1:" + port), DID, "1234567890abcdef1234567890abcdef12345678");
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> retries() >= 1);
        long t0 = System.nanoTime();
        t.interrupt();
        t.join(Duration.ofSeconds(3));
        assertFalse(t.isAlive());
        assertInstanceOf(InterruptedException.class, thrown.get());
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(3).toNanos());
    }

    @Test
    @DisplayName("an interrupt during a stalled transfer ends the fetch within one transport timeout")
    void interruptWhileStalled() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger requests = new AtomicInteger();
        HttpServer stall = stallingKnot(release, requests);
        try {
            URI base = URI.create("http://127.0.0.1:" + stall.getAddress().getPort());
            WorkflowFetcher f = fetcher(options().withTransportTimeout(Duration.ofSeconds(1))
                    .withFetchTimeout(Duration.ofMinutes(5)));
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    f.fetch(base, DID, "1234567890abcdef1234567890abcdef12345678");
                } catch (Throwable e) {
                    thrown.set(e);
                }
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> requests.get() >= 1);
            t.interrupt();
            t.join(Duration.ofSeconds(3));
            assertFalse(t.isAlive());
            assertInstanceOf(InterruptedException.class, thrown.get());
        } finally {
            release.countDown();
            stall.stop(0);
        }
    }

    @Test
    @DisplayName("a 50 MiB file is refused by its size without being downloaded, when the knot filters blobs")
    void hugeFileFiltered() throws Exception {
        ObjectId c = TestRepos.commit(repo, null, Map.of(
                WF + "ci.yml", text("engine: x\n"),
                WF + "huge.bin", new TestRepos.Zeros(50L * 1024 * 1024),
                "assets/big.bin", new TestRepos.Zeros(50L * 1024 * 1024)));
        WorkflowFetcher f = fetcher(options());
        var e = assertThrows(WorkflowFetchException.class, () -> f.fetch(server.baseUri(), DID, c.name()));
        var limit = assertInstanceOf(Failure.LimitExceeded.class, e.failure(), e.getMessage());
        assertEquals(Limit.FILE_SIZE, limit.limit());
        assertEquals(-1, limit.actual());
        assertTrue(e.getMessage().contains("huge.bin"), e.getMessage());
        // Neither big blob reached the cache. JGit may create and drop a lock file (gc.log.lock)
        // while the tree is walked: a file that vanished counts as nothing.
        long[] bytes = {0};
        Files.walkFileTree(tmp.resolve("cache"), new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult visitFile(Path p, java.nio.file.attribute.BasicFileAttributes a) {
                if (a.isRegularFile()) bytes[0] += a.size();
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFileFailed(Path p, java.io.IOException e) {
                return java.nio.file.FileVisitResult.CONTINUE;
            }
        });
        assertTrue(bytes[0] < 1024 * 1024, "cache holds " + bytes[0] + " bytes");
    }

    @Test
    @DisplayName("a 50 MiB file from a knot without partial fetch is refused by its size, without being loaded")
    void hugeFile() throws Exception {
        server.allowFilter(false);
        ObjectId c = TestRepos.commit(repo, null, Map.of(
                WF + "ci.yml", text("engine: x\n"),
                WF + "huge.bin", new TestRepos.Zeros(50L * 1024 * 1024)));
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        WorkflowFetcher f = fetcher(options());
        long before = threads.getCurrentThreadAllocatedBytes();
        var e = assertThrows(WorkflowFetchException.class, () -> f.fetch(server.baseUri(), DID, c.name()));
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        var limit = assertInstanceOf(Failure.LimitExceeded.class, e.failure(), e.getMessage());
        assertEquals(Limit.FILE_SIZE, limit.limit());
        assertEquals(50L * 1024 * 1024, limit.actual());
        assertTrue(e.getMessage().contains("huge.bin"), e.getMessage());
        assertTrue(allocated < 40L * 1024 * 1024, "allocated " + allocated + " bytes");
        assertEquals(0, retries());
    }

    @Test
    @DisplayName("10,000 files are refused by the file-count limit")
    void tooManyFiles() throws Exception {
        Map<String, TestRepos.Node> tree = new LinkedHashMap<>();
        for (int i = 0; i < 10_000; i++) tree.put(WF + "w" + i + ".yml", text("engine: x\n"));
        ObjectId c = TestRepos.commit(repo, null, tree);
        var e = assertThrows(WorkflowFetchException.class, () -> fetcher(options()).fetch(server.baseUri(), DID, c.name()));
        var limit = assertInstanceOf(Failure.LimitExceeded.class, e.failure(), e.getMessage());
        assertEquals(Limit.FILE_COUNT, limit.limit());
        assertEquals(500, limit.allowed());
    }

    @Test
    @DisplayName("files under the per-file bound that add up past the total are refused by the total limit")
    void totalLimit() throws Exception {
        ObjectId c = TestRepos.commit(repo, null, Map.of(
                WF + "a.yml", new TestRepos.Zeros(600), WF + "b.yml", new TestRepos.Zeros(600)));
        WorkflowFetcher f = fetcher(options().withLimits(new WorkflowFetcher.Limits(10, 1000, 1000)));
        var e = assertThrows(WorkflowFetchException.class, () -> f.fetch(server.baseUri(), DID, c.name()));
        assertEquals(Limit.TOTAL_SIZE, assertInstanceOf(Failure.LimitExceeded.class, e.failure()).limit());
    }

    @Test
    @DisplayName("two concurrent fetches of one repo run one after the other: one transfer, both correct")
    void concurrentFetchesOfOneRepoAreSerialised() throws Exception {
        ObjectId c = TestRepos.commit(repo, null, Map.of(WF + "ci.yml", text("engine: x\n")));
        WorkflowFetcher f = fetcher(options());
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<WorkflowFiles>> results = Stream.generate(CompletableFuture<WorkflowFiles>::new).limit(2).toList();
        List<Thread> threads = results.stream().map(r -> Thread.ofVirtual().start(() -> {
            try {
                go.await();
                r.complete(f.fetch(server.baseUri(), DID, c.name()));
            } catch (Throwable e) {
                r.completeExceptionally(e);
            }
        })).toList();
        go.countDown();
        for (Thread t : threads) t.join();
        for (var r : results) assertEquals(Map.of("ci.yml", "engine: x\n"), asText(r.get()));
        // Had they overlapped, both would have found the cache empty and fetched.
        assertEquals(1, server.uploadPackCount());
    }

    @Test
    @DisplayName("the cache keeps at most maxCachedRepos repos, evicting the least recently used")
    void cacheEviction() throws Exception {
        WorkflowFetcher f = fetcher(options().withMaxCachedRepos(2));
        Map<String, ObjectId> commits = new LinkedHashMap<>();
        for (String did : List.of("did:plc:one", "did:plc:two", "did:plc:three")) {
            Repository r = TestRepos.bare(tmp.resolve("knot/" + did.substring(8)));
            commits.put(did, TestRepos.commit(r, null, Map.of(WF + "ci.yml", text(did))));
            server.serve(did, r);
            assertEquals(Map.of("ci.yml", did), asText(f.fetch(server.baseUri(), did, commits.get(did).name())));
        }
        Path cache = tmp.resolve("cache");
        assertFalse(Files.exists(cache.resolve(RepoCache.dirName("did:plc:one"))));
        assertTrue(Files.exists(cache.resolve(RepoCache.dirName("did:plc:three"))));
        try (Stream<Path> dirs = Files.list(cache)) {
            assertEquals(2, dirs.count());
        }
        // The evicted repo is fetched again on demand.
        assertEquals(Map.of("ci.yml", "did:plc:one"), asText(f.fetch(server.baseUri(), "did:plc:one", commits.get("did:plc:one").name())));
        assertEquals(4, server.uploadPackCount());
    }

    @Test
    @DisplayName("a cached repo that has collected many packs is started afresh instead of growing")
    void manyPacksStartAfresh() throws Exception {
        ObjectId c1 = TestRepos.commit(repo, null, Map.of(WF + "ci.yml", text("v1")));
        ObjectId c2 = TestRepos.commit(repo, c1, Map.of(WF + "ci.yml", text("v2")));
        WorkflowFetcher f = fetcher(options());
        f.fetch(server.baseUri(), DID, c1.name());
        Path packs = tmp.resolve("cache").resolve(RepoCache.dirName(DID)).resolve("objects/pack");
        for (int i = 0; i < WorkflowFetcher.MAX_PACKS_PER_REPO; i++) Files.createFile(packs.resolve("pack-junk" + i + ".pack"));
        assertEquals(Map.of("ci.yml", "v2"), asText(f.fetch(server.baseUri(), DID, c2.name())));
        try (Stream<Path> left = Files.list(packs)) {
            assertEquals(1, left.filter(p -> p.toString().endsWith(".pack")).count());
        }
    }

    @Test
    @DisplayName("a corrupted cache directory is wiped and fetched again")
    void corruptedCacheRecovered() throws Exception {
        ObjectId c = TestRepos.commit(repo, null, Map.of(WF + "ci.yml", text("engine: x\n")));
        WorkflowFetcher f = fetcher(options());
        f.fetch(server.baseUri(), DID, c.name());
        Path dir = tmp.resolve("cache").resolve(RepoCache.dirName(DID));

        Files.writeString(dir.resolve("config"), "[core\n garbage = = =\n");
        assertEquals(Map.of("ci.yml", "engine: x\n"), asText(f.fetch(server.baseUri(), DID, c.name())));
        assertEquals(2, server.uploadPackCount());

        try (Stream<Path> packs = Files.walk(dir.resolve("objects"))) {
            for (Path p : packs.filter(Files::isRegularFile).toList()) Files.write(p, new byte[] {1, 2, 3, 4});
        }
        assertEquals(Map.of("ci.yml", "engine: x\n"), asText(fetcher(options()).fetch(server.baseUri(), DID, c.name())));
        // A first fetch into the damaged directory may or may not happen before the wipe.
        assertTrue(server.uploadPackCount() >= 3);
        assertEquals(0, retries());

        // A damaged shallow file breaks the next transfer itself.
        ObjectId c2 = TestRepos.commit(repo, c, Map.of(WF + "ci.yml", text("engine: y\n")));
        Files.writeString(dir.resolve("shallow"), "not a sha\n");
        assertEquals(Map.of("ci.yml", "engine: y\n"), asText(f.fetch(server.baseUri(), DID, c2.name())));
        assertEquals(0, retries(), "a local fault is not the knot's");
    }
}
