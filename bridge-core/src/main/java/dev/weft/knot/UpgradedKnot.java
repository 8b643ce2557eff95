package dev.weft.knot;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.git.GitHttpServer;
import dev.weft.git.WorkflowFetcher;
import dev.weft.wire.Tid;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-process upgraded knot (spec tangled-ci 2.2, 2.3, 2.5) for {@code weft demo}, the end-to-end
 * tests and {@code weft bench}: one loopback host:port that serves {@code /events} (frames in the
 * newest shape, with {@code created}) and, on the same port, real git repositories over smart HTTP
 * at {@code /<repo DID>} plus {@code sh.tangled.repo.getDefaultBranch}, exactly where weft looks
 * for them. A {@link LoopbackFront} routes by request line to a {@link KnotEventServer} and a
 * {@link GitHttpServer}, each on a port of its own behind it.
 *
 * <p>Pushes are real: {@link #commit} writes a commit on a branch of a bare repository (no work
 * tree), and {@link #push} announces it with an {@code sh.tangled.git.refUpdate}. For the older
 * knots a weft still meets, {@link #refUpdate(Push, RefUpdate.Shape, String)} sends the
 * transitional and pre-v1.14 shapes and {@link #legacyPipeline} the {@code sh.tangled.pipeline}
 * record a legacy (or transitional) knot made for the same push.
 *
 * <p>Test controls: {@link #events()} (drop connections, counts), {@link #stopGit()} /
 * {@link #startGit()} (the git side down and back, the events side untouched), {@link #gitRefused()}.
 *
 * <p>Threads: every method may be called from any thread. {@link #close()} ends everything this
 * knot started; the repositories' directories stay where the caller put them.
 */
public final class UpgradedKnot implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ZEROS = "0".repeat(40);
    private static final PersonIdent AUTHOR = new PersonIdent("weft knot", "knot@weft.invalid");

    private final Path dir;
    private final KnotEventServer events;
    private final Map<String, Repository> repos = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    private volatile GitHttpServer git;
    private LoopbackFront front;
    private long lastRkeyMicros;
    private boolean closed;

    /** A push: what every shape of announcement is made from. */
    public record Push(String repoDid, String ownerDid, String ref, String oldSha, String newSha,
                       List<String> changedFiles, List<String> pushOptions) {
        public Push {
            Objects.requireNonNull(repoDid, "repoDid");
            Objects.requireNonNull(ownerDid, "ownerDid");
            Objects.requireNonNull(ref, "ref");
            Objects.requireNonNull(oldSha, "oldSha");
            Objects.requireNonNull(newSha, "newSha");
            changedFiles = List.copyOf(changedFiles);
            pushOptions = List.copyOf(pushOptions);
        }
    }

    /** @param dir where the bare repositories are created, one directory per repo DID */
    public UpgradedKnot(Path dir) {
        this.dir = Objects.requireNonNull(dir, "dir");
        this.events = new KnotEventServer(0, KnotEventServer.DEFAULT_PING_AFTER, Clock.systemUTC(),
                KnotEventServer.Shape.CREATED);
    }

    /**
     * Starts the events and git sides and the front; returns once all listen.
     *
     * @throws UncheckedIOException when a port cannot be bound
     */
    public UpgradedKnot start() {
        synchronized (lock) {
            if (closed) throw new IllegalStateException("knot is closed");
            if (front != null) throw new IllegalStateException("knot already started");
            events.start();
            startGit();
            front = new LoopbackFront(0, this::route);
        }
        return this;
    }

    /** {@code GET /events} (with or without a query) is the event stream; everything else is git. */
    private int route(String requestLine) {
        if (requestLine.startsWith("GET /events ") || requestLine.startsWith("GET /events?")) {
            return Integer.parseInt(events.host().substring(events.host().lastIndexOf(':') + 1));
        }
        GitHttpServer g = git;
        return g == null ? -1 : g.port();
    }

    /** {@code 127.0.0.1:<port>}: the knot host for {@code WEFT_REPOS}, records and consumers. */
    public String host() {
        LoopbackFront f = front;
        if (f == null) throw new IllegalStateException("not started");
        return "127.0.0.1:" + f.port();
    }

    /** The event side, for its test controls ({@link KnotEventServer#dropConnections()} and the counts). */
    public KnotEventServer events() {
        return events;
    }

    /** Takes the git side down: git requests get 502 until {@link #startGit()}; events keep flowing. */
    public void stopGit() {
        GitHttpServer g;
        synchronized (lock) {
            g = git;
            git = null;
        }
        if (g != null) g.close();
    }

    /** Brings the git side (back) up, serving every repository created so far. */
    public void startGit() {
        synchronized (lock) {
            if (closed || git != null) return;
            try {
                GitHttpServer g = GitHttpServer.start();
                repos.forEach(g::serve);
                git = g;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the knot's git side", e);
            }
        }
    }

    /** Git requests answered 502 because the git side was down: proof that a fetch was attempted. */
    public int gitRefused() {
        LoopbackFront f = front;
        return f == null ? 0 : f.refused();
    }

    /** {@code POST .../git-upload-pack} requests answered (actual fetches) by the current git side. */
    public int gitFetches() {
        GitHttpServer g = git;
        return g == null ? 0 : g.uploadPackCount();
    }

    /** Threads of the front still alive; 0 after {@link #close()}. */
    int frontThreads() {
        LoopbackFront f = front;
        return f == null ? 0 : f.liveThreads();
    }

    /** Creates an empty bare repository served at {@code /<repoDid>}, its HEAD on {@code refs/heads/main}. */
    public void createRepo(String repoDid) {
        Objects.requireNonNull(repoDid, "repoDid");
        try {
            // The DID's colons are fine in a path, but not every file system likes them in a name.
            FileRepository repo = new FileRepository(dir.resolve(repoDid.replace(':', '_')).toFile());
            repo.create(true);
            repo.updateRef(Constants.HEAD).link("refs/heads/main");
            if (repos.putIfAbsent(repoDid, repo) != null) {
                repo.close();
                throw new IllegalStateException("repository exists already: " + repoDid);
            }
            GitHttpServer g = git;
            if (g != null) g.serve(repoDid, repo);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create repository " + repoDid, e);
        }
    }

    /**
     * Points the repository's HEAD at {@code branch}: what the knot then answers to
     * {@code sh.tangled.repo.getDefaultBranch}, and so what weft puts in trigger metadata.
     */
    public void setDefaultBranch(String repoDid, String branch) {
        try {
            repo(repoDid).updateRef(Constants.HEAD).link(Constants.R_HEADS + branch);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set the default branch of " + repoDid, e);
        }
    }

    /** The commit {@code branch} points at, or 40 zeros when it does not exist (what a push's oldSha says). */
    public String tip(String repoDid, String branch) {
        try {
            ObjectId id = repo(repoDid).resolve(Constants.R_HEADS + branch);
            return id == null ? ZEROS : id.name();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Commits on {@code branch}: the tree is the branch tip's with {@code files} (path to UTF-8
     * content) added or replaced; the parent is the tip, none for a new branch.
     *
     * @return the new commit's id
     */
    public String commit(String repoDid, String branch, Map<String, String> files) {
        Repository repo = repo(repoDid);
        synchronized (repo) {
            try (ObjectInserter ins = repo.newObjectInserter(); RevWalk walk = new RevWalk(repo)) {
                ObjectId parent = repo.resolve(Constants.R_HEADS + branch);
                // path -> (mode, blob), sorted as a tree wants its entries.
                TreeMap<String, DirCacheEntry> tree = new TreeMap<>();
                if (parent != null) {
                    RevCommit tip = walk.parseCommit(parent);
                    try (TreeWalk tw = new TreeWalk(repo)) {
                        tw.addTree(tip.getTree());
                        tw.setRecursive(true);
                        while (tw.next()) {
                            DirCacheEntry e = new DirCacheEntry(tw.getPathString());
                            e.setFileMode(tw.getFileMode(0));
                            e.setObjectId(tw.getObjectId(0));
                            tree.put(tw.getPathString(), e);
                        }
                    }
                }
                for (Map.Entry<String, String> f : files.entrySet()) {
                    DirCacheEntry e = new DirCacheEntry(f.getKey());
                    e.setFileMode(FileMode.REGULAR_FILE);
                    e.setObjectId(ins.insert(Constants.OBJ_BLOB, f.getValue().getBytes(StandardCharsets.UTF_8)));
                    tree.put(f.getKey(), e);
                }
                DirCache dc = DirCache.newInCore();
                DirCacheBuilder b = dc.builder();
                tree.values().forEach(b::add);
                b.finish();
                CommitBuilder c = new CommitBuilder();
                c.setTreeId(dc.writeTree(ins));
                if (parent != null) c.setParentId(parent);
                c.setAuthor(AUTHOR);
                c.setCommitter(AUTHOR);
                c.setMessage("change " + String.join(", ", files.keySet()) + "\n");
                ObjectId id = ins.insert(c);
                ins.flush();
                org.eclipse.jgit.lib.RefUpdate ru = repo.updateRef(Constants.R_HEADS + branch);
                ru.setNewObjectId(id);
                ru.setExpectedOldObjectId(parent == null ? ObjectId.zeroId() : parent);
                org.eclipse.jgit.lib.RefUpdate.Result r = ru.update(walk);
                if (r != org.eclipse.jgit.lib.RefUpdate.Result.NEW && r != org.eclipse.jgit.lib.RefUpdate.Result.FAST_FORWARD) {
                    throw new IllegalStateException("cannot move " + branch + " of " + repoDid + ": " + r);
                }
                return id.name();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot commit to " + repoDid, e);
            }
        }
    }

    /**
     * Commits {@code files} on {@code branch} and announces it in the newest shape, as a push of
     * that one commit would be: oldSha the previous tip, changedFiles the committed paths.
     */
    public Push commitAndPush(String repoDid, String ownerDid, String branch, Map<String, String> files,
                              List<String> pushOptions) {
        String old = tip(repoDid, branch);
        String sha = commit(repoDid, branch, files);
        Push p = new Push(repoDid, ownerDid, Constants.R_HEADS + branch, old, sha, List.copyOf(files.keySet()), pushOptions);
        refUpdate(p);
        return p;
    }

    /** Announces a push with a newest-shape refUpdate; returns the event's rkey. */
    public String push(String repoDid, String ownerDid, String ref, String oldSha, String newSha,
                       List<String> changedFiles, List<String> pushOptions) {
        return refUpdate(new Push(repoDid, ownerDid, ref, oldSha, newSha, changedFiles, pushOptions));
    }

    /** {@link #refUpdate(Push, RefUpdate.Shape, String)} in the newest shape. */
    public String refUpdate(Push p) {
        return refUpdate(p, RefUpdate.Shape.CURRENT, "");
    }

    /**
     * Announces {@code p} as an {@code sh.tangled.git.refUpdate} in {@code shape}: CURRENT keys it
     * on {@code repo} (the repo DID); TRANSITIONAL sends {@code repoDid} (the repo DID),
     * {@code repoName} and {@code ownerDid}; PRE_V1_14 sends {@code repoDid} holding the
     * <em>owner's</em> DID and {@code repoName}, with no repo DID at all.
     *
     * @param repoName the repository's name, for the older shapes
     * @return the event's rkey
     */
    public String refUpdate(Push p, RefUpdate.Shape shape, String repoName) {
        ObjectNode e = JSON.createObjectNode();
        e.put("ref", p.ref());
        e.put("committerDid", p.ownerDid());
        switch (shape) {
            case CURRENT -> {
                e.put("ownerDid", p.ownerDid());
                e.put("repo", p.repoDid());
            }
            case TRANSITIONAL -> {
                e.put("repoDid", p.repoDid());
                e.put("repoName", repoName);
                e.put("ownerDid", p.ownerDid());
            }
            case PRE_V1_14 -> {
                e.put("repoDid", p.ownerDid());
                e.put("repoName", repoName);
            }
        }
        e.put("oldSha", p.oldSha());
        e.put("newSha", p.newSha());
        if (shape == RefUpdate.Shape.CURRENT) {
            ArrayNode changed = e.putArray("changedFiles");
            p.changedFiles().forEach(changed::add);
            if (!p.pushOptions().isEmpty()) {
                ArrayNode opts = e.putArray("pushOptions");
                p.pushOptions().forEach(opts::add);
            }
        }
        // Required by the lexicon; the spindle does not use it.
        ObjectNode meta = e.putObject("meta");
        meta.put("isDefaultRef", p.ref().equals(Constants.R_HEADS + "main"));
        meta.putObject("commitCount").putArray("byEmail");
        String rkey = rkey();
        events.publish(RefUpdates.NSID, rkey, e.toString());
        return rkey;
    }

    /**
     * Sends the {@code sh.tangled.pipeline} record a legacy knot made for {@code p}: the workflow
     * files of {@code .tangled/workflows} at {@code p.newSha()}, each with the engine its YAML names,
     * and the repository named (this knot, {@code p.ownerDid()}, {@code repoName}).
     *
     * @return the record's rkey
     */
    public String legacyPipeline(Push p, String repoName) {
        PipelineRecordJson rec = PipelineRecordJson.push(host(), p.ownerDid(), repoName, p.ref(), p.newSha(), p.oldSha());
        for (Map.Entry<String, String> w : workflowFiles(p.repoDid(), p.newSha()).entrySet()) {
            rec = rec.workflow(w.getKey(), engineOf(w.getValue()), w.getValue());
        }
        String rkey = rkey();
        events.publishPipeline(rkey, rec.json());
        return rkey;
    }

    /** The regular files directly in {@code .tangled/workflows} at {@code sha}, by name. */
    private Map<String, String> workflowFiles(String repoDid, String sha) {
        Repository repo = repo(repoDid);
        Map<String, String> out = new LinkedHashMap<>();
        try (RevWalk walk = new RevWalk(repo)) {
            RevCommit c = walk.parseCommit(ObjectId.fromString(sha));
            try (TreeWalk tw = TreeWalk.forPath(repo, WorkflowFetcher.WORKFLOW_DIR, c.getTree())) {
                if (tw == null) return out;
                try (TreeWalk files = new TreeWalk(repo)) {
                    files.addTree(tw.getObjectId(0));
                    while (files.next()) {
                        if (files.getFileMode(0) != FileMode.REGULAR_FILE) continue;
                        out.put(files.getNameString(), new String(repo.open(files.getObjectId(0)).getBytes(),
                                StandardCharsets.UTF_8));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the workflows of " + repoDid + " at " + sha, e);
        }
        return out;
    }

    /** The {@code engine} a workflow names, as a legacy knot put it in its record; empty when unreadable. */
    private static String engineOf(String yaml) {
        try {
            return new Yaml().load(yaml) instanceof Map<?, ?> m && m.get("engine") instanceof String s ? s : "";
        } catch (RuntimeException e) {
            return "";
        }
    }

    /** A fresh TID: the knot's event rkeys are time-ordered and never repeat. */
    private String rkey() {
        synchronized (lock) {
            long now = Clock.systemUTC().instant().toEpochMilli() * 1000;
            lastRkeyMicros = Math.max(now, lastRkeyMicros + 1);
            return Tid.of(lastRkeyMicros, 0);
        }
    }

    private Repository repo(String repoDid) {
        Repository r = repos.get(repoDid);
        if (r == null) throw new IllegalArgumentException("no such repository on this knot: " + repoDid);
        return r;
    }

    /** Stops the front, both sides and the repositories. Idempotent. */
    @Override
    public void close() {
        LoopbackFront f;
        synchronized (lock) {
            if (closed) return;
            closed = true;
            f = front;
        }
        if (f != null) f.close();
        stopGit();
        events.close();
        repos.values().forEach(Repository::close);
    }
}
