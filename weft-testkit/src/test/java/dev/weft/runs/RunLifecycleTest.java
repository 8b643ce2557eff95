package dev.weft.runs;

import static dev.weft.runs.TestEngines.engine;

import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.spi.IllegalTransitionException;
import dev.weft.spi.RetriableProviderException;
import dev.weft.testkit.Internals;
import dev.weft.testkit.ProviderHarness;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The runtime's side of the SPI contract, exercised with tiny providers written inline. */
class RunLifecycleTest {

    /** A provider made of one spawn function. */
    @Test
    @DisplayName("an illegal transition throws, naming the provider and the run, and changes nothing")
    void illegalTransition() {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        try (ProviderHarness h = ProviderHarness.builder(engine("bad", run -> {
            run.status().running();
            run.status().success();
            try {
                run.status().running();
            } catch (IllegalTransitionException e) {
                thrown.set(e);
            }
        })).start()) {
            ProviderHarness.TestRun r = h.push("ci.yml", "engine: bad\n");
            assertEquals(RunState.SUCCESS, r.awaitTerminal().state());
            // The success is on /events before the provider's thread reaches its next line.
            org.awaitility.Awaitility.await().until(() -> thrown.get() != null);
            assertInstanceOf(IllegalTransitionException.class, thrown.get());
            assertTrue(thrown.get().getMessage().contains("provider 'bad'"), thrown.get().getMessage());
            assertEquals(List.of(RunState.PENDING, RunState.RUNNING, RunState.SUCCESS), r.states());
        }
    }

    @Test
    @DisplayName("a retriable failure is retried with backoff; a fatal one fails the run with its message")
    void retries() {
        AtomicInteger calls = new AtomicInteger();
        try (ProviderHarness h = ProviderHarness.builder(
                engine("flaky", run -> {
                    if (calls.incrementAndGet() < 3) throw new RetriableProviderException("backend 503");
                    run.status().running();
                    run.status().success();
                }),
                engine("broken", run -> {
                    throw new IllegalStateException("backend said no");
                })).start()) {
            assertEquals(RunState.SUCCESS, h.push("a.yml", "engine: flaky\n").awaitTerminal().state());
            assertEquals(3, calls.get());
            assertEquals(1, h.meters().get("weft.dispatch.latency").timer().count(),
                    "dispatch latency is the wait for the first spawn call, not one per retry");
            // Another commit: the same push again would be a replay, claimed already (spec tangled-ci 2.2).
            Status failed = h.push("b.yml", "engine: broken\n", "refs/heads/main", "b".repeat(40)).awaitTerminal();
            assertEquals(new Status.Failed("backend said no", -1), failed);
        }
    }

    @Test
    @DisplayName("a provider that never confirms a cancel is overruled after the grace period")
    void cancelGrace() {
        try (ProviderHarness h = ProviderHarness.builder(engine("deaf", run -> run.status().running()))
                .cancelGrace(Duration.ofMillis(300)).start()) {
            ProviderHarness.TestRun r = h.push("ci.yml", "engine: deaf\n");
            r.awaitState(RunState.RUNNING);
            r.cancel();
            Status end = r.awaitTerminal();
            assertEquals(RunState.CANCELLED, end.state());
            assertTrue(end.error().orElse("").contains("did not confirm cancellation within 300ms"), end.toString());
        }
    }

    @Test
    @DisplayName("a timeout ends timeout even when the provider reports the cancel as cancelled")
    void timeoutTranslated() {
        try (ProviderHarness h = ProviderHarness.builder(engine("polite", run -> {
            run.status().running();
            while (!run.awaitCancel(Duration.ofSeconds(1))) {
                // wait
            }
            run.status().cancelled("build canceled");
        })).workflowTimeout(Duration.ofMillis(500)).start()) {
            Status end = h.push("ci.yml", "engine: polite\n").awaitTerminal();
            assertEquals(new Status.Timeout("workflow timed out after 500ms"), end);
        }
    }

    @Test
    @DisplayName("no status is published before the first-status delay, and one workflow's statuses keep the gap")
    void pacing() {
        try (ProviderHarness h = ProviderHarness.builder(engine("fast", run -> {
            run.status().running();
            run.status().success();
        })).statusDelays(Duration.ofMillis(400), Duration.ofMillis(300)).start()) {
            ProviderHarness.TestRun r = h.push("ci.yml", "engine: fast\n");
            r.awaitTerminal();
            assertEquals(List.of(RunState.PENDING, RunState.RUNNING, RunState.SUCCESS), r.states());
            List<dev.weft.model.StatusEvent> events = Internals.weft(h).store().statuses().eventsAfter(0, 10);
            java.time.Instant received = Internals.weft(h).store().runs().trigger(r.workflowId().pipeline()).orElseThrow().receivedAt();
            assertTrue(!events.get(0).createdAt().isBefore(received.plusMillis(400)), "first status waits for the delay");
            for (int i = 1; i < events.size(); i++) {
                Duration gap = Duration.between(events.get(i - 1).createdAt(), events.get(i).createdAt());
                assertTrue(gap.compareTo(Duration.ofMillis(300)) >= 0, "gap " + gap + " between statuses " + i);
            }
        }
    }

    @Test
    @DisplayName("weft.log.frames counts every /logs frame written")
    void logFramesCounted() {
        try (ProviderHarness h = ProviderHarness.builder(engine("talker", run -> {
            run.status().running();
            dev.weft.spi.Step s = run.log().startStep("talk", "say");
            s.out("one");
            s.err("two");
            s.end();
            run.status().success();
        })).start()) {
            ProviderHarness.TestRun r = h.push("ci.yml", "engine: talker\n");
            r.awaitTerminal();
            int frames = r.logFrames().size();
            assertTrue(frames >= 4, r.logFrames().toString());
            assertEquals(frames, h.meters().get("weft.log.frames").functionCounter().count());
        }
    }
}
