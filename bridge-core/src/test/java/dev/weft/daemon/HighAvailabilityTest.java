package dev.weft.daemon;

import dev.weft.config.WeftConfig;
import dev.weft.knot.KnotEventServer;
import dev.weft.knot.PipelineRecordJson;
import dev.weft.lease.InstanceId;
import dev.weft.model.RunState;
import dev.weft.model.StatusEvent;
import dev.weft.spi.ProviderFactory;
import dev.weft.store.RunRecord;
import dev.weft.store.postgres.EmbeddedPostgresFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several weft instances on one PostgreSQL with one test knot: one consumes the knot, publishes
 * and drives its runs; when it dies (renewals stop, nothing handed back) another takes the knot,
 * the publisher and its runs within the lease time; when it stops cleanly the others take over at
 * once. Leases last 2 s here (15 s in production) so the test stays short.
 */
class HighAvailabilityTest {
    private static final String DID = "did:plc:haowner";
    private static final String REPO = "hello";
    static final Duration TTL = Duration.ofSeconds(2);
    static final Duration EVERY = Duration.ofMillis(200);
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HighAvailabilityTest.class);

    @TempDir
    Path dir;
    private final List<AutoCloseable> closeLater = new ArrayList<>();
    /** Opened to let every spawned run finish. */
    private final CountDownLatch finish = new CountDownLatch(1);
    /** Which instance spawned and which resumed each run (by workflow rkey), to count doubles. */
    private final Map<String, List<String>> spawnedBy = new ConcurrentHashMap<>();
    private final Map<String, List<String>> resumedBy = new ConcurrentHashMap<>();
    private final Map<String, Map<String, String>> variablesOf = new ConcurrentHashMap<>();

    @AfterEach
    void tearDown() throws Exception {
        finish.countDown();
        for (AutoCloseable c : closeLater.reversed()) c.close();
    }

    /** An engine whose runs go running and then wait for {@link #finish}; resume finishes them. */
    private ProviderFactory engine(String instance) {
        return HaEngine.of(run -> {
            spawnedBy.computeIfAbsent(run.workflowId().pipeline().rkey(), k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(instance);
            variablesOf.put(run.workflowId().pipeline().rkey(), run.variables());
            HaEngine.helloBye(run, instance, finish);
        }, run -> resumedBy.computeIfAbsent(run.workflowId().pipeline().rkey(), k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(instance));
    }

    private Weft start(String name, String db, KnotEventServer knot) throws Exception {
        return start(name, db, knot, java.time.Clock.systemUTC());
    }

    private Weft start(String name, String db, KnotEventServer knot, java.time.Clock clock) throws Exception {
        Weft w = Weft.builder(WeftConfig.from(env(name, db, knot, dir))).providers(List.of(engine(name))).instance(InstanceId.of(name)).clock(clock)
                .leases(TTL, EVERY).stopWait(Duration.ofSeconds(2)).start();
        closeLater.add(w);
        return w;
    }

    /** The settings of instance {@code name} on database {@code db}, fed by {@code knot}; files under {@code dir}. */
    static Map<String, String> env(String name, String db, KnotEventServer knot, Path dir) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("WEFT_HOSTNAME", "ci.example.com");
        env.put("WEFT_OWNER_DID", "did:plc:spindleoperator");
        env.put("WEFT_LISTEN", "127.0.0.1:0");
        env.put("WEFT_JETSTREAM", "");
        env.put("WEFT_DB", db);
        env.put("WEFT_DEV", "true");
        env.put("WEFT_KNOTS", knot.host());
        env.put("WEFT_REPOS", knot.host() + "/" + DID + "/" + REPO);
        env.put("WEFT_FIRST_STATUS_DELAY", "0s");
        env.put("WEFT_STATUS_GAP", "0s");
        env.put("WEFT_SECRETS_KEY_FILE", dir.resolve("secrets.key").toString());
        env.put("WEFT_GIT_CACHE_DIR", dir.resolve("git-" + name).toString());
        return env;
    }

    private static String healthz(Weft w) throws Exception {
        try (var http = java.net.http.HttpClient.newHttpClient()) {
            return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(w.baseUrl() + "/healthz")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        }
    }

    /** A loopback knot, closed with the test's other resources. */
    static KnotEventServer knot(List<AutoCloseable> closeLater) {
        KnotEventServer k = new KnotEventServer().start();
        closeLater.add(k);
        return k;
    }

    static String db() {
        String jdbc = EmbeddedPostgresFixture.freshDatabase();
        String database = jdbc.substring(jdbc.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
        return "postgresql://" + EmbeddedPostgresFixture.USER + "@localhost:" + EmbeddedPostgresFixture.port() + "/" + database;
    }

    static String push(KnotEventServer knot, int i) {
        // TIDs far apart in time, one per pipeline.
        String rkey = dev.weft.wire.Tid.fromEventId(1_700_000_000_000_000_000L + i * 1_000_000_000L);
        knot.publishPipeline(rkey, PipelineRecordJson.push(knot.host(), DID, REPO, "refs/heads/main",
                "%040d".formatted(i), "0".repeat(40)).workflow("ci.yml", "ha", "# " + i + "\n").json());
        return rkey;
    }

    static List<RunRecord> runs(Weft w, List<String> rkeys, String knot) {
        List<RunRecord> out = new ArrayList<>();
        for (String r : rkeys) out.addAll(w.store().runs().runs(new dev.weft.model.PipelineId(knot, r)));
        return out;
    }

    /** One pipeline pushed to {@code driver}'s knot, and the id of its run once the engine started it. */
    record Pushed(List<String> rkeys, long id) {
    }

    /**
     * Waits until {@code driver} consumes {@code knot}, pushes one pipeline, and waits (up to
     * {@code wait}) until the engine counted down {@code started}: the opening of every test where
     * one instance drives a run while another serves its hooks and viewers.
     */
    static Pushed pushOne(Weft driver, KnotEventServer knot, java.util.concurrent.CountDownLatch started, Duration wait)
            throws InterruptedException {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> driver.knots().isConnected(knot.host()));
        List<String> rkeys = List.of(push(knot, 0));
        org.junit.jupiter.api.Assertions.assertTrue(started.await(wait.toSeconds(), java.util.concurrent.TimeUnit.SECONDS),
                "the run started on its driver");
        return new Pushed(rkeys, runs(driver, rkeys, knot.host()).get(0).id());
    }

    static boolean allIn(Weft w, List<String> rkeys, String knot, RunState state) {
        List<RunRecord> rs = runs(w, rkeys, knot);
        return rs.size() == rkeys.size() && rs.stream().allMatch(r -> r.state() == state);
    }

    @Test
    @DisplayName("a killed instance's knot, publisher and runs move to a survivor within the lease time; nothing lost or doubled")
    void killedInstance() throws Exception {
        String db = db();
        KnotEventServer knot = knot(closeLater);
        Weft a = start("a", db, knot);
        Weft b = start("b", db, knot);
        Weft c = start("c", db, knot);
        String lease = Weft.knotLease(knot.host());
        assertTrue(a.leases().held().containsAll(Set.of(lease, Weft.PUBLISHER_LEASE, Weft.BUILDS_LEASE)), a.leases().held().toString());
        assertTrue(b.leases().held().isEmpty() && c.leases().held().isEmpty(), "the first instance holds everything");
        await().atMost(Duration.ofSeconds(10)).until(() -> a.knots().isConnected(knot.host()));
        assertEquals(Set.of(), b.knots().knots(), "only the holder consumes the knot");

        List<String> first = new ArrayList<>();
        for (int i = 0; i < 3; i++) first.add(push(knot, i));
        await().atMost(Duration.ofSeconds(10)).until(() -> allIn(a, first, knot.host(), RunState.RUNNING));
        // b's /events viewers see what a published (b follows the store's event log).
        await().atMost(Duration.ofSeconds(5)).until(() -> b.events().lastId() == a.events().lastId()
                && b.events().after(0, 100).size() == a.events().after(0, 100).size());
        assertEquals(runs(a, first, knot.host()).stream().map(RunRecord::id).toList(),
                a.store().leases().ownedRuns(a.leases().instance().holder()), "a drives the runs it took in");

        Instant killed = Instant.now();
        a.kill();
        await().atMost(TTL.plus(Duration.ofSeconds(5))).until(() ->
                b.leases().holds(lease) || c.leases().holds(lease));
        Weft survivor = b.leases().holds(lease) ? b : c;
        Weft other = survivor == b ? c : b;
        await().atMost(TTL.plus(Duration.ofSeconds(5))).until(() -> allIn(survivor, first, knot.host(), RunState.SUCCESS));
        Duration takeOver = Duration.between(killed, Instant.now());
        assertTrue(takeOver.compareTo(Duration.ofSeconds(30)) < 0, "taken over in " + takeOver);
        LOG.info("measured: knot and runs of a killed instance taken over and resumed {} ms after the kill (lease {} ms, renewed every {} ms)",
                takeOver.toMillis(), TTL.toMillis(), EVERY.toMillis());
        assertFalse(other.leases().holds(lease));
        await().atMost(Duration.ofSeconds(10)).until(() -> survivor.knots().isConnected(knot.host()));

        // The knot stream goes on from a's checkpoint on the survivor: new pushes, and the rewind
        // re-delivers old ones, which the trigger constraint turns away.
        List<String> second = new ArrayList<>();
        for (int i = 3; i < 5; i++) second.add(push(knot, i));
        await().atMost(Duration.ofSeconds(10)).until(() -> allIn(survivor, second, knot.host(), RunState.RUNNING));
        finish.countDown();
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        await().atMost(Duration.ofSeconds(10)).until(() -> allIn(survivor, all, knot.host(), RunState.SUCCESS));

        // Nothing lost or doubled: one run per push, each spawned once; a's three resumed once elsewhere.
        assertEquals(5, runs(survivor, all, knot.host()).size());
        for (String r : all) assertEquals(1, spawnedBy.get(r).size(), r + " spawned by " + spawnedBy.get(r));
        for (String r : first) {
            assertEquals(List.of("a"), spawnedBy.get(r));
            assertEquals(1, resumedBy.get(r).size(), r + " resumed by " + resumedBy.get(r));
        }
        for (String r : second) assertTrue(resumedBy.get(r) == null, r + " was never resumed");
        // Event ids strictly increase across the change of publisher, and every instance serves them all.
        await().atMost(Duration.ofSeconds(5)).until(() -> other.events().lastId() == survivor.store().statuses().lastEventId());
        List<StatusEvent> events = survivor.store().statuses().eventsAfter(0, 1000);
        for (int i = 1; i < events.size(); i++) assertTrue(events.get(i).id() > events.get(i - 1).id());
        assertEquals(5 * 3, events.size(), "pending, running, success per run, once each");
        assertEquals(events.size(), other.events().after(0, 1000).size());
        Set<Long> ids = new HashSet<>();
        for (StatusEvent e : other.events().after(0, 1000)) assertTrue(ids.add(e.id()));
    }

    @Test
    @DisplayName("a cleanly stopped instance hands its leases back at once: another holds the knot well before expiry")
    void gracefulHandBack() throws Exception {
        String db = db();
        KnotEventServer knot = knot(closeLater);
        Weft a = start("a", db, knot);
        Weft b = start("b", db, knot);
        String lease = Weft.knotLease(knot.host());
        assertTrue(a.leases().holds(lease));
        assertTrue(healthz(a).contains("\"instance\":\"a\"") && healthz(a).contains(lease), healthz(a));
        assertTrue(healthz(b).contains("\"leases\":[]"), healthz(b));
        List<String> rkeys = List.of(push(knot, 0));
        await().atMost(Duration.ofSeconds(10)).until(() -> allIn(a, rkeys, knot.host(), RunState.RUNNING));
        long started = System.nanoTime();
        a.close();
        assertTrue(a.store() != null);
        await().atMost(Duration.ofSeconds(1)).until(() -> b.leases().held().containsAll(
                Set.of(lease, Weft.PUBLISHER_LEASE, Weft.BUILDS_LEASE)));
        Duration moved = Duration.ofNanos(System.nanoTime() - started);
        assertTrue(moved.compareTo(TTL) < 0, "moved in " + moved + ", before the " + TTL + " expiry");
        LOG.info("measured: leases of a cleanly stopped instance held elsewhere {} ms after close() began", moved.toMillis());
        assertTrue(healthz(b).contains("\"instance\":\"b\"") && healthz(b).contains(lease), healthz(b));
        // The run a left open is resumed by b at once too (a handed its liveness back).
        await().atMost(Duration.ofSeconds(1)).until(() -> allIn(b, rkeys, knot.host(), RunState.SUCCESS));
        assertEquals(List.of("b"), resumedBy.get(rkeys.get(0)));
    }

    @Test
    @DisplayName("a webhook landing on an instance that does not drive the run reaches it through the store, published once")
    void webhookOnNonOwner() throws Exception {
        String db = db();
        KnotEventServer knot = knot(closeLater);
        Weft a = start("a", db, knot);
        Weft b = start("b", db, knot);
        List<String> rkeys = List.of(push(knot, 0));
        await().atMost(Duration.ofSeconds(10)).until(() -> allIn(a, rkeys, knot.host(), RunState.RUNNING));
        long id = runs(a, rkeys, knot.host()).get(0).id();
        assertEquals(1, a.runs().activeCount());
        assertEquals(0, b.runs().activeCount(), "b does not drive it");
        // What a provider's webhook handler on b does: find the run, report its end.
        b.runs().byId(id).orElseThrow().status().success();
        assertEquals(RunState.SUCCESS, a.store().runs().run(id).orElseThrow().state());
        // a, which drives it, learns of it from the store and lets go of its handle.
        await().atMost(Duration.ofSeconds(5)).until(() -> a.runs().activeCount() == 0);
        // a's provider reporting the same end later publishes nothing more.
        finish.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> a.events().after(0, 100).size() == 3
                && b.events().after(0, 100).size() == 3);
        assertEquals(List.of(RunState.PENDING, RunState.RUNNING, RunState.SUCCESS),
                a.store().statuses().eventsAfter(0, 100).stream().map(e -> e.status().state()).toList());
    }

    @Test
    @DisplayName("an instance that stalled past its liveness lease stops itself; its run is resumed elsewhere, once")
    void lapsedLivenessStops() throws Exception {
        String db = db();
        KnotEventServer knot = knot(closeLater);
        var stall = new java.util.concurrent.atomic.AtomicReference<>(Duration.ZERO);
        java.time.Clock stalling = new java.time.Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public java.time.Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return Instant.now().plus(stall.get());
            }
        };
        Weft a = start("a", db, knot, stalling);
        Weft b = start("b", db, knot);
        List<String> rkeys = List.of(push(knot, 0));
        await().atMost(Duration.ofSeconds(10)).until(() -> allIn(a, rkeys, knot.host(), RunState.RUNNING));
        assertEquals(1, a.runs().activeCount(), "a holds the knot: it took the push in and drives the run");
        // What a long GC pause or a cut to the database looks like to a: its next round comes more
        // than a lease time after the last.
        stall.set(TTL.plusSeconds(1));
        String why = a.fenced().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertTrue(why.contains("lapsed"), why);
        assertTrue(a.leases().held().isEmpty(), "a holds no work any more: " + a.leases().held());
        await().atMost(TTL.plus(Duration.ofSeconds(10))).until(() -> resumedBy.containsKey(rkeys.get(0)));
        await().atMost(Duration.ofSeconds(5)).until(() -> allIn(b, rkeys, knot.host(), RunState.SUCCESS));
        assertEquals(List.of("b"), resumedBy.get(rkeys.get(0)));
        assertEquals(List.of("a"), spawnedBy.get(rkeys.get(0)));
    }

    @Test
    @DisplayName("a job's callback landing on an instance that does not drive the run is applied by the one that does (202, then live)")
    void callbackOnNonOwner() throws Exception {
        OneRun c = oneRunOnTwo();
        Map<String, String> vars = variablesOf.get(c.rkey());
        String url = dev.weft.spi.Variables.callbackUrl(vars).orElseThrow();
        String token = dev.weft.spi.Variables.callbackToken(vars).orElseThrow();
        String path = url.substring(url.indexOf("/hooks/callback/"));
        long runId = Long.parseLong(path.substring(path.lastIndexOf('/') + 1));
        String body = """
                {"seq": 1, "events": [{"type": "step", "name": "deploy", "command": "./deploy.sh", "status": "start"},
                 {"type": "line", "text": "uploading 3 files", "stream": "stdout"}]}""";
        try (var http = java.net.http.HttpClient.newHttpClient()) {
            var post = java.net.http.HttpRequest.newBuilder(java.net.URI.create(c.other().baseUrl() + path))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build();
            var answer = http.send(post, java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(202, answer.statusCode(), answer.body());
            assertTrue(answer.body().contains("\"queued\""), answer.body());
            // Lines written by the driving instance only: the log numbering has one writer.
            await().atMost(Duration.ofSeconds(5)).until(() -> c.driver().store().logs().after(runId, 0, 100).stream()
                    .anyMatch(f -> new String(f.frame(), java.nio.charset.StandardCharsets.UTF_8).contains("uploading 3 files")));
            await().atMost(Duration.ofSeconds(5)).until(() -> c.driver().store().runs().queuedCallbacks(10).isEmpty());
            // The same seq again, on either instance: acknowledged, not written twice.
            for (Weft w : List.of(c.other(), c.driver())) {
                var again = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(w.baseUrl() + path))
                        .header("Authorization", "Bearer " + token)
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertEquals(200, again.statusCode(), again.body());
                assertTrue(again.body().contains("\"duplicate\""), again.body());
            }
        }
        assertEquals(1, c.driver().store().logs().after(runId, 0, 100).stream()
                .filter(f -> new String(f.frame(), java.nio.charset.StandardCharsets.UTF_8).contains("uploading 3 files")).count());
    }

    /** Two instances on one database, one push, its run going on the instance that drives it. */
    private record OneRun(KnotEventServer knot, String rkey, Weft driver, Weft other, String driverName) {
    }

    private OneRun oneRunOnTwo() throws Exception {
        String db = db();
        KnotEventServer knot = knot(closeLater);
        Weft a = start("a", db, knot);
        Weft b = start("b", db, knot);
        List<String> rkeys = List.of(push(knot, 0));
        await().atMost(Duration.ofSeconds(10)).until(() -> allIn(a, rkeys, knot.host(), RunState.RUNNING));
        await().atMost(Duration.ofSeconds(5)).until(() -> a.runs().activeCount() + b.runs().activeCount() == 1);
        boolean aDrives = a.runs().activeCount() == 1;
        return new OneRun(knot, rkeys.get(0), aDrives ? a : b, aDrives ? b : a, aDrives ? "a" : "b");
    }

    @Test
    @DisplayName("a cancel asked of an instance that does not drive the run reaches the one that does")
    void cancelOnNonOwner() throws Exception {
        OneRun c = oneRunOnTwo();
        var workflow = new dev.weft.model.WorkflowId(new dev.weft.model.PipelineId(c.knot().host(), c.rkey()), "ci.yml");
        Weft other = c.other();
        assertEquals(dev.weft.runs.RunManager.CancelOutcome.REQUESTED,
                other.runs().cancel(workflow, dev.weft.spi.CancelReason.REQUESTED));
        await().atMost(Duration.ofSeconds(10)).until(() -> allIn(other, List.of(c.rkey()), c.knot().host(), RunState.CANCELLED));
        assertEquals(List.of(c.driverName()), spawnedBy.get(c.rkey()));
        // The driving instance closes the request once its cancel returned (just after the status).
        await().atMost(Duration.ofSeconds(5)).until(() -> other.store().runs().openCancelRequests().isEmpty());
        assertEquals("REQUESTED", other.store().runs().cancelRequest(1).orElseThrow().outcome());
    }

    @Test
    @DisplayName("a /logs viewer on an instance that does not drive the run sees its lines live, and the end")
    void liveLogsFromAnotherInstance() throws Exception {
        OneRun c = oneRunOnTwo();
        Weft viewerSide = c.other();
        assertTrue(viewerSide.meters().scrape().contains("weft_instance=\"" + (c.driverName().equals("a") ? "b" : "a") + "\""),
                "metrics of instances sharing a database say which instance they come from");
        String path = "/logs/" + c.knot().host() + "/" + c.rkey() + "/ci.yml";
        try (var logs = dev.weft.testing.WebSocketRecorder.connect(
                java.net.URI.create(viewerSide.baseUrl().replace("http://", "ws://") + path))) {
            // Step start and the first line, while the run is still going on the other instance.
            List<String> live = logs.awaitFrames(2, Duration.ofSeconds(5));
            assertTrue(live.get(1).contains("hello from "), live.toString());
            finish.countDown();
            List<String> rest = logs.awaitFrames(2, Duration.ofSeconds(5));
            assertTrue(rest.get(0).contains("bye from "), rest.toString());
            assertTrue(rest.get(1).contains("\"step_status\":\"end\""), rest.toString());
            assertEquals(1000, logs.awaitClose(Duration.ofSeconds(10)), "the stream ends with the log");
        }
    }

    @Test
    @DisplayName("a repository registered at run time on one instance reaches the others, whose survivor consumes its knot after a kill")
    void runtimeRegistration() throws Exception {
        String db = db();
        KnotEventServer knot = knot(closeLater);
        KnotEventServer later = knot(closeLater);
        Weft a = start("a", db, knot);
        Weft b = start("b", db, knot);
        // What the Jetstream holder does on a new repo record: register it, in the store and in its memory.
        a.registry().register(new dev.weft.model.RepoRef.RepoKey(later.host(), DID, REPO), "jetstream-test");
        String lease = Weft.knotLease(later.host());
        await().atMost(Duration.ofSeconds(5)).until(() -> a.leases().holds(lease));
        await().atMost(Duration.ofSeconds(5)).until(() -> b.registry().knots().contains(later.host()));
        assertFalse(b.leases().holds(lease), "wanted by b, held by a");
        a.kill();
        await().atMost(TTL.plus(Duration.ofSeconds(5))).until(() -> b.leases().holds(lease)
                && b.knots().isConnected(later.host()));
        List<String> rkeys = List.of(push(later, 7));
        await().atMost(Duration.ofSeconds(10)).until(() -> allIn(b, rkeys, later.host(), RunState.RUNNING));
    }
}
