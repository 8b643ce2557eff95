package dev.weft.provider.stub;

import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.spi.Provider;
import dev.weft.spi.ProviderContext;
import dev.weft.spi.ProviderFactory;
import dev.weft.spi.Run;
import dev.weft.spi.SecretSupport;
import dev.weft.testkit.ProviderHarness;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("The stub when weft stops mid-run: interrupted, it returns at once and reports nothing")
class StubInterruptTest {

    @Test
    @DisplayName("a step waiting out its delay ends on the interrupt; the run stays open until the next start")
    void delay() throws Exception {
        interruptedMidRun("""
                engine: stub
                stub:
                  steps:
                    - name: slow
                      output: ["never written"]
                      delay: 1h
                """);
    }

    @Test
    @DisplayName("hang: true ends on the interrupt without reporting cancelled")
    void hang() throws Exception {
        interruptedMidRun("""
                engine: stub
                stub:
                  steps:
                    - name: wait
                      output: ["waiting"]
                  hang: true
                """);
    }

    private static void interruptedMidRun(String yaml) throws Exception {
        Watched stub = new Watched();
        ProviderHarness h = ProviderHarness.builder(stub).start();
        try {
            ProviderHarness.TestRun before = h.push("ci.yml", yaml);
            before.awaitState(RunState.RUNNING);
            int frames = before.logFrames().size();

            h = h.restart();

            assertFalse(stub.thread.get().isAlive(), "spawn's thread ended before close returned");
            assertInstanceOf(InterruptedException.class, stub.thrown.get());
            ProviderHarness.TestRun after = h.run(before.workflowId());
            Status end = after.awaitTerminal();
            // Open after the stop; the stub cannot resume, so the new start fails it.
            assertEquals(RunState.FAILED, end.state(), end.toString());
            assertTrue(end.error().orElse("").contains("weft restarted"), end.toString());
            assertEquals(List.of(RunState.PENDING, RunState.RUNNING, RunState.FAILED), after.states());
            assertFalse(String.join("\n", after.logFrames()).contains("never written"));
            assertTrue(after.logFrames().size() >= frames);
        } finally {
            h.close();
        }
    }

    /** The stub, recording the thread its spawn runs on and what spawn threw. */
    private static final class Watched implements ProviderFactory {
        final AtomicReference<Thread> thread = new AtomicReference<>();
        final AtomicReference<Throwable> thrown = new AtomicReference<>();

        @Override
        public String engine() {
            return "stub";
        }

        @Override
        public Provider create(ProviderContext context) {
            StubProvider stub = new StubProvider();
            return new Provider() {
                @Override
                public void spawn(Run run) throws Exception {
                    thread.set(Thread.currentThread());
                    try {
                        stub.spawn(run);
                    } catch (Exception e) {
                        thrown.set(e);
                        throw e;
                    }
                }

                @Override
                public boolean resume(Run run) throws Exception {
                    return stub.resume(run);
                }

                @Override
                public SecretSupport secretSupport() {
                    return stub.secretSupport();
                }

                @Override
                public void close() {
                    stub.close();
                }
            };
        }
    }
}
