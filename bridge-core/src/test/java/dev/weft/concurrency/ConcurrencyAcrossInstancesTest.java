package dev.weft.concurrency;

import dev.weft.config.WeftConfig;
import dev.weft.daemon.Weft;
import dev.weft.lease.InstanceId;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.RunState;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import dev.weft.model.WorkflowId;
import dev.weft.store.RunRecord;
import dev.weft.store.postgres.EmbeddedPostgresFixture;
import dev.weft.wire.Tid;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two instances on one PostgreSQL: a group's runs that came in through different instances still
 * go one at a time, and a {@code cancel-in-progress} run that joins on one instance cancels the
 * group's runs the other instance drives.
 */
class ConcurrencyAcrossInstancesTest {
    private static final String KNOT = "knot.test";
    private static final String DID = "did:plc:groupowner";
    private static final String REPO = "site";
    private static final AtomicInteger SEQ = new AtomicInteger();

    @TempDir
    Path dir;
    private final HeldEngine engine = new HeldEngine();
    private final List<Weft> instances = new ArrayList<>();

    @AfterEach
    void close() {
        for (Weft w : instances.reversed()) w.close();
    }

    private Weft start(String name, String db) throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("WEFT_HOSTNAME", "ci.example.com");
        env.put("WEFT_OWNER_DID", DID);
        env.put("WEFT_LISTEN", "127.0.0.1:0");
        env.put("WEFT_JETSTREAM", "");
        env.put("WEFT_DB", db);
        env.put("WEFT_REPOS", KNOT + "/" + DID + "/" + REPO);
        env.put("WEFT_FIRST_STATUS_DELAY", "0s");
        env.put("WEFT_STATUS_GAP", "0s");
        env.put("WEFT_SECRETS_KEY_FILE", dir.resolve("secrets.key").toString());
        env.put("WEFT_GIT_CACHE_DIR", dir.resolve("git-" + name).toString());
        Weft w = Weft.builder(WeftConfig.from(env)).providers(List.of(engine)).instance(InstanceId.of(name))
                .leases(Duration.ofSeconds(2), Duration.ofMillis(200)).stopWait(Duration.ofSeconds(2))
                .consumeKnots(false).start();
        instances.add(w);
        return w;
    }

    private static String db() {
        String jdbc = EmbeddedPostgresFixture.freshDatabase();
        String database = jdbc.substring(jdbc.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
        return "postgresql://" + EmbeddedPostgresFixture.USER + "@localhost:" + EmbeddedPostgresFixture.port() + "/" + database;
    }

    /** A push to main with one workflow, accepted by {@code w} as a legacy knot's record would be. */
    private static WorkflowId push(Weft w, String yaml) {
        String rkey = Tid.of(Instant.now().toEpochMilli() * 1000, SEQ.incrementAndGet() & 0x3ff);
        Trigger t = new Trigger(new PipelineId(KNOT, rkey), new RepoRef(KNOT, DID, REPO),
                new TriggerKind.Push("refs/heads/main", "%040d".formatted(SEQ.get()), "0".repeat(40)),
                List.of(new Workflow("deploy.yml", HeldEngine.NAME, null, yaml)), Instant.now());
        w.runs().accept(t);
        return new WorkflowId(t.pipeline(), "deploy.yml");
    }

    private static RunRecord run(Weft w, WorkflowId id) {
        return w.store().runs().run(id).orElseThrow();
    }

    private static String log(Weft w, WorkflowId id) {
        StringBuilder b = new StringBuilder();
        w.store().logs().after(run(w, id).id(), 0, Integer.MAX_VALUE)
                .forEach(l -> b.append(new String(l.frame(), StandardCharsets.UTF_8)).append('\n'));
        return b.toString();
    }

    @Test
    @DisplayName("runs of one group taken in by two instances go one at a time; cancel-in-progress reaches across")
    void twoInstances() throws Exception {
        String db = db();
        Weft one = start("one", db);
        Weft two = start("two", db);
        String grouped = "engine: held\nconcurrency: deploy\n";

        WorkflowId a = push(one, grouped);
        await().atMost(Duration.ofSeconds(10)).until(() -> run(one, a).state() == RunState.RUNNING);
        WorkflowId b = push(two, grouped);
        await().atMost(Duration.ofSeconds(10)).until(() -> log(two, b).contains(
                "waiting for pipeline " + a.pipeline().rkey() + " (workflow deploy.yml)"));
        assertEquals(RunState.PENDING, run(two, b).state());

        // a ends on one; b, driven by two, notices within a poll and starts.
        engine.release(run(one, a).id());
        await().atMost(Duration.ofSeconds(10)).until(() -> run(two, b).state() == RunState.RUNNING);
        assertEquals(List.of(a.pipeline().rkey() + "/deploy.yml", b.pipeline().rkey() + "/deploy.yml"), engine.spawned);

        // c joins on one and replaces b, which two drives.
        WorkflowId c = push(one, "engine: held\nconcurrency:\n  group: deploy\n  cancel-in-progress: true\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> run(two, b).state() == RunState.CANCELLED);
        assertEquals("cancelled by pipeline " + c.pipeline().rkey()
                + ", which replaces it in concurrency group \"deploy\" (cancel-in-progress)", run(two, b).error());
        await().atMost(Duration.ofSeconds(10)).until(() -> run(one, c).state() == RunState.RUNNING);
        engine.release(run(one, c).id());
        await().atMost(Duration.ofSeconds(10)).until(() -> run(one, c).state() == RunState.SUCCESS);
        assertEquals(3, engine.spawned.size());
        assertTrue(new ConcurrencyQueues(one.store().concurrency()).all().isEmpty());
    }
}
