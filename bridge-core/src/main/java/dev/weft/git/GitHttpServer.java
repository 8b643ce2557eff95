package dev.weft.git;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;
import org.eclipse.jgit.lib.Config;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.PacketLineOut;
import org.eclipse.jgit.transport.RefAdvertiser.PacketLineOutRefAdvertiser;
import org.eclipse.jgit.transport.TransferConfig;
import org.eclipse.jgit.transport.UploadPack;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The git end of the embedded test/demo knot: serves {@code git-upload-pack} (fetch only, stateless
 * HTTP, protocol v0 and, for a client that sends {@code Git-Protocol: version=2}, v2 as git 2.26
 * and later do by default) for repositories registered under a path, usually a repo DID, on
 * loopback. Under v2, as in git's own server, a {@code want} may name any object the repository
 * holds (gitprotocol-v2: "wants can be anything"), which is how a partial fetch asks for one tree.
 *
 * <p>It lets a client fetch any reachable commit by id (as with git's {@code uploadpack.allowReachableSHA1InWant}), which is what weft asks a real knot for: the
 * pushed sha, not a branch. An unknown id gets git's own answer, {@code ERR want <sha> not valid}. Built on the JDK's HTTP server so tests
 * and the demo need no servlet container. Not for serving anything off loopback: there is no auth.
 *
 * <p>The server owns its handler threads; {@link #close()} stops them and does not close the
 * repositories, which belong to whoever registered them.
 */
public final class GitHttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GitHttpServer.class);

    private final HttpServer server;
    private final ExecutorService handlers;
    private final Map<String, Repository> repos = new ConcurrentHashMap<>();
    private final AtomicInteger uploadPacks = new AtomicInteger();

    private GitHttpServer(HttpServer server, ExecutorService handlers) {
        this.server = server;
        this.handlers = handlers;
    }

    /** Starts on an ephemeral loopback port. */
    public static GitHttpServer start() throws IOException {
        return start(0);
    }

    /** Starts on {@code port} of loopback (0 for any free port). */
    public static GitHttpServer start(int port) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
        GitHttpServer s = new GitHttpServer(http, handlers);
        http.setExecutor(handlers);
        http.createContext("/", s::handle);
        http.start();
        return s;
    }

    /** Serves {@code repo} at {@code /<path>}, e.g. a repo DID; replaces any earlier one. */
    public GitHttpServer serve(String path, Repository repo) {
        repos.put(path, repo);
        return this;
    }

    /** {@code http://127.0.0.1:<port>}: the knot base URL to fetch from. */
    public URI baseUri() {
        InetSocketAddress a = server.getAddress();
        return URI.create("http://" + a.getAddress().getHostAddress() + ":" + a.getPort());
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** How many {@code POST .../git-upload-pack} requests (actual fetches) were answered. */
    public int uploadPackCount() {
        return uploadPacks.get();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String query = ex.getRequestURI().getQuery();
            if ("GET".equals(ex.getRequestMethod()) && path.endsWith("/info/refs")
                    && "service=git-upload-pack".equals(query)) {
                Repository repo = repos.get(strip(path, "/info/refs"));
                if (repo == null) {
                    notFound(ex);
                    return;
                }
                advertise(ex, repo);
            } else if ("POST".equals(ex.getRequestMethod()) && path.endsWith("/git-upload-pack")) {
                Repository repo = repos.get(strip(path, "/git-upload-pack"));
                if (repo == null) {
                    notFound(ex);
                    return;
                }
                uploadPacks.incrementAndGet();
                uploadPack(ex, repo);
            } else if ("GET".equals(ex.getRequestMethod()) && path.equals("/xrpc/sh.tangled.repo.getDefaultBranch")) {
                defaultBranch(ex, query);
            } else {
                notFound(ex);
            }
        } catch (IOException | RuntimeException e) {
            // The client sees a cut connection; the server keeps serving others.
            log.warn("git http: {} {} failed: {}{}", ex.getRequestMethod(), ex.getRequestURI(), e,
                    e.getCause() == null ? "" : " caused by " + e.getCause());
        }
    }

    /**
     * A knot's {@code sh.tangled.repo.getDefaultBranch?repo=<repo DID>}: the branch HEAD points at,
     * {@code {"name":"main"}}, so weft's trigger metadata carries it as it does from a real knot.
     */
    private void defaultBranch(HttpExchange ex, String query) throws IOException {
        String did = "";
        for (String kv : query == null ? new String[0] : query.split("&")) {
            if (kv.startsWith("repo=")) did = java.net.URLDecoder.decode(kv.substring(5), java.nio.charset.StandardCharsets.UTF_8);
        }
        Repository repo = repos.get(did);
        String branch = repo == null ? null : repo.getBranch();
        if (branch == null) {
            notFound(ex);
            return;
        }
        byte[] body = ("{\"name\":\"" + branch.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
    }

    private static String strip(String path, String suffix) {
        String p = path.substring(0, path.length() - suffix.length());
        return p.startsWith("/") ? p.substring(1) : p;
    }

    private static void notFound(HttpExchange ex) throws IOException {
        ex.sendResponseHeaders(404, -1);
    }

    /**
     * Whether to offer the {@code filter} capability (partial fetch); on by default, as
     * {@code uploadpack.allowFilter} on a knot. Off shows how a client copes with a knot without it.
     */
    public GitHttpServer allowFilter(boolean allow) {
        this.allowFilter = allow;
        return this;
    }

    private volatile boolean allowFilter = true;

    /**
     * Whether to answer protocol v2 requests as v2; on by default. Off, the {@code Git-Protocol}
     * header is ignored as by a git older than 2.18: a v2 request then gets a v0 server's error.
     */
    public GitHttpServer protocolV2(boolean on) {
        this.protocolV2 = on;
        return this;
    }

    private volatile boolean protocolV2 = true;

    private UploadPack uploadPackFor(Repository repo, boolean v2) {
        UploadPack up = new UploadPack(repo);
        Config transfer = new Config(repo.getConfig());
        transfer.setBoolean("uploadpack", null, "allowfilter", allowFilter);
        if (v2) transfer.setString("protocol", null, "version", "2");
        up.setTransferConfig(new TransferConfig(transfer));
        // A pushed sha need not be a ref tip by the time weft asks (a later push moved the branch);
        // under v2 any object may be asked for, as git's own server allows.
        up.setRequestPolicy(v2 ? UploadPack.RequestPolicy.ANY : UploadPack.RequestPolicy.REACHABLE_COMMIT);
        if (v2) up.setExtraParameters(java.util.List.of("version=2"));
        up.setBiDirectionalPipe(false);
        // No UploadPack timeout: JGit implements it with an alarm thread per request, started and
        // joined on every fetch, which made this loopback knot cost more CPU than the weft it
        // serves in `weft bench push`. The HTTP exchange is bounded by the client's own timeout.
        return up;
    }

    private void advertise(HttpExchange ex, Repository repo) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/x-git-upload-pack-advertisement");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        try (OutputStream out = ex.getResponseBody()) {
            PacketLineOut pck = new PacketLineOut(out);
            pck.writeString("# service=git-upload-pack\n");
            pck.end();
            uploadPackFor(repo, false).sendAdvertisedRefs(new PacketLineOutRefAdvertiser(pck));
        }
    }

    private void uploadPack(HttpExchange ex, Repository repo) throws IOException {
        InputStream in = ex.getRequestBody();
        if ("gzip".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Content-Encoding"))) {
            in = new GZIPInputStream(in);
        }
        // A negotiation request is a few KiB of want/have lines; refuse anything absurd.
        byte[] request;
        try (InputStream body = in) {
            request = body.readNBytes(MAX_REQUEST + 1);
        }
        if (request.length > MAX_REQUEST) {
            ex.sendResponseHeaders(413, -1);
            return;
        }
        String protocol = ex.getRequestHeaders().getFirst("Git-Protocol");
        boolean v2 = protocolV2 && protocol != null && java.util.Arrays.asList(protocol.split(":")).contains("version=2");
        ex.getResponseHeaders().set("Content-Type", "application/x-git-upload-pack-result");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        try (OutputStream out = ex.getResponseBody()) {
            // JGit answers an unknown id with a cut stream (an internal error); git, and so a real
            // knot, answers "ERR upload-pack: not our ref <sha>", which is what clients must handle.
            ObjectId missing = firstMissingWant(repo, request);
            if (missing != null) {
                new PacketLineOut(out).writeString("ERR upload-pack: not our ref " + missing.name());
                return;
            }
            uploadPackFor(repo, v2).upload(new ByteArrayInputStream(request), out, null);
        }
    }

    private static final int MAX_REQUEST = 1 << 20;

    /** The first {@code want} of a request (v0 or v2) that the repository does not hold, or null. */
    private static ObjectId firstMissingWant(Repository repo, byte[] request) throws IOException {
        int pos = 0;
        while (pos + 4 <= request.length) {
            int len;
            try {
                len = Integer.parseInt(new String(request, pos, 4, StandardCharsets.US_ASCII), 16);
            } catch (NumberFormatException e) {
                return null; // not pkt-lines: let UploadPack report it
            }
            if (len <= 2) { // flush, and v2's delim and response-end
                pos += 4;
                continue;
            }
            if (len < 4 || pos + len > request.length) return null;
            String line = new String(request, pos + 4, len - 4, StandardCharsets.US_ASCII);
            if (line.startsWith("want ") && line.length() >= 45 && ObjectId.isId(line.substring(5, 45))) {
                ObjectId id = ObjectId.fromString(line.substring(5, 45));
                if (!repo.getObjectDatabase().has(id)) return id;
            }
            pos += len;
        }
        return null;
    }

    /** Stops accepting, ends in-flight exchanges and waits briefly for handler threads. */
    @Override
    public void close() {
        server.stop(0);
        handlers.shutdownNow();
        try {
            handlers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
