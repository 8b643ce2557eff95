package dev.weft.daemon;

import dev.weft.spi.CancelReason;
import dev.weft.spi.Provider;
import dev.weft.spi.ProviderContext;
import dev.weft.spi.ProviderFactory;
import dev.weft.spi.Run;
import dev.weft.spi.Step;
import dev.weft.spi.WebhookResponse;

import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The {@code ha} engine of the several-instance tests: each test says what a run does when spawned,
 * what a resume does (by default: noted, then the run succeeds) and, if it needs one, what the
 * engine's webhook does with a run; a cancel is confirmed at once.
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
        return of(spawn, run -> {
            onResume.accept(run);
            run.status().success();
            return true;
        }, null);
    }

    /**
     * @param resume what a resume does; false when the run is not resumed
     * @param hook   when not null, the engine's webhook ({@code POST /hooks/ha} with a run id in the
     *               body) finds that run on the instance it reached and hands it to {@code hook}
     */
    static ProviderFactory of(Work spawn, Predicate<Run> resume, Consumer<Run> hook) {
        return new ProviderFactory() {
            @Override
            public String engine() {
                return NAME;
            }

            @Override
            public Provider create(ProviderContext context) {
                if (hook != null) {
                    context.webhooks().mount(request -> {
                        hook.accept(context.runs().byId(Long.parseLong(request.bodyText().strip())).orElseThrow());
                        return WebhookResponse.ok();
                    });
                }
                return new Provider() {
                    @Override
                    public void spawn(Run run) throws Exception {
                        spawn.run(run);
                    }

                    @Override
                    public boolean resume(Run run) {
                        return resume.test(run);
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
