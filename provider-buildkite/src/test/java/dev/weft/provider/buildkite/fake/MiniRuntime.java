package dev.weft.provider.buildkite.fake;

import dev.weft.spi.CancelReason;
import dev.weft.spi.Provider;
import dev.weft.spi.RetriableProviderException;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the runtime does around a provider, reduced to what component tests need: spawn/resume on a
 * virtual thread, a retriable exception retried after a short pause, any other exception ending the
 * run failed with its message (shown as a system step), and cancel flagging the run first.
 */
public final class MiniRuntime {
    public final AtomicInteger spawnCalls = new AtomicInteger();

    public CompletableFuture<Void> spawn(Provider p, FakeRun run) {
        return start(run, () -> {
            spawnCalls.incrementAndGet();
            p.spawn(run);
            return true;
        });
    }

    public CompletableFuture<Void> resume(Provider p, FakeRun run) {
        return start(run, () -> p.resume(run));
    }

    public void cancel(Provider p, FakeRun run, CancelReason reason) throws Exception {
        run.requestCancel(reason);
        p.cancel(run, reason);
    }

    private interface Body {
        boolean run() throws Exception;
    }

    private CompletableFuture<Void> start(FakeRun run, Body body) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                for (int attempt = 1; ; attempt++) {
                    try {
                        if (!body.run()) fail(run, "weft restarted during the run");
                        break;
                    } catch (RetriableProviderException e) {
                        if (attempt >= 5) {
                            fail(run, e.getMessage());
                            break;
                        }
                        Thread.sleep(Duration.ofMillis(100));
                    }
                }
                done.complete(null);
            } catch (Throwable e) {
                if (!run.state().isTerminal()) fail(run, String.valueOf(e.getMessage()));
                done.complete(null);
            }
        });
        return done;
    }

    private static void fail(FakeRun run, String message) {
        if (run.state().isTerminal()) return;
        var s = run.log().startSystemStep("error");
        s.out(message);
        s.end();
        run.status().failed(message, -1);
    }
}
