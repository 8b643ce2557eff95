package dev.weft.daemon;

import dev.weft.spi.CancelReason;
import dev.weft.spi.Provider;
import dev.weft.spi.ProviderContext;
import dev.weft.spi.ProviderFactory;
import dev.weft.spi.Run;
import dev.weft.spi.Step;

import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * The {@code ha} engine of the several-instance tests: each test says what a run does when spawned
 * and what it notes on a resume; a resumed run then succeeds, and a cancel is confirmed at once.
 */
final class HaEngine {
    static final String NAME = "ha";

    /** What a spawned run does (it may block; an instance's stop interrupts it). */
    @FunctionalInterface
    interface Work {
        void run(Run run) throws Exception;
    }

    private HaEngine() {
    }

    static ProviderFactory of(Work spawn, Consumer<Run> onResume) {
        return new ProviderFactory() {
            @Override
            public String engine() {
                return NAME;
            }

            @Override
            public Provider create(ProviderContext context) {
                return new Provider() {
                    @Override
                    public void spawn(Run run) throws Exception {
                        spawn.run(run);
                    }

                    @Override
                    public boolean resume(Run run) {
                        onResume.accept(run);
                        run.status().success();
                        return true;
                    }

                    @Override
                    public void cancel(Run run, CancelReason reason) {
                        run.status().cancelled("cancelled by request");
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
    }

    /**
     * Goes running, prints {@code hello from <instance>} in a step, waits for {@code finish}
     * (interrupted when the instance dies: the run stays open for adoption), prints
     * {@code bye from <instance>}, ends the step and succeeds.
     */
    static void helloBye(Run run, String instance, CountDownLatch finish) throws InterruptedException {
        run.status().running();
        Step step = run.log().startStep("build", "make");
        step.out("hello from " + instance);
        finish.await();
        step.out("bye from " + instance);
        step.end();
        run.status().success();
    }
}
