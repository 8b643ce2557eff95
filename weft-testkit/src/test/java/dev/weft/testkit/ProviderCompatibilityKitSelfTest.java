package dev.weft.testkit;

import dev.weft.spi.Provider;
import dev.weft.spi.ProviderContext;
import dev.weft.spi.ProviderFactory;
import dev.weft.spi.Run;
import dev.weft.spi.Step;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kit's own checks must be able to fail: the thread check against a provider that leaves a
 * virtual thread running after close, the log contract against a run with no frames at all.
 */
@DisplayName("ProviderCompatibilityKit checks")
class ProviderCompatibilityKitSelfTest {

    /** Every poller any provider here started, so a leaked one is still stopped after the test. */
    static final Set<Thread> POLLERS = ConcurrentHashMap.newKeySet();

    @AfterEach
    void stopLeftovers() throws InterruptedException {
        for (Thread t : POLLERS) {
            t.interrupt();
            t.join(Duration.ofSeconds(5));
        }
        POLLERS.clear();
    }

    @Test
    @DisplayName("the closing check fails a provider that leaves a virtual thread running, naming it")
    void leakyProviderFails() throws Exception {
        Kit kit = new Kit(new PollingProviderFactory("leaky", false));
        kit.startKit();
        try {
            AssertionError e = assertThrows(AssertionError.class, () -> kit.new Closing().noThreadLeak());
            assertTrue(e.getMessage().contains("threads left after close (1)")
                    && e.getMessage().contains("virtual thread #") && e.getMessage().contains("\"leaky-poller\""),
                    e.getMessage());
            Thread poller = POLLERS.iterator().next();
            assertTrue(poller.isAlive(), "the poller outlived close");
            // What the kit used to look at cannot see it at all.
            assertFalse(Thread.getAllStackTraces().containsKey(poller), "getAllStackTraces lists no virtual thread");
        } finally {
            kit.stopKit();
        }
    }

    @Test
    @DisplayName("the closing check passes a provider that stops its virtual thread on close")
    void tidyProviderPasses() throws Exception {
        Kit kit = new Kit(new PollingProviderFactory("tidy", true));
        kit.startKit();
        try {
            kit.new Closing().noThreadLeak();
            assertFalse(POLLERS.isEmpty(), "the provider did start a poller");
            assertTrue(POLLERS.stream().noneMatch(Thread::isAlive));
        } finally {
            kit.stopKit();
        }
    }

    @Test
    @DisplayName("the log contract fails when there are no frames at all")
    void noFramesFail() throws Exception {
        AssertionError e = assertThrows(AssertionError.class, () -> ProviderCompatibilityKit.assertLogContract(List.of()));
        assertTrue(e.getMessage().contains("no /logs frames"), e.getMessage());
        ProviderCompatibilityKit.assertLogContract(List.of(
                "{\"kind\":\"control\",\"content\":\"s\",\"time\":\"2026-01-01T00:00:00Z\",\"step_id\":0,\"step_status\":\"start\",\"step_kind\":1}",
                "{\"kind\":\"data\",\"content\":\"x\",\"time\":\"2026-01-01T00:00:00Z\",\"step_id\":0,\"stream\":\"stdout\"}",
                "{\"kind\":\"control\",\"content\":\"s\",\"time\":\"2026-01-01T00:00:00Z\",\"step_id\":0,\"step_status\":\"end\",\"step_kind\":1}"));
    }

    /** The kit around one factory; its tests are called by hand, one at a time. */
    static final class Kit extends ProviderCompatibilityKit {
        private final ProviderFactory factory;

        Kit(ProviderFactory factory) {
            this.factory = factory;
        }

        @Override
        protected ProviderFactory factory() {
            return factory;
        }

        @Override
        protected String succeedingWorkflow() {
            return "engine: " + factory.engine() + "\n";
        }

        @Override
        protected String failingWorkflow() {
            throw new UnsupportedOperationException("only the closing check is run");
        }

        @Override
        protected String longRunningWorkflow() {
            throw new UnsupportedOperationException("only the closing check is run");
        }
    }

    /** Providers that succeed at once but keep a virtual "poller" thread until closed. */
    record PollingProviderFactory(String engine, boolean stopsPollerOnClose) implements ProviderFactory {
        @Override
        public Provider create(ProviderContext context) {
            return new PollingProvider(engine, stopsPollerOnClose);
        }
    }

    static final class PollingProvider implements Provider {
        private final String engine;
        private final boolean stopsPollerOnClose;
        private final Set<Thread> mine = ConcurrentHashMap.newKeySet();

        PollingProvider(String engine, boolean stopsPollerOnClose) {
            this.engine = engine;
            this.stopsPollerOnClose = stopsPollerOnClose;
        }

        @Override
        public void spawn(Run run) {
            Thread poller = Thread.ofVirtual().name(engine + "-poller").start(() -> {
                try {
                    Thread.sleep(Duration.ofDays(1));
                } catch (InterruptedException e) {
                    // stopped
                }
            });
            mine.add(poller);
            POLLERS.add(poller);
            run.status().running();
            Step step = run.log().startStep("poll", "poll");
            step.out("polling in the background");
            step.end();
            run.status().success();
        }

        @Override
        public void close() {
            if (!stopsPollerOnClose) return;
            for (Thread t : mine) {
                t.interrupt();
                try {
                    t.join(Duration.ofSeconds(5));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
