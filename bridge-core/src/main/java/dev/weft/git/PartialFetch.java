package dev.weft.git;

import dev.weft.git.PackObjects.GitObject;
import dev.weft.git.WorkflowFetchException.Failure;
import dev.weft.git.WorkflowFetcher.Limits;
import dev.weft.net.BoundedFetch;
import dev.weft.net.Deadline;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToLongFunction;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;

/**
 * A commit's workflow files fetched object by object, as upstream's spindle gets them (spec 2.5: a
 * depth-1 fetch with {@code --filter=tree:0}, then only what the sparse checkout of
 * {@code .tangled/workflows} needs), each step one git protocol v2 {@code fetch} request over
 * smart HTTP whose pack is read in memory: the commit with its root tree ({@code tree:1}), then
 * {@code .tangled}, the workflow directory, then its files. Nothing touches the disk, and nothing else of the repository
 * is transferred, however large it is.
 *
 * <p>Trees are named by their content, so what one {@code .tangled} tree yields is kept by its id:
 * a push that leaves {@code .tangled} alone (most do) costs one small request, for the commit and
 * its root tree; a commit asked for again costs none. Both caches are bounded.
 *
 * <p>A knot that answers anything else (no protocol v2, no filters, wants it refuses, a cut or
 * malformed answer) makes {@link #files} throw {@link Unavailable}: the caller then fetches the
 * way any git server allows. Failures that another way would only repeat (a limit exceeded, an id
 * that is not a commit) are thrown as {@link WorkflowFetchException}. Thread-safe; calls for one
 * repository are serialised by the caller.
 */
final class PartialFetch {
    /** The knot did not answer this way; {@link #protocol} when it does not speak it at all. */
    static final class Unavailable extends Exception {
        final boolean protocol;
        /** The knot said it does not have a wanted object. */
        final boolean notOurs;

        Unavailable(String message, boolean protocol) {
            this(message, protocol, false);
        }

        Unavailable(String message, boolean protocol, boolean notOurs) {
            super(message);
            this.protocol = protocol;
            this.notOurs = notOurs;
        }
    }

    private static final Map<String, String> HEADERS = Map.of(
            "Content-Type", "application/x-git-upload-pack-request",
            "Accept", "application/x-git-upload-pack-result",
            "Git-Protocol", "version=2");

    private final BoundedFetch http;
    private final Limits limits;
    /** Commit -> its {@code .tangled} tree, or empty when it has none. */
    private final Lru<ObjectId, Optional<ObjectId>> commits = new Lru<>(256 * 1024, v -> 64);
    /** {@code .tangled} tree -> its workflow files (empty list: none). */
    private final Lru<ObjectId, List<WorkflowFiles.File>> dirs;

    /**
     * @param http carries the requests; its byte cap bounds each answer
     * @param cacheBytes how many bytes of workflow files the cache may hold
     */
    PartialFetch(BoundedFetch http, Limits limits, long cacheBytes) {
        this.http = http;
        this.limits = limits;
        this.dirs = new Lru<>(cacheBytes, files -> 64 + files.stream().mapToLong(f -> 64 + f.size()).sum());
    }

    /** The largest answer one request may bring: the workflow files at their limit, and room for trees. */
    static int maxAnswerBytes(Limits limits) {
        return (int) Math.min(Integer.MAX_VALUE - 8, limits.maxTotalBytes() + (1 << 20));
    }

    List<WorkflowFiles.File> files(URI repoUrl, ObjectId commit, long deadline)
            throws Unavailable, WorkflowFetchException, InterruptedException {
        // Everything the knot sent during this call: git's server sends an asked-for tree's
        // entries along with it under tree:1 (JGit's does not), so a later step may find its
        // object already here and skip its request.
        Map<ObjectId, GitObject> have = new HashMap<>();
        Optional<ObjectId> tangled = commits.get(commit);
        if (tangled == null) {
            // tree:1 keeps what is at depth 0: the commit's root tree comes with it.
            try {
                have.putAll(fetch(repoUrl, List.of(commit), true, "tree:1", deadline));
            } catch (Unavailable e) {
                if (e.notOurs) {
                    // Asked for alone, so it is the commit the knot lacks: definite, unlike the
                    // full fetch, which sees only a cut answer from git for a missing commit.
                    throw new WorkflowFetchException(new Failure.CommitNotFound(commit.name(),
                            "the knot at " + repoUrl + " does not have it (" + e.getMessage() + ")"), null);
                }
                // A server asked to deepen from a tree or a blob refuses ("no commits selected for
                // shallow request"); asked without depth it says what the id names.
                if (!e.getMessage().contains("shallow")) throw e;
                have.putAll(fetch(repoUrl, List.of(commit), false, "tree:1", deadline));
            }
            GitObject c = have.get(commit);
            if (c == null) throw new Unavailable("the knot's answer lacks " + commit.name(), false);
            if (c.type() != Constants.OBJ_COMMIT) {
                throw new WorkflowFetchException(new Failure.CommitNotFound(commit.name(), "it names a "
                        + Constants.typeString(c.type()) + ", not a commit"), null);
            }
            tangled = entry(object(repoUrl, treeOf(c.data(), commit), have, deadline), ".tangled");
            commits.put(commit, tangled);
        }
        if (tangled.isEmpty()) return List.of();
        List<WorkflowFiles.File> files = dirs.get(tangled.get());
        if (files != null) return files;
        Optional<ObjectId> dir = entry(object(repoUrl, tangled.get(), have, deadline), "workflows");
        files = dir.isEmpty() ? List.of() : read(repoUrl, commit, dir.get(), have, deadline);
        dirs.put(tangled.get(), files);
        return files;
    }

    private List<WorkflowFiles.File> read(URI repoUrl, ObjectId commit, ObjectId dirId, Map<ObjectId, GitObject> have,
                                          long deadline)
            throws Unavailable, WorkflowFetchException, InterruptedException {
        List<WorkflowDirectory.Entry> entries = WorkflowDirectory.entries(
                parser(object(repoUrl, dirId, have, deadline)), limits, commit.name());
        LinkedHashSet<ObjectId> missing = new LinkedHashSet<>();
        for (WorkflowDirectory.Entry e : entries) {
            if (!have.containsKey(e.blob())) missing.add(e.blob());
        }
        if (!missing.isEmpty()) {
            // Servers send a blob asked for by id whatever its size (the filter is for blobs met on
            // the way); the answer's byte cap is what keeps a huge one out of memory.
            have.putAll(fetch(repoUrl, List.copyOf(missing), false, "blob:limit=" + (limits.maxFileBytes() + 1), deadline));
        }
        try {
            return List.copyOf(WorkflowDirectory.read(entries, limits, commit.name(), new WorkflowDirectory.Blobs() {
                @Override
                public long size(ObjectId blob) {
                    GitObject o = have.get(blob);
                    return o == null || o.type() != Constants.OBJ_BLOB ? -1 : o.data().length;
                }

                @Override
                public byte[] load(ObjectId blob, int maxBytes) {
                    return have.get(blob).data();
                }
            }));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("in-memory blobs cannot fail to load", e);
        }
    }

    /**
     * A tree: from what this call already has, else asked for with {@code tree:1}, which keeps the
     * wanted tree (JGit's server drops an asked-for tree under {@code tree:0}; git's sends its
     * entries too, which later steps then find in {@code have}).
     */
    private GitObject object(URI repoUrl, ObjectId id, Map<ObjectId, GitObject> have, long deadline)
            throws Unavailable, InterruptedException {
        GitObject o = have.get(id);
        if (o != null) return o;
        have.putAll(fetch(repoUrl, List.of(id), false, "tree:1", deadline));
        o = have.get(id);
        if (o == null) throw new Unavailable("the knot's answer lacks " + id.name(), false);
        return o;
    }

    private Map<ObjectId, GitObject> fetch(URI repoUrl, List<ObjectId> wants, boolean deepen, String filter, long deadline)
            throws Unavailable, InterruptedException {
        long left = deadline - System.nanoTime();
        if (left <= 0) throw new Unavailable("no time left", false);
        BoundedFetch.Response r;
        try {
            r = http.post(URI.create(repoUrl + "/git-upload-pack"), HEADERS, request(wants, deepen, filter),
                    Deadline.after(Duration.ofNanos(left)));
        } catch (BoundedFetch.FetchException e) {
            if (Thread.interrupted()) throw new InterruptedException("workflow fetch interrupted");
            throw new Unavailable(e.getMessage(), false);
        }
        if (r.status() != 200) throw new Unavailable("HTTP " + r.status() + " from " + repoUrl, false);
        byte[] pack = packOf(r.body(), repoUrl);
        try {
            return PackObjects.parse(pack, maxAnswerBytes(limits), 2L * maxAnswerBytes(limits));
        } catch (PackObjects.BadPack e) {
            throw new Unavailable("bad pack from " + repoUrl + ": " + e.getMessage(), false);
        }
    }

    /** A protocol v2 {@code fetch} command (gitprotocol-v2: wants may name any object). */
    static byte[] request(List<ObjectId> wants, boolean deepen, String filter) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        pkt(b, "command=fetch\n");
        pkt(b, "object-format=sha1\n");
        b.writeBytes("0001".getBytes(StandardCharsets.US_ASCII));
        pkt(b, "no-progress\n");
        pkt(b, "ofs-delta\n");
        for (ObjectId w : wants) pkt(b, "want " + w.name() + "\n");
        if (deepen) pkt(b, "deepen 1\n");
        pkt(b, "filter " + filter + "\n");
        pkt(b, "done\n");
        b.writeBytes("0000".getBytes(StandardCharsets.US_ASCII));
        return b.toByteArray();
    }

    private static void pkt(ByteArrayOutputStream b, String line) {
        byte[] bytes = line.getBytes(StandardCharsets.US_ASCII);
        b.writeBytes(String.format("%04x", bytes.length + 4).getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(bytes);
    }

    /**
     * The pack in a v2 {@code fetch} answer: sections of pkt-lines (shallow-info and others, then
     * {@code packfile}), the pack itself on side band 1, errors on band 3 or as {@code ERR} lines.
     * An answer that does not start like that comes from a knot that does not speak v2.
     */
    static byte[] packOf(byte[] body, URI repoUrl) throws Unavailable {
        ByteArrayOutputStream pack = new ByteArrayOutputStream(body.length);
        int pos = 0;
        boolean first = true;
        boolean inPack = false;
        while (true) {
            if (pos + 4 > body.length) {
                // Nothing at all: git's upload-pack dies on a line it does not know (a filter
                // without uploadpack.allowFilter, say) before writing anything.
                throw new Unavailable(body.length == 0 ? "empty answer from " + repoUrl + " (filters or protocol v2 refused?)"
                        : "answer from " + repoUrl + " ends early", body.length == 0);
            }
            int len = hex4(body, pos);
            if (len < 0) throw new Unavailable("not a git protocol v2 answer from " + repoUrl, first);
            if (len == 0) break; // flush: the end
            if (len <= 2) { // delim between sections, response-end
                pos += 4;
                first = false;
                continue;
            }
            if (len < 4 || pos + len > body.length) throw new Unavailable("cut pkt-line from " + repoUrl, first);
            int from = pos + 4;
            int n = len - 4;
            pos += len;
            if (inPack) {
                int band = body[from];
                if (band == 1) pack.write(body, from + 1, n - 1);
                else if (band == 3) {
                    throw new Unavailable("the knot at " + repoUrl + " failed: "
                            + new String(body, from + 1, n - 1, StandardCharsets.UTF_8).strip(), false);
                }
                continue; // band 2: progress
            }
            String line = new String(body, from, n, StandardCharsets.UTF_8);
            if (line.startsWith("ERR ") && line.contains("not our ref")) {
                // git's answer for an object it does not have (protocol v2 lets any object be asked for).
                throw new Unavailable("the knot at " + repoUrl + " answered " + abbreviate(line), false, true);
            }
            if (line.startsWith("ERR ")) {
                // A knot that refuses filters or v2's commands will refuse them on every push.
                boolean protocol = line.contains("filter") || line.contains("command") || line.contains("unexpected");
                throw new Unavailable("the knot at " + repoUrl + " answered " + abbreviate(line), protocol);
            }
            if (first && !(line.equals("shallow-info\n") || line.equals("packfile\n") || line.equals("acknowledgments\n")
                    || line.equals("wanted-refs\n") || line.equals("packfile-uris\n"))) {
                throw new Unavailable("not a git protocol v2 answer from " + repoUrl + ": " + abbreviate(line), true);
            }
            first = false;
            if (line.equals("packfile\n")) inPack = true;
        }
        if (!inPack) throw new Unavailable("no pack in the answer from " + repoUrl, false);
        return pack.toByteArray();
    }

    private static String abbreviate(String s) {
        String t = s.strip();
        return t.length() > 80 ? t.substring(0, 80) + "..." : t;
    }

    private static int hex4(byte[] b, int at) {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(b[at + i], 16);
            if (d < 0) return -1;
            v = v << 4 | d;
        }
        return v;
    }

    private static ObjectId treeOf(byte[] commit, ObjectId id) throws Unavailable {
        // A commit starts "tree <40 hex>\n" (git's fsck insists on it).
        if (commit.length < 46 || !new String(commit, 0, 5, StandardCharsets.US_ASCII).equals("tree ")
                || commit[45] != '\n' || !ObjectId.isId(new String(commit, 5, 40, StandardCharsets.US_ASCII))) {
            throw new Unavailable("commit " + id.name() + " does not start with its tree", false);
        }
        return ObjectId.fromString(commit, 5);
    }

    private static CanonicalTreeParser parser(GitObject tree) throws Unavailable {
        if (tree.type() != Constants.OBJ_TREE) throw new Unavailable("expected a tree, got a " + Constants.typeString(tree.type()), false);
        CanonicalTreeParser p = new CanonicalTreeParser();
        p.reset(tree.data());
        return p;
    }

    /** The subtree {@code name} of {@code tree}, or empty when there is none (a file of that name included). */
    private static Optional<ObjectId> entry(GitObject tree, String name) throws Unavailable {
        try {
            for (CanonicalTreeParser p = parser(tree); !p.eof(); p.next()) {
                if (p.getEntryPathString().equals(name)) {
                    return FileMode.TREE.equals(p.getEntryFileMode()) ? Optional.of(p.getEntryObjectId()) : Optional.empty();
                }
            }
        } catch (RuntimeException e) {
            // JGit's parser throws on a malformed tree rather than returning garbage.
            throw new Unavailable("malformed tree: " + e, false);
        }
        return Optional.empty();
    }

    /** A least-recently-used map bounded by the weight of its values. */
    static final class Lru<K, V> {
        private final long maxWeight;
        private final ToLongFunction<V> weigher;
        private final LinkedHashMap<K, V> map = new LinkedHashMap<>(16, 0.75f, true);
        private long weight;

        Lru(long maxWeight, ToLongFunction<V> weigher) {
            this.maxWeight = maxWeight;
            this.weigher = weigher;
        }

        synchronized V get(K key) {
            return map.get(key);
        }

        synchronized void put(K key, V value) {
            long w = weigher.applyAsLong(value);
            if (w > maxWeight) return;
            V old = map.put(key, value);
            if (old != null) weight -= weigher.applyAsLong(old);
            weight += w;
            var it = map.values().iterator();
            while (weight > maxWeight && it.hasNext()) {
                weight -= weigher.applyAsLong(it.next());
                it.remove();
            }
        }

        synchronized int size() {
            return map.size();
        }
    }
}
