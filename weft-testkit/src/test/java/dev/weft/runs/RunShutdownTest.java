package dev.weft.runs;

import static dev.weft.runs.TestEngines.engine;

import dev.weft.model.RunState;
import dev.weft.spi.ProviderFactory;
import dev.weft.spi.RetriableProviderException;
import dev.weft.testkit.ProviderHarness;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Closing weft ends every run thread: interrupted, awaited within a bound, and the run left for the next start. */
class RunShutdownTest {

    @Test
    @DisplayName("close interrupts a spawn that blocks; its thread has ended when close returns, and the next start resumes the run")
    void blockingSpawnEndsOnClose() throws Exception {
        AtomicReference<Thread> runThread = new AtomicReference<>();
        AtomicReference<Throwable> spawnSaw = new AtomicReference<>();
        CountDownLatch blocked = new CountDownLatch(1);
        AtomicLong resumed = new AtomicLong();
        ProviderFactory blocking = engine("blocking", run -> {
            run.attach("ext-" + run.id(), null);
            run.status().running();
            runThread.set(Thread.currentThread());
            blocked.countDown();
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                spawnSaw.set(e);
                throw e;
            }
        }, run -> {
            resumed.set(run.id());
            assertEquals(RunState.RUNNING, run.state());
            assertEquals("ext-" + run.id(), run.externalId().orElseThrow());
            run.status().success();
            return true;
        });
        ProviderHarness h = ProviderHarness.builder(blocking).start();
        try {
            ProviderHarness.TestRun before = h.push("ci.yml", "engine: blocking\n");
            assertTrue(blocked.await(20, TimeUnit.SECONDS), "spawn started");
            before.awaitState(RunState.RUNNING);
            long runId = before.runId();

            h = h.restart();

            assertFalse(runThread.get().isAlive(), "the run thread ended before close returned");
            assertInstanceOf(InterruptedException.class, spawnSaw.get());
            ProviderHarness.TestRun after = h.run(before.workflowId());
            assertEquals(RunState.SUCCESS, after.awaitTerminal().state());
            assertEquals(runId, resumed.get(), "resume got the interrupted run");
            assertEquals(List.of(RunState.PENDING, RunState.RUNNING, RunState.SUCCESS), after.states(),
                    "no status was reported for the interrupted spawn");
        } finally {
            h.close();
        }
    }

    @Test
    @DisplayName("a run waiting to retry is left open when weft stops, its thread ended")
    void retryWaitEndsOnClose() throws Exception {
        AtomicReference<Thread> runThread = new AtomicReference<>();
        CountDownLatch tried = new CountDownLatch(1);
        ProviderFactory busy = engine("busy", run -> {
            runThread.set(Thread.currentThread());
            tried.countDown();
            throw new RetriableProviderException("backend 503", null, Duration.ofHours(1));
        }, run -> false);
        ProviderHarness h = ProviderHarness.builder(busy).start();
        try {
            ProviderHarness.TestRun r = h.push("ci.yml", "engine: busy\n");
            assertTrue(tried.await(20, TimeUnit.SECONDS), "spawn was called");

            h = h.restart();

            assertFalse(runThread.get().isAlive(), "the run thread ended before close returned");
            // Not failed by the stop: the new start offers it to resume, which declines.
            ProviderHarness.TestRun after = h.run(r.workflowId());
            assertTrue(after.awaitTerminal().error().orElse("").contains("weft restarted"), after.states().toString());
            assertEquals(List.of(RunState.PENDING, RunState.FAILED), after.states());
        } finally {
            h.close();
        }
    }

    @Test
    @DisplayName("a provider that ignores the interrupt is logged by name, and close returns after the stop wait")
    void deafProviderDoesNotHangClose() throws Exception {
        AtomicReference<Thread> runThread = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ProviderFactory deaf = engine("deaf", run -> {
            runThread.set(Thread.currentThread());
            started.countDown();
            while (release.getCount() > 0) {
                try {
                    release.await();
                } catch (InterruptedException ignored) {
                    // deaf on purpose: breaks the SPI
                }
            }
        }, run -> false);
        ProviderHarness h = ProviderHarness.builder(deaf).stopWait(Duration.ofMillis(300)).start();
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            ProviderHarness.TestRun r = h.push("ci.yml", "engine: deaf\n");
            assertTrue(started.await(20, TimeUnit.SECONDS), "spawn started");
            long runId = r.runId();
            System.setErr(new PrintStream(new Tee(err, captured), true, StandardCharsets.UTF_8));
            long t0 = System.nanoTime();
            h.close();
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            System.setErr(err);

            assertTrue(took.compareTo(Duration.ofSeconds(8)) < 0, "close took " + took);
            assertTrue(runThread.get().isAlive(), "the deaf thread is left behind, not waited for");
            String logged = captured.toString(StandardCharsets.UTF_8);
            assertTrue(logged.contains("weft-run-" + runId + " did not end within 300ms"), logged);
        } finally {
            System.setErr(err);
            release.countDown();
            runThread.get().join(Duration.ofSeconds(10));
        }
        assertFalse(runThread.get().isAlive());
    }

    /** Writes to the console and to a buffer. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
