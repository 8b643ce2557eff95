package dev.weft.git;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.weft.git.WorkflowFetchException.Failure;
import dev.weft.git.WorkflowFetchException.Limit;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The partial fetch against git's own server, as a knot runs it: {@code git upload-pack
 * --stateless-rpc} behind loopback HTTP, one process per request, {@code GIT_PROTOCOL} passed on
 * from the {@code Git-Protocol} header as git's {@code http-backend} does. git's server differs
 * from JGit's (the loopback knot's) in what {@code tree:1} sends for an asked-for tree, and refuses
 * filters unless {@code uploadpack.allowFilter} is set; weft must read the same files from both.
 * Needs the {@code git} command, which every clone of this repository was made with.
 */
@Timeout(60)
class PartialFetchAgainstGitTest {
    private static final String DID = "did:plc:gitrepo";
    private static final String WF = ".tangled/workflows/";

    @TempDir
    Path tmp;

    private Path repo;
    private HttpServer server;
    private volatile boolean allowFilter = true;
    private final AtomicInteger posts = new AtomicInteger();
    private SimpleMeterRegistry meters;

    @BeforeEach
    void setUp() throws Exception {
        repo = tmp.resolve("repo");
        git(tmp, "init", "-q", "-b", "main", repo.toString());
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::serve);
        server.start();
        meters = new SimpleMeterRegistry();
    }

    @AfterEach
    void tearDown() {
        server.stop(0);
    }

    private URI base() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private WorkflowFetcher fetcher() throws IOException {
        return new WorkflowFetcher(WorkflowFetcher.Options.defaults(tmp.resolve("cache"))
                .withFetchTimeout(Duration.ofSeconds(20))
                .withBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
                .withTransportTimeout(Duration.ofSeconds(10)), meters);
    }

    private double fallbacks() {
        return meters.counter("weft.workflow.fetches", "outcome", "partial-fallback").count();
    }

    /** Writes {@code files} into the work tree, commits everything, returns the commit id. */
    private String commit(Map<String, byte[]> files) throws Exception {
        for (var e : files.entrySet()) {
            Path p = repo.resolve(e.getKey());
            Files.createDirectories(p.getParent());
            Files.write(p, e.getValue());
        }
        git(repo, "add", "-A");
        git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "--allow-empty", "-m", "c");
        return new String(git(repo, "rev-parse", "HEAD"), StandardCharsets.US_ASCII).strip();
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] git(Path dir, String... args) throws Exception {
        return run(dir, null, null, args);
    }

    private static byte[] run(Path dir, byte[] stdin, String protocol, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("git"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().put("GIT_CONFIG_NOSYSTEM", "1");
        pb.environment().put("HOME", dir.toString()); // no user configuration
        if (protocol != null) pb.environment().put("GIT_PROTOCOL", protocol);
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) in.write(stdin);
        }
        byte[] out;
        try (InputStream o = p.getInputStream()) {
            out = o.readAllBytes();
        }
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("git " + cmd + " hung");
        }
        return out;
    }

    /** The smart HTTP end of git's http-backend, for upload-pack only. */
    private void serve(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String protocol = ex.getRequestHeaders().getFirst("Git-Protocol");
            String filter = "uploadpack.allowFilter=" + allowFilter;
            byte[] body;
            if ("GET".equals(ex.getRequestMethod()) && path.equals("/" + DID + "/info/refs")) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                if (protocol == null) b.writeBytes(text("001e# service=git-upload-pack\n0000"));
                b.writeBytes(run(repo, null, protocol, "-c", filter, "upload-pack", "--stateless-rpc", "--advertise-refs", "."));
                body = b.toByteArray();
                ex.getResponseHeaders().set("Content-Type", "application/x-git-upload-pack-advertisement");
            } else if ("POST".equals(ex.getRequestMethod()) && path.equals("/" + DID + "/git-upload-pack")) {
                posts.incrementAndGet();
                InputStream in = ex.getRequestBody();
                // JGit gzips its requests; http-backend inflates them before upload-pack sees them.
                if ("gzip".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Content-Encoding"))) {
                    in = new java.util.zip.GZIPInputStream(in);
                }
                body = run(repo, in.readAllBytes(), protocol, "-c", filter, "upload-pack", "--stateless-rpc", ".");
                ex.getResponseHeaders().set("Content-Type", "application/x-git-upload-pack-result");
            } else {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            ex.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
            ex.getResponseBody().write(body);
        } catch (Exception e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private boolean diskCacheUsed() throws IOException {
        try (Stream<Path> dirs = Files.list(tmp.resolve("cache"))) {
            return dirs.findAny().isPresent();
        }
    }

    @Test
    @DisplayName("git's server: the files read the partial way, one request per push that leaves .tangled alone")
    void readsFromGit() throws Exception {
        String c1 = commit(Map.of(WF + "ci.yml", text("engine: nixery\n"), WF + "deploy.yml", text("engine: x\n"),
                ".tangled/notes.txt", text("n"), "README.md", text("r"), "src/main.c", text("int main;")));
        try (WorkflowFetcher f = fetcher()) {
            WorkflowFiles first = f.fetch(base(), DID, c1);
            assertEquals(List.of("ci.yml", "deploy.yml"), first.files().stream().map(WorkflowFiles.File::name).toList());
            assertEquals("engine: nixery\n", new String(first.files().get(0).content(), StandardCharsets.UTF_8));
            int afterFirst = posts.get();
            // commit and root; .tangled (git sends the workflow tree with it); the files.
            assertEquals(3, afterFirst);

            String c2 = commit(Map.of("README.md", text("again")));
            assertEquals(first.files(), f.fetch(base(), DID, c2).files());
            assertEquals(afterFirst + 1, posts.get());
            assertEquals(0, fallbacks());
            assertTrue(!diskCacheUsed());
        }
    }

    @Test
    @DisplayName("git's server: a workflow file over the size limit is refused by its size")
    void tooLargeFromGit() throws Exception {
        byte[] big = new byte[300 * 1024];
        new java.util.Random(1).nextBytes(big);
        String c = commit(Map.of(WF + "ci.yml", text("engine: x\n"), WF + "big.yml", big));
        try (WorkflowFetcher f = fetcher()) {
            var e = assertThrows(WorkflowFetchException.class, () -> f.fetch(base(), DID, c));
            var limit = assertInstanceOf(Failure.LimitExceeded.class, e.failure(), e.getMessage());
            assertEquals(Limit.FILE_SIZE, limit.limit());
            assertTrue(e.getMessage().contains("big.yml"), e.getMessage());
        }
    }

    @Test
    @DisplayName("git's server without uploadpack.allowFilter: fetched the full way, and remembered")
    void gitWithoutFilters() throws Exception {
        allowFilter = false;
        String c1 = commit(Map.of(WF + "ci.yml", text("engine: x\n")));
        String c2 = commit(Map.of(WF + "ci.yml", text("engine: y\n")));
        try (WorkflowFetcher f = fetcher()) {
            assertEquals("engine: x\n", new String(f.fetch(base(), DID, c1).files().get(0).content(), StandardCharsets.UTF_8));
            assertEquals("engine: y\n", new String(f.fetch(base(), DID, c2).files().get(0).content(), StandardCharsets.UTF_8));
        }
        assertEquals(1, fallbacks(), "one refused partial fetch, then the knot was remembered");
    }

    @Test
    @DisplayName("git's server: a commit it does not have is reported not found")
    void missingCommitFromGit() throws Exception {
        commit(Map.of(WF + "ci.yml", text("engine: x\n")));
        try (WorkflowFetcher f = fetcher()) {
            var e = assertThrows(WorkflowFetchException.class,
                    () -> f.fetch(base(), DID, "1234567890abcdef1234567890abcdef12345678"));
            assertInstanceOf(Failure.CommitNotFound.class, e.failure(), e.getMessage());
        }
    }
}
