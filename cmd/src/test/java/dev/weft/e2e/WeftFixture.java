package dev.weft.e2e;

import dev.weft.config.WeftConfig;
import dev.weft.daemon.Weft;
import dev.weft.knot.KnotEventServer;
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
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;

/**
 * A real weft on loopback fed by a real (in-process) knot: the whole flow, sockets included.
 * Status delays are zero unless a test sets them.
 */
final class WeftFixture implements AutoCloseable {
    static final String DID = "did:plc:e2eowner";
    static final String REPO = "e2e";
    private static final AtomicInteger SEQ = new AtomicInteger();

    final KnotEventServer knot;
    final Path dir;
    final Map<String, String> env = new LinkedHashMap<>();
    Weft weft;

    WeftFixture(Map<String, String> overrides) throws Exception {
        knot = new KnotEventServer().start();
        dir = Files.createTempDirectory("weft-e2e");
        env.put("WEFT_HOSTNAME", "weft.e2e.test");
        env.put("WEFT_OWNER_DID", DID);
        env.put("WEFT_LISTEN", "127.0.0.1:0");
        env.put("WEFT_DB", dir.resolve("weft.db").toString());
        env.put("WEFT_DEV", "true");
        env.put("WEFT_REPOS", knot.host() + "/" + DID + "/" + REPO);
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
        await().atMost(Duration.ofSeconds(10)).until(() -> weft.knots().isConnected(knot.host()));
    }

    /** Stops weft (not the knot) and starts a new one on the same database. */
    void restart() throws Exception {
        weft.close();
        start();
    }

    /** Publishes a push pipeline with the given workflows (name to YAML, engine from the YAML). */
    String push(Map<String, String> workflows) {
        String rkey = Tid.of(Instant.now().toEpochMilli() * 1000, SEQ.incrementAndGet() & 0x3ff);
        PipelineRecordJson rec = PipelineRecordJson.push(knot.host(), DID, REPO, "refs/heads/main",
                "89abcdef0123456789abcdef0123456789abcdef", "0".repeat(40));
        for (Map.Entry<String, String> w : workflows.entrySet()) {
            rec = rec.workflow(w.getKey(), engineOf(w.getValue()), w.getValue());
        }
        knot.publishPipeline(rkey, rec.json());
        return rkey;
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

    WorkflowId workflow(String rkey, String name) {
        return new WorkflowId(knot.host(), rkey, name);
    }

    RunRecord awaitRun(String rkey, String name) {
        await().atMost(Duration.ofSeconds(10)).until(() -> weft.store().runs().run(workflow(rkey, name)).isPresent());
        return weft.store().runs().run(workflow(rkey, name)).orElseThrow();
    }

    List<RunState> published(String rkey, String name) {
        RunRecord r = awaitRun(rkey, name);
        return weft.store().statuses().publishedStatuses(r.id()).stream().map(Status::state).toList();
    }

    Status awaitTerminal(String rkey, String name) {
        RunRecord r = awaitRun(rkey, name);
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            List<Status> s = weft.store().statuses().publishedStatuses(r.id());
            return !s.isEmpty() && s.get(s.size() - 1).state().isTerminal()
                    && weft.store().runs().run(r.id()).orElseThrow().logComplete();
        });
        List<Status> s = weft.store().statuses().publishedStatuses(r.id());
        return s.get(s.size() - 1);
    }

    List<String> storedFrames(String rkey, String name) {
        RunRecord r = awaitRun(rkey, name);
        List<String> out = new ArrayList<>();
        weft.store().logs().after(r.id(), 0, Integer.MAX_VALUE).forEach(l -> out.add(new String(l.frame(), StandardCharsets.UTF_8)));
        return out;
    }

    URI ws(String pathAndQuery) {
        return URI.create("ws://127.0.0.1:" + weft.port() + pathAndQuery);
    }

    URI logs(String rkey, String name) {
        return ws("/logs/" + knot.host() + "/" + rkey + "/" + name);
    }

    @Override
    public void close() {
        if (weft != null) weft.close();
        knot.close();
    }
}
