package dev.weft.e2e;

import dev.weft.config.WeftConfig;
import dev.weft.daemon.Weft;
import dev.weft.git.WorkflowFetcher;
import dev.weft.knot.KnotEventServer;
import dev.weft.knot.UpgradedKnot;
import dev.weft.knot.KnotOptions;
import dev.weft.knot.PipelineRecordJson;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.WorkflowId;
import dev.weft.store.RunRecord;
import dev.weft.wire.Tid;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;

/**
 * A real weft on loopback fed by a real (in-process) legacy knot and, when asked for, an upgraded
 * knot serving a real git repository (registered by its repo DID): the whole flow, sockets included.
 * Status delays are zero unless a test sets them.
 */
final class WeftFixture implements AutoCloseable {
    static final String DID = "did:plc:e2eowner";
    static final String REPO = "e2e";
    /** The upgraded knot's repository, registered statically as {@code <knot>/<repo DID>}. */
    static final String REPO_DID = "did:plc:e2erepo";
    private static final AtomicInteger SEQ = new AtomicInteger();

    final KnotEventServer knot;
    /** Null unless made by {@link #withUpgradedKnot}. */
    final UpgradedKnot upgraded;
    final Path dir;
    final Map<String, String> env = new LinkedHashMap<>();
    Weft weft;

    WeftFixture(Map<String, String> overrides) throws Exception {
        this(overrides, false);
    }

    /** Beside the legacy knot, an upgraded one with {@link #REPO_DID} created (empty) on it. */
    static WeftFixture withUpgradedKnot(Map<String, String> overrides) throws Exception {
        return new WeftFixture(overrides, true);
    }

    private WeftFixture(Map<String, String> overrides, boolean withUpgraded) throws Exception {
        knot = new KnotEventServer().start();
        dir = Files.createTempDirectory("weft-e2e");
        upgraded = withUpgraded ? new UpgradedKnot(Files.createDirectories(dir.resolve("knot"))).start() : null;
        if (upgraded != null) upgraded.createRepo(REPO_DID);
        env.put("WEFT_HOSTNAME", "weft.e2e.test");
        env.put("WEFT_OWNER_DID", DID);
        env.put("WEFT_LISTEN", "127.0.0.1:0");
        env.put("WEFT_DB", dir.resolve("weft.db").toString());
        env.put("WEFT_DEV", "true");
        env.put("WEFT_REPOS", knot.host() + "/" + DID + "/" + REPO
                + (upgraded == null ? "" : "," + upgraded.host() + "/" + REPO_DID));
        env.put("WEFT_FIRST_STATUS_DELAY", "0s");
        env.put("WEFT_STATUS_GAP", "0s");
        env.put("WEFT_EVENTS_SKEW", "0s");
        env.putAll(overrides);
        start();
    }

    WeftFixture() throws Exception {
        this(Map.of());
    }

    void start() throws Exception {
        weft = Weft.builder(WeftConfig.from(env)).cancelGrace(Duration.ofSeconds(30))
                .knotOptions(KnotOptions.defaults().withBackoff(Duration.ofMillis(50), Duration.ofMillis(500)))
                .start();
        await().atMost(Duration.ofSeconds(10)).until(() -> weft.knots().isConnected(knot.host())
                && (upgraded == null || weft.knots().isConnected(upgraded.host())));
    }

    /** Stops weft (not the knot) and starts a new one on the same database. */
    void restart() throws Exception {
        weft.close();
        start();
    }

    /**
     * Publishes a push pipeline with the given workflows (name to YAML, engine from the YAML), at
     * commit {@link #shaOf} its rkey: one push is one (repo, ref, newSha), which weft builds once
     * however often it is announced, so distinct pushes need distinct commits.
     */
    String push(Map<String, String> workflows) {
        String rkey = Tid.of(Instant.now().toEpochMilli() * 1000, SEQ.incrementAndGet() & 0x3ff);
        PipelineRecordJson rec = PipelineRecordJson.push(knot.host(), DID, REPO, "refs/heads/main",
                shaOf(rkey), "0".repeat(40));
        for (Map.Entry<String, String> w : workflows.entrySet()) {
            rec = rec.workflow(w.getKey(), engineOf(w.getValue()), w.getValue());
        }
        knot.publishPipeline(rkey, rec.json());
        return rkey;
    }

    /** The commit id {@link #push} announces for the pipeline {@code rkey}. */
    static String shaOf(String rkey) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(rkey.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    String push(String workflow, String yaml) {
        return push(Map.of(workflow, yaml));
    }

    static String engineOf(String yaml) {
        for (String line : yaml.split("\n")) {
            if (line.startsWith("engine:")) return line.substring(7).strip();
        }
        return "";
    }

    /**
     * Commits {@code workflows} (file name to YAML) into {@code .tangled/workflows} on main of the
     * upgraded knot's repository, and pushes it with a newest-shape refUpdate.
     */
    UpgradedKnot.Push pushCommit(Map<String, String> workflows, List<String> pushOptions) {
        return upgraded.commitAndPush(REPO_DID, DID, "main", workflowFiles(workflows), pushOptions);
    }

    /** Commits {@code workflows} without announcing the push; the caller sends what a knot would. */
    UpgradedKnot.Push commitOnly(Map<String, String> workflows) {
        String old = upgraded.tip(REPO_DID, "main");
        Map<String, String> files = workflowFiles(workflows);
        String sha = upgraded.commit(REPO_DID, "main", files);
        return new UpgradedKnot.Push(REPO_DID, DID, "refs/heads/main", old, sha, List.copyOf(files.keySet()), List.of());
    }

    private static Map<String, String> workflowFiles(Map<String, String> workflows) {
        Map<String, String> files = new LinkedHashMap<>();
        // A file outside the workflows makes every commit new, even when the workflows are not.
        files.put("CHANGES", "change " + SEQ.incrementAndGet() + "\n");
        workflows.forEach((name, yaml) -> files.put(WorkflowFetcher.WORKFLOW_DIR + "/" + name, yaml));
        return files;
    }

    WorkflowId workflow(String rkey, String name) {
        return new WorkflowId(knot.host(), rkey, name);
    }

    RunRecord awaitRun(String rkey, String name) {
        return awaitRun(workflow(rkey, name));
    }

    RunRecord awaitRun(WorkflowId w) {
        await().atMost(Duration.ofSeconds(10)).until(() -> weft.store().runs().run(w).isPresent());
        return weft.store().runs().run(w).orElseThrow();
    }

    List<RunState> published(String rkey, String name) {
        return published(workflow(rkey, name));
    }

    List<RunState> published(WorkflowId w) {
        RunRecord r = awaitRun(w);
        return weft.store().statuses().publishedStatuses(r.id()).stream().map(Status::state).toList();
    }

    Status awaitTerminal(String rkey, String name) {
        return awaitTerminal(workflow(rkey, name));
    }

    Status awaitTerminal(WorkflowId w) {
        RunRecord r = awaitRun(w);
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            List<Status> s = weft.store().statuses().publishedStatuses(r.id());
            return !s.isEmpty() && s.get(s.size() - 1).state().isTerminal()
                    && weft.store().runs().run(r.id()).orElseThrow().logComplete();
        });
        List<Status> s = weft.store().statuses().publishedStatuses(r.id());
        return s.get(s.size() - 1);
    }

    List<String> storedFrames(String rkey, String name) {
        return storedFrames(workflow(rkey, name));
    }

    List<String> storedFrames(WorkflowId w) {
        RunRecord r = awaitRun(w);
        List<String> out = new ArrayList<>();
        weft.store().logs().after(r.id(), 0, Integer.MAX_VALUE).forEach(l -> out.add(new String(l.frame(), StandardCharsets.UTF_8)));
        return out;
    }

    URI ws(String pathAndQuery) {
        return URI.create("ws://127.0.0.1:" + weft.port() + pathAndQuery);
    }

    URI logs(String rkey, String name) {
        return logs(workflow(rkey, name));
    }

    URI logs(WorkflowId w) {
        return ws("/logs/" + w.pipeline().knot() + "/" + w.pipeline().rkey() + "/" + w.name());
    }

    @Override
    public void close() {
        if (weft != null) weft.close();
        knot.close();
        if (upgraded != null) upgraded.close();
    }
}
