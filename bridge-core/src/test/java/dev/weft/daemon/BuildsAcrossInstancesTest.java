package dev.weft.daemon;

import dev.weft.config.WeftConfig;
import dev.weft.knot.UpgradedKnot;
import dev.weft.lease.InstanceId;
import dev.weft.model.RunState;
import dev.weft.store.BuildRecord;
import dev.weft.store.RunRecord;
import io.micrometer.core.instrument.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pipelines weft builds itself, on two instances: a push whose build could not finish on the
 * instance that received it (the knot's git side is down, then that instance dies) is built by
 * the instance that takes the builds lease, once, while the knot's replay of the same push to
 * the new holder adds no second request; and an instance that gains the builds lease leaves alone
 * a request another live instance is building.
 */
class BuildsAcrossInstancesTest {
    private static final String REPO_DID = "did:plc:buildsrepo";
    private static final String OWNER = "did:plc:buildsowner";

    @TempDir
    Path dir;
    private final List<AutoCloseable> closeLater = new ArrayList<>();
    /** Which instance spawned each run, by pipeline rkey. */
    private final Map<String, List<String>> spawnedBy = new ConcurrentHashMap<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closeLater.reversed()) c.close();
    }

    private Weft start(String name, String db, UpgradedKnot knot) throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("WEFT_HOSTNAME", "ci.example.com");
        env.put("WEFT_OWNER_DID", "did:plc:spindleoperator");
        env.put("WEFT_LISTEN", "127.0.0.1:0");
        env.put("WEFT_JETSTREAM", "");
        env.put("WEFT_DB", db);
        env.put("WEFT_DEV", "true");
        env.put("WEFT_KNOTS", knot.host());
        env.put("WEFT_REPOS", knot.host() + "/" + REPO_DID);
        env.put("WEFT_FIRST_STATUS_DELAY", "0s");
        env.put("WEFT_STATUS_GAP", "0s");
        env.put("WEFT_SECRETS_KEY_FILE", dir.resolve("secrets.key").toString());
        env.put("WEFT_GIT_CACHE_DIR", dir.resolve("git-" + name).toString());
        Weft w = Weft.builder(WeftConfig.from(env))
                .providers(List.of(HaEngine.of(run -> {
                    spawnedBy.computeIfAbsent(run.workflowId().pipeline().rkey(), k -> new CopyOnWriteArrayList<>()).add(name);
                    run.status().running();
                    run.status().success();
                }, run -> { })))
                .instance(InstanceId.of(name)).leases(HighAvailabilityTest.TTL, HighAvailabilityTest.EVERY)
                .stopWait(Duration.ofSeconds(2)).start();
        closeLater.add(w);
        return w;
    }

    private static List<BuildRecord> requests(Weft w) {
        return w.store().builds().recentRequests(REPO_DID, 10);
    }

    /** Workflow fetches this instance began (each counts an outcome, fallback or failed attempt). */
    private static double fetchActivity(Weft w) {
        return w.meters().find("weft.workflow.fetches").counters().stream().mapToDouble(Counter::count).sum()
                + w.meters().find("weft.workflow.fetch.retries").counters().stream().mapToDouble(Counter::count).sum();
    }

    private static double counted(Weft w, String name, String outcome) {
        Counter c = w.meters().find(name).tag("outcome", outcome).counter();
        return c == null ? 0 : c.count();
    }

    private static Instant livenessExpiry(Weft w) {
        return w.store().leases().lease(w.leases().instance().liveness()).orElseThrow().expiresAt();
    }

    @Test
    @DisplayName("an instance gaining the builds lease does not build a request a live instance is building; once that one dies it builds it once")
    void liveBuilderKeepsItsRequest() throws Exception {
        UpgradedKnot knot = new UpgradedKnot(dir.resolve("knot")).start();
        closeLater.add(knot);
        knot.createRepo(REPO_DID);
        String db = HighAvailabilityTest.db();
        Weft a = start("a", db, knot);
        await().atMost(Duration.ofSeconds(20)).until(() -> knot.events().connectionCount() == 1);
        Weft b = start("b", db, knot);
        assertTrue(a.leases().holds(Weft.BUILDS_LEASE), "a started first: it holds builds");

        knot.stopGit();
        UpgradedKnot.Push push = knot.commitAndPush(REPO_DID, OWNER, "main",
                Map.of(".tangled/workflows/ci.yml", "engine: ha\nwhen:\n  - event: push\n    branch: main\n"), List.of());
        // a received the push and is building it: its fetch keeps failing and retrying.
        await().atMost(Duration.ofSeconds(20)).until(() -> requests(b).size() == 1 && knot.gitRefused() > 0
                && fetchActivity(a) > 0);
        BuildRecord request = requests(b).get(0);
        assertEquals(BuildRecord.State.WAITING, request.state());
        assertEquals(a.leases().instance().holder(), request.builder(), "the receiving instance builds it");

        // The builds lease moves to b while a lives and builds: b resumes what it gains (on the
        // gain, then in every round), which must not include a's request.
        a.leases().unwant(Weft.BUILDS_LEASE);
        await().atMost(HighAvailabilityTest.TTL.multipliedBy(5)).until(() -> b.leases().holds(Weft.BUILDS_LEASE));
        Instant gained = livenessExpiry(b);
        // A round after the gain ran its resume (gain actions run inside the round, before the next);
        // a second's worth of rounds also ran b's periodic resume several times.
        await().atMost(Duration.ofSeconds(20)).until(() -> livenessExpiry(b).isAfter(gained.plusSeconds(1)));
        assertEquals(0, b.builder().start(), "nothing for b to resume: a is alive and builds its request");
        assertEquals(0, fetchActivity(b), "b never fetched the commit a is fetching");
        assertEquals(0, counted(b, "weft.builds", "elsewhere"), "nor queued it");
        BuildRecord stillA = requests(b).get(0);
        assertEquals(BuildRecord.State.WAITING, stillA.state());
        assertEquals(a.leases().instance().holder(), stillA.builder());

        a.kill(); // its lane stops mid-fetch; its liveness lease expires unrenewed
        knot.startGit();
        await().atMost(Duration.ofSeconds(60)).until(() -> requests(b).get(0).state() == BuildRecord.State.BUILT);

        BuildRecord built = requests(b).get(0);
        assertEquals(b.leases().instance().holder(), built.builder(), "b took it once a was gone");
        assertEquals(1, requests(b).size(), "the knot's replay of the push to b added no request");
        assertEquals(1, counted(b, "weft.builds", "built"), "b built it once");
        assertEquals(1, counted(b, "weft.workflow.fetches", "ok"), "b fetched the commit once");
        assertEquals(0, counted(a, "weft.builds", "built"), "a never finished it");
        await().atMost(Duration.ofSeconds(20)).until(() -> b.store().runs().runs(built.pipeline()).size() == 1
                && b.store().runs().runs(built.pipeline()).get(0).state() == RunState.SUCCESS);
        assertEquals(List.of("b"), spawnedBy.get(built.pipeline().rkey()), "its run spawned once, by b");
        assertEquals(push.newSha(), b.store().runs().trigger(built.pipeline()).orElseThrow().sha());
    }

    @Test
    @DisplayName("a push left waiting by an instance that died is built once by the instance that takes the builds lease")
    void waitingPushBuiltElsewhere() throws Exception {
        UpgradedKnot knot = new UpgradedKnot(dir.resolve("knot")).start();
        closeLater.add(knot);
        knot.createRepo(REPO_DID);
        String db = HighAvailabilityTest.db();
        Weft a = start("a", db, knot);
        await().atMost(Duration.ofSeconds(20)).until(() -> knot.events().connectionCount() == 1);
        Weft b = start("b", db, knot);

        knot.stopGit();
        UpgradedKnot.Push push = knot.commitAndPush(REPO_DID, OWNER, "main",
                Map.of(".tangled/workflows/ci.yml", "engine: ha\nwhen:\n  - event: push\n    branch: main\n"), List.of());
        // a stored the request and keeps retrying the fetch; nothing is built yet.
        await().atMost(Duration.ofSeconds(20)).until(() -> requests(b).size() == 1 && knot.gitRefused() > 0);
        assertEquals(BuildRecord.State.WAITING, requests(b).get(0).state());

        a.kill(); // no hand-back: b takes the knot and the builds lease once a's expire
        await().atMost(HighAvailabilityTest.TTL.multipliedBy(5)).until(() -> knot.events().connectionCount() == 1
                && b.leases().held().contains(Weft.BUILDS_LEASE));
        knot.startGit();
        await().atMost(Duration.ofSeconds(60)).until(() -> requests(b).size() == 1
                && requests(b).get(0).state() == BuildRecord.State.BUILT);

        BuildRecord built = requests(b).get(0);
        List<RunRecord> runs = b.store().runs().runs(built.pipeline());
        assertEquals(1, runs.size(), runs.toString());
        await().atMost(Duration.ofSeconds(20)).until(() -> b.store().runs().runs(built.pipeline()).get(0).state() == RunState.SUCCESS);
        assertEquals(List.of("b"), spawnedBy.get(built.pipeline().rkey()), "built and run by the survivor, once");
        assertEquals(push.newSha(), b.store().runs().trigger(built.pipeline()).orElseThrow().sha());
        assertEquals(1, requests(b).size(), "the knot's replay of the push to b added no request");
        assertTrue(knot.events().connectionCount() == 1);
    }
}
