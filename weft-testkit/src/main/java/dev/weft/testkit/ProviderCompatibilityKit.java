package dev.weft.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.spi.ProviderFactory;
import dev.weft.testkit.ProviderHarness.TestRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The SPI contract every provider passes. Extend it from your provider's tests (about forty lines,
 * most of them your workflows), point {@link #env()} at your fake backend, and run it:
 *
 * <pre>{@code
 * class MyProviderCompatibilityTest extends ProviderCompatibilityKit {
 *     MockWebServer backend = ...;                  // started in setUpBackend()
 *     protected ProviderFactory factory() { return new MyProviderFactory(); }
 *     protected Map<String, String> env() { return Map.of("WEFT_MINE_API", backend.url("/").toString()); }
 *     protected String succeedingWorkflow() { return "engine: mine\nmine: {script: pass}\n"; }
 *     protected String failingWorkflow()    { return "engine: mine\nmine: {script: fail}\n"; }
 *     protected String longRunningWorkflow() { return "engine: mine\nmine: {script: hang}\n"; }
 * }
 * }</pre>
 *
 * <p>What it checks: status order and exactly one terminal status; the log contract of the
 * appview (each step opens with a control start, closes with a control end, data in between,
 * step ids dense from 0, {@code step_kind} an int); cancel ends {@code cancelled} confirmed by the
 * provider itself; the workflow timeout ends {@code timeout}; a restart mid-run ends in a terminal
 * status, resumed or failed as the provider declares; and closing, after a run or in the middle of
 * one, leaves no thread behind, virtual threads included: every thread started since the test
 * began, other than the JDK's and shared pools' (see {@link LiveThreads}), must end once weft is
 * closed and the backend torn down ({@link #tearDownBackend()} is then called by the check itself).
 */
public abstract class ProviderCompatibilityKit {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The runtime's own words when a provider ignores a cancel; the kit insists providers confirm. */
    private static final String RUNTIME_OVERRULED = "did not confirm cancellation";

    protected ProviderHarness harness;
    /** The threads alive before this test started its backend and harness. */
    private Set<Long> threadsBefore;
    private boolean backendDown;

    /** The factory under test. */
    protected abstract ProviderFactory factory();

    /** A workflow YAML (with {@code engine:}) that ends {@code success}. */
    protected abstract String succeedingWorkflow();

    /** A workflow YAML that ends {@code failed} with an error message. */
    protected abstract String failingWorkflow();

    /** A workflow YAML that keeps running until cancelled. */
    protected abstract String longRunningWorkflow();

    /**
     * Environment for the provider's configuration (fake backend URLs, tokens). A {@code WEFT_DB}
     * here (a PostgreSQL URL, say) runs the kit against that database instead of a SQLite file.
     */
    protected Map<String, String> env() {
        return Map.of();
    }

    /** Whether the provider carries a run across a restart (true) or declines it (false). */
    protected boolean supportsResume() {
        return false;
    }

    /** Start fake backends here; called before the harness starts. */
    protected void setUpBackend() throws Exception {
    }

    /** Stop fake backends here; called after the harness closed. */
    protected void tearDownBackend() throws Exception {
    }

    /** How long a workflow may take in these tests. */
    protected Duration patience() {
        return Duration.ofSeconds(30);
    }

    @BeforeEach
    final void startKit() throws Exception {
        threadsBefore = LiveThreads.ids();
        setUpBackend();
        harness = newHarness(Duration.ofMinutes(10)).start();
    }

    @AfterEach
    final void stopKit() throws Exception {
        if (harness != null) harness.close();
        if (!backendDown) tearDownBackend();
    }

    private ProviderHarness.Builder newHarness(Duration timeout) {
        return ProviderHarness.builder(factory()).env(env()).workflowTimeout(timeout).cancelGrace(Duration.ofSeconds(60));
    }

    @Nested
    @DisplayName("a workflow that passes")
    class Passing {
        @Test
        @DisplayName("publishes pending, then running, then success, and nothing after")
        void statusOrder() {
            TestRun r = harness.push("ci.yml", succeedingWorkflow());
            Status end = r.awaitTerminal(patience());
            assertEquals(RunState.SUCCESS, end.state(), () -> "ended " + end + "; log " + r.logFrames());
            List<RunState> states = r.states();
            assertEquals(RunState.PENDING, states.get(0), "first status");
            assertTrue(states.contains(RunState.RUNNING), "running reported before success: " + states);
            assertEquals(1, states.stream().filter(RunState::isTerminal).count(), "one terminal status: " + states);
        }

        @Test
        @DisplayName("writes a log every step of which starts before its data and ends after it")
        void logContract() throws Exception {
            TestRun r = harness.push("ci.yml", succeedingWorkflow());
            r.awaitTerminal(patience());
            assertLogContract(r.logFrames());
        }
    }

    @Nested
    @DisplayName("a workflow that fails")
    class Failing {
        @Test
        @DisplayName("ends failed with an error message and an exit code")
        void failed() throws Exception {
            TestRun r = harness.push("ci.yml", failingWorkflow());
            Status end = r.awaitTerminal(patience());
            assertEquals(RunState.FAILED, end.state(), () -> "ended " + end);
            assertFalse(end.error().orElse("").isBlank(), "a failed status says why");
            assertTrue(end.exitCode().isPresent(), "a failed status carries an exit code");
            assertLogContract(r.logFrames());
        }
    }

    @Nested
    @DisplayName("a long-running workflow")
    class LongRunning {
        @Test
        @DisplayName("is cancelled on request, confirmed by the provider")
        void cancel() {
            TestRun r = harness.push("ci.yml", longRunningWorkflow());
            r.awaitState(RunState.RUNNING, patience());
            r.cancel();
            Status end = r.awaitTerminal(patience());
            assertEquals(RunState.CANCELLED, end.state(), () -> "ended " + end);
            assertFalse(end.error().orElse("").contains(RUNTIME_OVERRULED),
                    "the provider confirmed the cancel itself, the runtime did not have to: " + end);
        }

        @Test
        @DisplayName("ends timeout when it runs past the workflow timeout")
        void timeout() throws Exception {
            harness.close();
            harness = newHarness(Duration.ofSeconds(3)).start();
            TestRun r = harness.push("ci.yml", longRunningWorkflow());
            Status end = r.awaitTerminal(patience().plusSeconds(3));
            assertEquals(RunState.TIMEOUT, end.state(), () -> "ended " + end);
            assertFalse(end.error().orElse("").contains(RUNTIME_OVERRULED), "the provider stopped the work: " + end);
        }

        @Test
        @DisplayName("reaches a terminal status after weft restarts mid-run")
        void restart() {
            TestRun before = harness.push("ci.yml", longRunningWorkflow());
            before.awaitState(RunState.RUNNING, patience());
            harness = harness.restart();
            TestRun after = harness.run(before.workflowId());
            if (supportsResume()) {
                assertFalse(after.record().state().isTerminal(), "a resumable run is still open after restart");
                after.cancel();
                assertEquals(RunState.CANCELLED, after.awaitTerminal(patience()).state());
            } else {
                Status end = after.awaitTerminal(patience());
                assertEquals(RunState.FAILED, end.state(), () -> "ended " + end);
                assertTrue(end.error().orElse("").contains("restarted"), "says weft restarted: " + end);
            }
            assertEquals(1, after.states().stream().filter(RunState::isTerminal).count(), after.states().toString());
        }
    }

    @Nested
    @DisplayName("closing")
    class Closing {
        @Test
        @DisplayName("leaves no weft or provider thread running, virtual threads included")
        void noThreadLeak() throws Exception {
            TestRun r = harness.push("ci.yml", succeedingWorkflow());
            r.awaitTerminal(patience());
            harness.close();
            harness = null;
            // The backend's threads are the test's, not the provider's: they end with it.
            backendDown = true;
            tearDownBackend();
            assertCloseLeftNoThread(threadsBefore);
        }

        @Test
        @DisplayName("in the middle of a run leaves no weft or provider thread running, virtual threads included")
        void noThreadLeakMidRun() throws Exception {
            TestRun r = harness.push("ci.yml", longRunningWorkflow());
            r.awaitState(RunState.RUNNING, patience());
            harness.close();
            harness = null;
            backendDown = true;
            tearDownBackend();
            assertCloseLeftNoThread(threadsBefore);
        }
    }

    /**
     * Fails unless every thread started since {@code before} (the ids of {@link LiveThreads#ids()}),
     * virtual threads included, ends within 10 s, apart from the JDK's and shared pools' threads.
     * Call it once weft (and the fake backend) is closed.
     */
    public static void assertCloseLeftNoThread(Set<Long> before) {
        LiveThreads.assertAllEnded(before, Duration.ofSeconds(10), t -> false);
    }

    /**
     * Checks the log contract of spec section 6 on a run's frames: at least one frame; for every
     * step, a control start first and a control end last, data lines only in between, dense step
     * ids from 0, an int {@code step_kind} when present.
     */
    public static void assertLogContract(List<String> frames) throws Exception {
        if (frames.isEmpty()) fail("no /logs frames at all: every run writes at least one step");
        Map<Long, List<JsonNode>> bySteps = new HashMap<>();
        for (String f : frames) {
            JsonNode n = JSON.readTree(f);
            if (n.has("step_kind") && !n.get("step_kind").isInt()) fail("step_kind must be an int: " + f);
            bySteps.computeIfAbsent(n.get("step_id").asLong(), k -> new ArrayList<>()).add(n);
        }
        for (long id = 0; id < bySteps.size(); id++) {
            List<JsonNode> lines = bySteps.get(id);
            if (lines == null) fail("step ids are not dense: missing " + id + " in " + bySteps.keySet());
            JsonNode first = lines.get(0);
            JsonNode last = lines.get(lines.size() - 1);
            assertEquals("control", first.get("kind").asText(), "step " + id + " opens with control");
            assertEquals("start", first.get("step_status").asText(), "step " + id + " opens with start");
            assertEquals("control", last.get("kind").asText(), "step " + id + " closes with control");
            assertEquals("end", last.get("step_status").asText(), "step " + id + " closes with end");
            for (JsonNode mid : lines.subList(1, lines.size() - 1)) {
                assertNotEquals("control", mid.get("kind").asText(), "only data between start and end of step " + id);
            }
        }
    }
}
