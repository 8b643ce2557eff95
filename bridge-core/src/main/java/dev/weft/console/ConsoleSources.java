package dev.weft.console;

import dev.weft.builds.PipelineBuilder;
import dev.weft.model.RepoRef;
import dev.weft.model.Trigger;
import dev.weft.model.WorkflowId;
import dev.weft.notifications.Notifications.FailureSummary;
import dev.weft.runs.RunManager.CancelOutcome;
import dev.weft.store.OperatorSessionStore;
import dev.weft.store.PipelineQueries;
import dev.weft.store.RunRecord;
import dev.weft.store.RunStore;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * What the console reads and what its actions call, each the runtime's own: the store's queries,
 * the notifications' failure summaries and appview links, the daemon's state, the run runtime's
 * cancel and the manual-run path's re-run, and the store's operator sessions.
 */
public record ConsoleSources(PipelineQueries pipelines, RunStore runs, Failures failures, AppviewLinks appview,
                             Supplier<SystemStatus> system, Operations operations, OperatorSessionStore sessions) {
    public ConsoleSources {
        Objects.requireNonNull(sessions, "sessions");
        Objects.requireNonNull(pipelines, "pipelines");
        Objects.requireNonNull(runs, "runs");
        Objects.requireNonNull(failures, "failures");
        Objects.requireNonNull(appview, "appview");
        Objects.requireNonNull(system, "system");
        Objects.requireNonNull(operations, "operations");
    }

    /** Why a run failed, with advice ({@code Notifications.failure}); empty when it did not fail. */
    @FunctionalInterface
    public interface Failures {
        Optional<FailureSummary> of(RunRecord run, Trigger trigger);
    }

    /** The appview's page of a workflow ({@code Notifications.appviewLink}). */
    @FunctionalInterface
    public interface AppviewLinks {
        String workflow(RepoRef repo, String rkey, String workflow);
    }

    /** The operator actions. Both may block; the console calls them on a request's virtual thread. */
    public interface Operations {
        /** Cancels one workflow through the run runtime (as {@code cancelPipeline} does). */
        CancelOutcome cancel(WorkflowId workflow);

        /**
         * Runs {@code previous}'s trigger again as a new pipeline ({@code CiXrpc.rerun}), only the
         * named workflows when not empty.
         */
        PipelineBuilder.Result rerun(String caller, Trigger previous, Set<String> workflows) throws InterruptedException;
    }

    /**
     * The daemon's state as the console's system page shows it.
     *
     * @param storeStatus {@code ok}, or what is wrong with the store
     * @param knots       each consumed knot and whether its stream is connected
     * @param jetstream   the Jetstream subscriptions (discovery, pull requests); empty when off
     * @param providers   each configured engine and how many runs it drives now
     * @param notifiers   each notifier and its consecutive failed deliveries (0 = healthy)
     */
    public record SystemStatus(String version, String instance, String storeStatus, Set<String> leases,
                               List<Connection> knots, List<Connection> jetstream, List<Provider> providers,
                               List<Notifier> notifiers, List<dev.weft.concurrency.ConcurrencyQueues.GroupQueue> queues) {
        public SystemStatus {
            queues = List.copyOf(queues);
            leases = Set.copyOf(leases);
            knots = List.copyOf(knots);
            jetstream = List.copyOf(jetstream);
            providers = List.copyOf(providers);
            notifiers = List.copyOf(notifiers);
        }

        public record Connection(String name, boolean connected) {
        }

        public record Provider(String engine, int activeRuns) {
        }

        public record Notifier(String name, int failing) {
        }
    }
}
