package dev.weft.concurrency;

import dev.weft.model.QueueState;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.StatusEvent;
import dev.weft.model.WorkflowId;
import dev.weft.store.QueueEntry;
import dev.weft.testkit.Internals;
import dev.weft.testkit.ProviderHarness;
import dev.weft.testkit.ProviderHarness.TestRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Concurrency groups end to end: real runtimes on SQLite with an engine whose runs the test holds
 * open and releases ({@link HeldEngine}), observed through the statuses, the {@code /logs} frames
 * and the queue in the store, as an operator or the appview would see them.
 */
class ConcurrencyGroupsTest {
    private static final String REPO = ProviderHarness.KNOT + "/" + ProviderHarness.DID + "/" + ProviderHarness.REPO;
    private static final String GROUPED = "engine: held\nconcurrency: deploy-${TANGLED_REF_NAME}\n";
    private static final String REPLACING = "engine: held\nconcurrency:\n  group: deploy-${TANGLED_REF_NAME}\n"
            + "  cancel-in-progress: true\n";
    private static final AtomicInteger COMMITS = new AtomicInteger();

    private final HeldEngine engine = new HeldEngine();
    private ProviderHarness h;

    @AfterEach
    void close() {
        if (h != null) h.close();
    }

    private ProviderHarness start(ProviderHarness.Builder b) {
        h = b.start();
        return h;
    }

    /** A push of main at a commit of its own, so every push is a pipeline of its own. */
    private TestRun push(String yaml) {
        String sha = String.format("%040x", COMMITS.incrementAndGet());
        return h.push("deploy.yml", yaml, "refs/heads/main", sha);
    }

    private static String tid(TestRun r) {
        return r.workflowId().pipeline().rkey();
    }

    private static String name(TestRun r) {
        return tid(r) + "/deploy.yml";
    }

    private List<QueueEntry> queue() {
        return new ConcurrencyQueues(Internals.weft(h).store().concurrency()).queue(REPO, "deploy-main").entries();
    }

    private static String logText(TestRun r) {
        return String.join("\n", r.logFrames());
    }

    private static void awaitLog(TestRun r, String text) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(
                () -> assertTrue(logText(r).contains(text), "log of " + r.workflowId() + " lacks: " + text + "\n" + logText(r)));
    }

    private static String waitingFor(TestRun ahead) {
        return "waiting for pipeline " + tid(ahead) + " (workflow deploy.yml)";
    }

    /** When {@code state} of {@code r} was published. */
    private Instant publishedAt(TestRun r, RunState state) {
        return Internals.weft(h).store().statuses().eventsAfter(0, 1000).stream()
                .filter(e -> e.workflow().equals(r.workflowId()) && e.status().state() == state)
                .map(StatusEvent::createdAt).findFirst().orElseThrow(() -> new AssertionError(r.workflowId() + " never " + state));
    }

    @Test
    @DisplayName("two runs of a group: the second waits pending, its log naming the first's TID and workflow, then runs")
    void twoOneAtATime() {
        start(ProviderHarness.builder(engine));
        TestRun a = push(GROUPED);
        a.awaitState(RunState.RUNNING);
        TestRun b = push(GROUPED);
        awaitLog(b, waitingFor(a) + ", which is running in concurrency group \\\"deploy-main\\\"");
        assertEquals(List.of(RunState.PENDING), b.states());
        assertEquals(List.of(name(a)), engine.spawned);
        assertEquals(List.of(QueueState.RUNNING, QueueState.WAITING), queue().stream().map(QueueEntry::state).toList());
        assertEquals(List.of(a.workflowId(), b.workflowId()), queue().stream().map(QueueEntry::workflow).toList());

        engine.release(a.runId());
        assertEquals(RunState.SUCCESS, a.awaitTerminal().state());
        b.awaitState(RunState.RUNNING);
        engine.release(b.runId());
        assertEquals(RunState.SUCCESS, b.awaitTerminal().state());
        assertEquals(List.of(RunState.PENDING, RunState.RUNNING, RunState.SUCCESS), b.states());
        assertEquals(List.of(name(a), name(b)), engine.spawned);
        assertFalse(publishedAt(b, RunState.RUNNING).isBefore(publishedAt(a, RunState.SUCCESS)), "b started after a ended");
        assertEquals(List.of(), queue(), "both left the queue");
    }

    @Test
    @DisplayName("three runs of a group run in trigger order; the last one's log follows whom it waits for")
    void threeInOrder() {
        start(ProviderHarness.builder(engine));
        TestRun a = push(GROUPED);
        a.awaitState(RunState.RUNNING);
        TestRun b = push(GROUPED);
        TestRun c = push(GROUPED);
        awaitLog(b, waitingFor(a));
        awaitLog(c, waitingFor(a));
        assertEquals(List.of(a.runId(), b.runId(), c.runId()), queue().stream().map(QueueEntry::runId).toList());

        engine.release(a.runId());
        b.awaitState(RunState.RUNNING);
        awaitLog(c, waitingFor(b) + ", which is running");
        assertEquals(List.of(RunState.PENDING), c.states());
        engine.release(b.runId());
        c.awaitState(RunState.RUNNING);
        engine.release(c.runId());
        assertEquals(RunState.SUCCESS, c.awaitTerminal().state());
        assertEquals(List.of(name(a), name(b), name(c)), engine.spawned);
        assertFalse(publishedAt(c, RunState.RUNNING).isBefore(publishedAt(b, RunState.SUCCESS)));
    }

    @Test
    @DisplayName("cancel-in-progress: the newer run cancels the running one, naming its TID, and starts once it ended")
    void newerCancelsRunning() {
        start(ProviderHarness.builder(engine));
        TestRun a = push(REPLACING);
        a.awaitState(RunState.RUNNING);
        TestRun b = push(REPLACING);
        Status end = a.awaitTerminal();
        assertEquals(new Status.Cancelled("cancelled by pipeline " + tid(b)
                + ", which replaces it in concurrency group \"deploy-main\" (cancel-in-progress)"), end);
        b.awaitState(RunState.RUNNING);
        assertFalse(publishedAt(b, RunState.RUNNING).isBefore(publishedAt(a, RunState.CANCELLED)), "b waited for a's end");
        engine.release(b.runId());
        assertEquals(RunState.SUCCESS, b.awaitTerminal().state());
        assertEquals(List.of(name(a), name(b)), engine.spawned);
    }

    @Test
    @DisplayName("cancel-in-progress with three: the newest cancels the running run and the waiting one, which never starts")
    void newestCancelsRunningAndWaiting() {
        start(ProviderHarness.builder(engine));
        TestRun a = push(GROUPED);
        a.awaitState(RunState.RUNNING);
        TestRun b = push(GROUPED);
        awaitLog(b, waitingFor(a));
        TestRun c = push(REPLACING);
        String replaced = "cancelled by pipeline " + tid(c) + ", which replaces it in concurrency group \"deploy-main\""
                + " (cancel-in-progress)";
        assertEquals(new Status.Cancelled(replaced), a.awaitTerminal());
        assertEquals(new Status.Cancelled(replaced), b.awaitTerminal());
        assertEquals(List.of(RunState.PENDING, RunState.CANCELLED), b.states(), "the waiting run never ran");
        c.awaitState(RunState.RUNNING);
        engine.release(c.runId());
        assertEquals(RunState.SUCCESS, c.awaitTerminal().state());
        assertEquals(List.of(name(a), name(c)), engine.spawned);
    }

    @Test
    @DisplayName("the queue holds across a restart: the running run is resumed, the waiting one still waits, then runs")
    void acrossRestart() {
        start(ProviderHarness.builder(engine));
        TestRun a = push(GROUPED);
        a.awaitState(RunState.RUNNING);
        TestRun b = push(GROUPED);
        awaitLog(b, waitingFor(a));
        WorkflowId aId = a.workflowId();
        WorkflowId bId = b.workflowId();

        h = h.restart();
        TestRun a2 = h.run(aId);
        TestRun b2 = h.run(bId);
        await().atMost(Duration.ofSeconds(10)).until(() -> engine.resumed.contains(name(a2)));
        assertEquals(List.of(a2.runId(), b2.runId()), queue().stream().map(QueueEntry::runId).toList());
        assertEquals(List.of(QueueState.RUNNING, QueueState.WAITING), queue().stream().map(QueueEntry::state).toList());
        assertEquals(List.of(RunState.PENDING), b2.states());
        assertEquals(List.of(name(a2)), engine.spawned, "b was not started by the new runtime");

        engine.release(a2.runId());
        b2.awaitState(RunState.RUNNING);
        engine.release(b2.runId());
        assertEquals(RunState.SUCCESS, b2.awaitTerminal().state());
        assertEquals(List.of(name(a2), name(b2)), engine.spawned);
    }

    @Test
    @DisplayName("a waiting run that is cancelled leaves the queue without reaching its engine; the group goes on")
    void cancelWhileWaiting() {
        start(ProviderHarness.builder(engine));
        TestRun a = push(GROUPED);
        a.awaitState(RunState.RUNNING);
        TestRun b = push(GROUPED);
        awaitLog(b, waitingFor(a));
        b.cancel();
        assertEquals(new Status.Cancelled("cancelled while waiting for its concurrency group"), b.awaitTerminal());
        assertEquals(List.of(a.runId()), queue().stream().map(QueueEntry::runId).toList());

        TestRun c = push(GROUPED);
        awaitLog(c, waitingFor(a));
        engine.release(a.runId());
        c.awaitState(RunState.RUNNING);
        engine.release(c.runId());
        c.awaitTerminal();
        assertEquals(List.of(name(a), name(c)), engine.spawned, "the cancelled run never reached the engine");
    }

    @Test
    @DisplayName("the workflow timeout counts from a run's start, not while it waits for its group")
    void timeoutFromStart() {
        Duration timeout = Duration.ofMillis(1200);
        start(ProviderHarness.builder(engine).workflowTimeout(timeout));
        TestRun a = push(GROUPED);
        TestRun b = push(GROUPED);
        // a is never released: it times out, then b starts and times out in its turn.
        assertInstanceOf(Status.Timeout.class, a.awaitTerminal());
        Status end = b.awaitTerminal();
        assertInstanceOf(Status.Timeout.class, end);
        assertEquals(List.of(RunState.PENDING, RunState.RUNNING, RunState.TIMEOUT), b.states());
        Duration ran = Duration.between(publishedAt(b, RunState.RUNNING), publishedAt(b, RunState.TIMEOUT));
        assertTrue(ran.compareTo(timeout.minusMillis(100)) >= 0, "b ran " + ran + " before its timeout");
        Instant received = Internals.weft(h).store().runs().trigger(b.workflowId().pipeline()).orElseThrow().receivedAt();
        Duration sinceTrigger = Duration.between(received, publishedAt(b, RunState.TIMEOUT));
        assertTrue(sinceTrigger.compareTo(timeout.multipliedBy(2).minusMillis(200)) >= 0,
                "b timed out " + sinceTrigger + " after its trigger: its wait was counted");
    }

    @Test
    @DisplayName("a concurrency block weft cannot use fails its run at dispatch with a clear error; others run on")
    void badInput() {
        start(ProviderHarness.builder(engine));
        List<String[]> cases = List.of(
                new String[]{"concurrency: [a, b]\n", "concurrency must be a group name or a mapping with group and "
                        + "cancel-in-progress, not a list"},
                new String[]{"concurrency: 5\n", "not a number"},
                new String[]{"concurrency:\n  cancel-in-progress: true\n", "concurrency needs a group"},
                new String[]{"concurrency:\n  group: [x]\n", "concurrency.group must be a string, not a list"},
                new String[]{"concurrency:\n  group: deploy\n  cancel-in-progress: \"yes\"\n",
                        "concurrency.cancel-in-progress must be true or false, not a string"},
                new String[]{"concurrency:\n  group: deploy\n  cancel_in_progress: true\n",
                        "concurrency has an unknown key \"cancel_in_progress\""},
                new String[]{"concurrency: " + "g".repeat(10 * 1024) + "\n",
                        "concurrency group is 10240 characters, more than the 256 allowed"});
        for (String[] c : cases) {
            TestRun r = push("engine: held\n" + c[0]);
            Status end = r.awaitTerminal();
            assertInstanceOf(Status.Failed.class, end, c[0]);
            String error = end.error().orElse("");
            assertTrue(error.startsWith("invalid workflow deploy.yml: ") && error.contains(c[1]), error);
            assertTrue(error.length() < 400, "the error does not echo the input: " + error.length());
        }
        assertEquals(List.of(), engine.spawned);
        TestRun ok = push(GROUPED);
        ok.awaitState(RunState.RUNNING);
        engine.release(ok.runId());
        assertEquals(RunState.SUCCESS, ok.awaitTerminal().state());
    }

    /** A pipeline weft built itself for the repository {@code repoDid}, handed to the runtime as the builder does. */
    private TestRun built(String repoDid, String yaml) {
        String rkey = dev.weft.wire.Tid.of(Instant.now().toEpochMilli() * 1000, COMMITS.incrementAndGet() & 0x3ff);
        dev.weft.model.Trigger t = new dev.weft.model.Trigger(new dev.weft.model.PipelineId(ProviderHarness.KNOT, rkey),
                new dev.weft.model.RepoRef(ProviderHarness.KNOT, ProviderHarness.DID, "3k" + repoDid.hashCode(), "main", repoDid),
                new dev.weft.model.TriggerKind.Push("refs/heads/main", String.format("%040x", COMMITS.get()), "0".repeat(40)),
                List.of(new dev.weft.model.Workflow("deploy.yml", HeldEngine.NAME, null, yaml)), Instant.now());
        Internals.weft(h).runs().accept(t);
        return h.run(new WorkflowId(t.pipeline(), "deploy.yml"));
    }

    @Test
    @DisplayName("groups are per repository: one group name in two repositories does not make them wait for each other")
    void perRepository() {
        start(ProviderHarness.builder(engine));
        TestRun a = built("did:plc:repoone", GROUPED);
        TestRun other = built("did:plc:repotwo", GROUPED);
        a.awaitState(RunState.RUNNING);
        other.awaitState(RunState.RUNNING);
        TestRun b = built("did:plc:repoone", GROUPED);
        awaitLog(b, waitingFor(a));
        ConcurrencyQueues queues = new ConcurrencyQueues(Internals.weft(h).store().concurrency());
        assertEquals(List.of("did:plc:repoone", "did:plc:repotwo"),
                queues.named("deploy-main").stream().map(ConcurrencyQueues.GroupQueue::repo).toList());
        assertEquals(List.of(b.runId()), queues.queue("did:plc:repoone", "deploy-main").waiting().stream()
                .map(QueueEntry::runId).toList());
        engine.release(a.runId());
        engine.release(other.runId());
        b.awaitState(RunState.RUNNING);
        engine.release(b.runId());
        assertEquals(RunState.SUCCESS, b.awaitTerminal().state());
    }
}
