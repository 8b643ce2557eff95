package dev.weft.concurrency;

import dev.weft.spi.Provider;
import dev.weft.spi.ProviderContext;
import dev.weft.spi.ProviderFactory;
import dev.weft.spi.Run;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An engine whose runs go {@code running} and stay there until the test {@link #release}s them
 * (they then succeed) or their cancel is requested (they then report {@code cancelled}, as a
 * backend would). It resumes after a restart the same way, and remembers every run it was handed,
 * in order, across restarts: the factory outlives the runtimes it is given to.
 */
final class HeldEngine implements ProviderFactory {
    static final String NAME = "held";

    /** Workflow names ({@code <pipeline rkey>/<workflow>}) in the order spawn saw them. */
    final List<String> spawned = new CopyOnWriteArrayList<>();
    final List<String> resumed = new CopyOnWriteArrayList<>();
    private final Set<Long> released = ConcurrentHashMap.newKeySet();

    void release(long runId) {
        released.add(runId);
    }

    @Override
    public String engine() {
        return NAME;
    }

    @Override
    public Provider create(ProviderContext context) {
        return new Provider() {
            @Override
            public void spawn(Run run) throws Exception {
                spawned.add(name(run));
                run.status().running();
                hold(run);
            }

            @Override
            public boolean resume(Run run) throws Exception {
                resumed.add(name(run));
                hold(run);
                return true;
            }

            @Override
            public void close() {
            }
        };
    }

    static String name(Run run) {
        return run.workflowId().pipeline().rkey() + "/" + run.workflowId().name();
    }

    private void hold(Run run) {
        while (!released.contains(run.id())) {
            if (run.awaitCancel(Duration.ofMillis(20))) {
                run.status().cancelled("build canceled");
                return;
            }
            if (Thread.currentThread().isInterrupted()) return;
        }
        run.status().success();
    }
}
