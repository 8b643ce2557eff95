package dev.weft.e2e;

import dev.weft.knot.RefUpdate;
import dev.weft.knot.UpgradedKnot;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.WorkflowId;
import dev.weft.testing.WebSocketRecorder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Today's flow against the real daemon: an upgraded knot announces a push with
 * {@code sh.tangled.git.refUpdate}, weft reads {@code .tangled/workflows} at the commit over git
 * from the same host, compiles the pipeline and announces it on {@code /events} before its statuses.
 * Every wait is on the event that matters: a pipeline frame, a status, a refused git request.
 */
class UpgradedKnotFlowTest {
    static final String QUICK = "engine: stub\nstub:\n  steps:\n    - name: s\n      output: [\"once\"]\n";
    private static final Pattern RKEY = Pattern.compile("^\\{\"rkey\":\"([234567a-z]{13})\"");
    private static final String PIPELINE_NSID = ",\"nsid\":\"sh.tangled.pipeline\",";

    WeftFixture f;
    /** Everything weft's /events serves, from the beginning, for the whole test. */
    WebSocketRecorder events;

    @BeforeEach
    void start() throws Exception {
        f = WeftFixture.withUpgradedKnot(Map.of());
        events = WebSocketRecorder.connect(f.ws("/events?cursor=-1"));
    }

    @AfterEach
    void stop() {
        events.close();
        f.close();
    }

    /** The /events frames announcing a pipeline for {@code sha}. */
    List<String> pipelineFrames(String sha) {
        return events.frames().stream()
                .filter(s -> s.contains(PIPELINE_NSID) && s.contains("\"newSha\":\"" + sha + "\""))
                .toList();
    }

    /** Waits for the pipeline of {@code sha} on /events; returns its rkey. */
    String awaitPipeline(String sha) {
        await().atMost(Duration.ofSeconds(20)).until(() -> !pipelineFrames(sha).isEmpty());
        Matcher m = RKEY.matcher(pipelineFrames(sha).get(0));
        assertTrue(m.find(), pipelineFrames(sha).get(0));
        return m.group(1);
    }

    WorkflowId upgraded(String rkey, String name) {
        return new WorkflowId(f.upgraded.host(), rkey, name);
    }

    /** The pipeline of {@code sha} was announced once and its one workflow ran once, to success. */
    void assertBuiltOnce(String sha, String workflow) {
        String rkey = awaitPipeline(sha);
        assertEquals(1, pipelineFrames(sha).size(), "one pipeline for " + sha + ": " + pipelineFrames(sha));
        // A legacy record's pipeline keeps the knot's rkey, weft's own gets a TID it minted: both
        // are named by the upgraded knot's host.
        WorkflowId w = upgraded(rkey, workflow);
        assertEquals(RunState.SUCCESS, f.awaitTerminal(w).state());
        assertEquals(List.of(RunState.PENDING, RunState.RUNNING, RunState.SUCCESS), f.published(w));
        long starts = f.storedFrames(w).stream().filter(s -> s.contains("\"step_status\":\"start\"")).count();
        assertEquals(1, starts, "one step started: spawned once");
    }

    @Test
    @DisplayName("a push: /events carries the compiled pipeline (trigger with repoDid, the knot's default branch) before its statuses, then success and logs")
    void pushToSuccess() {
        f.upgraded.setDefaultBranch(WeftFixture.REPO_DID, "trunk");
        UpgradedKnot.Push p = f.pushCommit(Map.of("ci.yml", FlowTest.SCRIPT), List.of());
        String rkey = awaitPipeline(p.newSha());
        String pipelineUri = "at://did:web:" + f.upgraded.host() + "/sh.tangled.pipeline/" + rkey;
        List<String> frames = events.awaitFrames(4, Duration.ofSeconds(20));

        String announced = frames.get(0);
        assertTrue(announced.startsWith("{\"rkey\":\"" + rkey + "\",\"nsid\":\"sh.tangled.pipeline\",\"event\":{\"$type\":\"\","
                + "\"triggerMetadata\":{\"kind\":\"push\",\"push\":{\"newSha\":\"" + p.newSha() + "\",\"oldSha\":\"" + "0".repeat(40)
                + "\",\"ref\":\"refs/heads/main\"},\"repo\":{\"defaultBranch\":\"trunk\",\"did\":\"" + WeftFixture.DID
                + "\",\"knot\":\"" + f.upgraded.host() + "\",\"repo\":"), "the pipeline comes first, trigger and repo as compiled: " + announced);
        assertTrue(announced.contains(",\"repoDid\":\"" + WeftFixture.REPO_DID + "\"}"), announced);
        assertTrue(announced.contains("\"engine\":\"stub\",\"name\":\"ci.yml\",\"raw\":"), announced);
        for (int i = 0; i < 3; i++) {
            String status = List.of("pending", "running", "success").get(i);
            assertEquals("{\"rkey\":\"TID\",\"nsid\":\"sh.tangled.pipeline.status\",\"event\":{\"$type\":\"\",\"createdAt\":\"T\",\"pipeline\":\""
                    + pipelineUri + "\",\"status\":\"" + status + "\",\"workflow\":\"ci.yml\"},\"created\":N}",
                    FlowTest.normalizeStatus(frames.get(i + 1)));
        }
        f.awaitTerminal(upgraded(rkey, "ci.yml"));
        try (WebSocketRecorder logs = WebSocketRecorder.connect(f.logs(upgraded(rkey, "ci.yml")))) {
            assertEquals(1000, logs.awaitClose(Duration.ofSeconds(10)));
            assertTrue(logs.frames().stream().anyMatch(l -> l.contains("\"content\":\"compiling at " + p.newSha() + "\"")),
                    "the workflow ran at the pushed commit: " + logs.frames());
            assertEquals(8, logs.frames().size(), logs.frames().toString());
        }
    }

    @Test
    @DisplayName("pushes whose workflow names a concurrency group run one at a time: the second waits, saying for which pipeline")
    void concurrencyGroupOverGit() {
        String deploy = """
                engine: stub
                concurrency: deploy-${TANGLED_REF_NAME}
                stub:
                  steps:
                    - name: deploy
                      output: ["deploying"]
                  hang: true
                """;
        UpgradedKnot.Push first = f.pushCommit(Map.of("deploy.yml", deploy), List.of());
        WorkflowId a = upgraded(awaitPipeline(first.newSha()), "deploy.yml");
        await().atMost(Duration.ofSeconds(20)).until(() -> f.weft.store().runs().run(a).orElseThrow().state() == RunState.RUNNING);
        UpgradedKnot.Push second = f.pushCommit(Map.of("deploy.yml", deploy), List.of());
        WorkflowId b = upgraded(awaitPipeline(second.newSha()), "deploy.yml");
        // The waiting run says so in its log, naming the pipeline that holds the group.
        await().atMost(Duration.ofSeconds(20)).until(() -> f.storedFrames(b).stream()
                .anyMatch(l -> l.contains("waiting for pipeline " + a.pipeline().rkey())));
        assertEquals(RunState.PENDING, f.weft.store().runs().run(b).orElseThrow().state(), "the second waits its turn");
        assertTrue(f.storedFrames(b).stream().anyMatch(l -> l.contains("deploy-main")), f.storedFrames(b).toString());

        f.weft.cancel(a);
        assertEquals(RunState.CANCELLED, f.awaitTerminal(a).state());
        await().atMost(Duration.ofSeconds(20)).until(() -> f.weft.store().runs().run(b).orElseThrow().state() == RunState.RUNNING);
        f.weft.cancel(b);
        assertEquals(RunState.CANCELLED, f.awaitTerminal(b).state());
    }

    @Test
    @DisplayName("a push with skip-ci creates nothing: the next push's pipeline is the only one")
    void skipCi() {
        UpgradedKnot.Push skipped = f.pushCommit(Map.of("ci.yml", QUICK), List.of("skip-ci"));
        UpgradedKnot.Push built = f.pushCommit(Map.of("ci.yml", QUICK), List.of());
        // Pushes of one repository are taken in stream order: once the later one is announced,
        // the skipped one was decided.
        assertBuiltOnce(built.newSha(), "ci.yml");
        assertEquals(List.of(), pipelineFrames(skipped.newSha()));
        assertEquals(1, events.frames().stream().filter(s -> s.contains(PIPELINE_NSID)).count(), events.frames().toString());
    }

    @Test
    @DisplayName("a workflow file with invalid YAML fails with 'invalid workflow file:', shown as a system step in its /logs")
    void invalidYaml() {
        UpgradedKnot.Push p = f.pushCommit(Map.of("ci.yml", QUICK, "broken.yml", "engine: stub\nsteps: [unclosed\n"), List.of());
        String rkey = awaitPipeline(p.newSha());
        Status broken = f.awaitTerminal(upgraded(rkey, "broken.yml"));
        assertEquals(RunState.FAILED, broken.state());
        assertTrue(broken.error().orElse("").startsWith("invalid workflow file:"), broken.toString());
        assertEquals(RunState.SUCCESS, f.awaitTerminal(upgraded(rkey, "ci.yml")).state(), "the other file still runs");
        assertTrue(events.frames().stream().anyMatch(s -> s.contains("\"status\":\"failed\"") && s.contains("\"workflow\":\"broken.yml\"")
                && s.contains("\"error\":\"invalid workflow file:")), events.frames().toString());

        try (WebSocketRecorder logs = WebSocketRecorder.connect(f.logs(upgraded(rkey, "broken.yml")))) {
            assertEquals(1000, logs.awaitClose(Duration.ofSeconds(10)));
            List<String> frames = logs.frames();
            assertTrue(!frames.isEmpty() && frames.get(0).contains("\"kind\":\"control\"") && frames.get(0).contains("\"step_status\":\"start\"")
                    && !frames.get(0).contains("\"step_kind\""), "a system step (no step_kind) opens the log: " + frames);
            assertTrue(frames.stream().anyMatch(l -> l.contains("invalid workflow file:")), "the error is in the log: " + frames);
        }
    }

    @Test
    @DisplayName("a dropped knot connection replays its refUpdates; no push is built twice")
    void replayAfterDrop() {
        List<UpgradedKnot.Push> pushes = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) pushes.add(f.pushCommit(Map.of("ci.yml", QUICK), List.of()));
        for (UpgradedKnot.Push p : pushes) f.awaitTerminal(upgraded(awaitPipeline(p.newSha()), "ci.yml"));
        long connections = f.upgraded.events().connectionsAccepted();

        f.upgraded.events().dropConnections();
        await().atMost(Duration.ofSeconds(10)).until(() -> f.upgraded.events().connectionsAccepted() > connections
                && f.weft.knots().isConnected(f.upgraded.host()));
        List<String> cursors = f.upgraded.events().requestedCursors();
        String cursor = cursors.get(cursors.size() - 1);
        assertTrue(!cursor.isEmpty() && !cursor.equals("0"), "the reconnect rewinds with a cursor, so the knot replays: " + cursors);
        UpgradedKnot.Push after = f.pushCommit(Map.of("ci.yml", QUICK), List.of());

        assertBuiltOnce(after.newSha(), "ci.yml");
        for (UpgradedKnot.Push p : pushes) assertBuiltOnce(p.newSha(), "ci.yml");
    }

    @Test
    @DisplayName("a transitional knot sends a refUpdate and a legacy pipeline record for one push, in either order: built once")
    void transitionalKnot() {
        // The legacy record names the repository (knot, owner, name). A static repo-DID
        // registration is stored under (knot, spindle owner, repo DID): that is the only name that
        // maps the record to the repo DID, and so to the push's claim.
        String name = WeftFixture.REPO_DID;
        UpgradedKnot.Push refUpdateFirst = f.commitOnly(Map.of("ci.yml", QUICK));
        f.upgraded.refUpdate(refUpdateFirst, RefUpdate.Shape.TRANSITIONAL, name);
        f.upgraded.legacyPipeline(refUpdateFirst, name);
        UpgradedKnot.Push recordFirst = f.commitOnly(Map.of("ci.yml", QUICK));
        f.upgraded.legacyPipeline(recordFirst, name);
        f.upgraded.refUpdate(recordFirst, RefUpdate.Shape.TRANSITIONAL, name);
        UpgradedKnot.Push barrier = f.pushCommit(Map.of("ci.yml", QUICK), List.of());

        assertBuiltOnce(barrier.newSha(), "ci.yml");
        assertBuiltOnce(refUpdateFirst.newSha(), "ci.yml");
        assertBuiltOnce(recordFirst.newSha(), "ci.yml");
        assertEquals(3, events.frames().stream().filter(s -> s.contains(PIPELINE_NSID)).count(), events.frames().toString());
    }

    @Test
    @DisplayName("weft stopped while the knot's git side is down mid-fetch: after both come back the pipeline arrives once")
    void restartWhileKnotDown() throws Exception {
        f.upgraded.stopGit();
        UpgradedKnot.Push p = f.pushCommit(Map.of("ci.yml", QUICK), List.of());
        // weft accepted the push and is retrying the fetch against a knot that answers 502.
        await().atMost(Duration.ofSeconds(20)).until(() -> f.upgraded.gitRefused() >= 1);
        events.close();
        f.weft.close();

        f.upgraded.startGit();
        f.start();
        events = WebSocketRecorder.connect(f.ws("/events?cursor=-1"));
        UpgradedKnot.Push after = f.pushCommit(Map.of("ci.yml", QUICK), List.of());
        assertBuiltOnce(p.newSha(), "ci.yml");
        assertBuiltOnce(after.newSha(), "ci.yml");
        assertEquals(2, events.frames().stream().filter(s -> s.contains(PIPELINE_NSID)).count(), events.frames().toString());
    }

    @Test
    @DisplayName("a legacy knot and an upgraded knot side by side on one weft: each push runs once, on its own knot")
    void legacyBesideUpgraded() {
        String legacyRkey = f.push("legacy.yml", QUICK);
        UpgradedKnot.Push p = f.pushCommit(Map.of("ci.yml", QUICK), List.of());
        assertBuiltOnce(p.newSha(), "ci.yml");
        assertEquals(RunState.SUCCESS, f.awaitTerminal(legacyRkey, "legacy.yml").state());
        assertTrue(events.frames().stream().anyMatch(s -> s.startsWith("{\"rkey\":\"" + legacyRkey + "\"" + PIPELINE_NSID)
                && s.contains("\"knot\":\"" + f.knot.host() + "\"")), "the legacy knot's record is announced as its own");
        assertTrue(pipelineFrames(p.newSha()).get(0).contains("\"knot\":\"" + f.upgraded.host() + "\""));
    }
}
