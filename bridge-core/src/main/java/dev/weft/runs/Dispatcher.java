package dev.weft.runs;

import dev.weft.concurrency.ConcurrencyGroups;
import dev.weft.concurrency.ConcurrencySpec;
import dev.weft.model.Status;
import dev.weft.spi.CancelReason;
import dev.weft.spi.Provider;
import dev.weft.spi.RetriableProviderException;
import dev.weft.spi.SecretSupport;
import dev.weft.spi.WorkflowSpecException;
import dev.weft.store.QueueEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/**
 * Hands each loaded run to its engine's provider and drives it: the run becomes active with its
 * workflow timeout set, then, on a run thread of its own, {@code spawn} (or {@code resume} after a
 * restart) is called, again after a backoff for every {@link RetriableProviderException}, and any
 * other failure ends the run {@code failed} with its message.
 *
 * <p>A run whose workflow names a {@code concurrency} group joins the group's queue as it is
 * dispatched (on the dispatching thread, so the queue keeps trigger order), and on its thread waits
 * for its turn before its provider sees it; its workflow timeout starts with its turn.
 *
 * <p>An interrupt means weft is stopping: the provider returns or throws, and the run is left as
 * it is in the store for the next start to resume; nothing is reported for it.
 */
final class Dispatcher {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    /** Attribute marking that spawn was called, so recovery resumes rather than spawns again. */
    static final String SPAWNED = "weft.spawned";

    private final Function<String, Optional<Provider>> providers;
    private final ActiveRuns active;
    private final Deadlines deadlines;
    private final Cancellation cancellation;
    private final RunThreads threads;
    private final Duration retryMin;
    private final Duration retryMax;
    private final ConcurrencyGroups groups;
    private final Clock clock;
    private final Timer latency;

    Dispatcher(Function<String, Optional<Provider>> providers, ActiveRuns active, Deadlines deadlines,
               Cancellation cancellation, RunThreads threads, RunOptions options, ConcurrencyGroups groups,
               Clock clock, MeterRegistry meters) {
        this.groups = groups;
        this.providers = providers;
        this.active = active;
        this.deadlines = deadlines;
        this.cancellation = cancellation;
        this.threads = threads;
        this.retryMin = options.retryMin();
        this.retryMax = options.retryMax();
        this.clock = clock;
        this.latency = Timer.builder("weft.dispatch.latency")
                .description("from a run's creation to its provider's first spawn call")
                .publishPercentiles(0.5, 0.99).register(meters);
    }

    /** Makes {@code h} active and starts its thread; {@code resume} for a run spawned before a restart. */
    void dispatch(RunHandle h, boolean resume) {
        active.add(h);
        ConcurrencySpec concurrency = join(h);
        if (concurrency instanceof ConcurrencySpec.Group) {
            h.waitingInGroup(true);
        } else {
            deadlines.workflowTimeout(h, () -> cancellation.cancel(h, CancelReason.TIMEOUT));
        }
        if (!threads.start("weft-run-" + h.id(), () -> drive(h, resume, concurrency))) {
            active.remove(h);
            log.info("{} not dispatched: weft is stopping; the next start picks it up", h);
        }
    }

    /**
     * Reads the workflow's {@code concurrency} and joins its group's queue (again, idempotently,
     * for a recovered run); a newer run that cancels older ones has them cancelled now.
     */
    private ConcurrencySpec join(RunHandle h) {
        // Only a workflow that mentions the key is parsed here, on the dispatching thread.
        if (h.workflow().isInvalid() || !h.workflow().raw().contains("concurrency")) return ConcurrencySpec.NONE;
        ConcurrencySpec spec = ConcurrencySpec.read(h.spec(), h.variables());
        if (!(spec instanceof ConcurrencySpec.Group g)) return spec;
        try {
            if (!groups.join(h.id(), h.trigger().repo(), g, h.trigger().pipeline().rkey()).isEmpty()) {
                cancellation.supersede();
            }
            return spec;
        } catch (RuntimeException e) {
            log.error("{} could not join concurrency group \"{}\": {}", h, g.name(), e.toString());
            return new ConcurrencySpec.Invalid("could not join concurrency group \"" + g.name() + "\": " + e.getMessage());
        }
    }

    private void drive(RunHandle h, boolean resume, ConcurrencySpec concurrency) {
        try {
            if (h.workflow().isInvalid()) {
                fail(h, h.workflow().invalid());
                return;
            }
            if (concurrency instanceof ConcurrencySpec.Invalid bad) {
                fail(h, "invalid workflow " + h.workflow().name() + ": " + bad.error());
                return;
            }
            if (!resume && h.trigger().untrusted()) {
                h.systemMessage("untrusted source", "this run's code comes from " + h.trigger().sourceRepo()
                        + ", not from " + h.trigger().repo().repoDid() + ": it runs without the repository's secrets");
            }
            // The spec is missing only when the YAML did not parse (or was empty): ask the parser why.
            String yamlError = h.spec().isMissingNode() ? ParsedSpecs.error(h.workflow().raw()) : null;
            if (yamlError != null) {
                fail(h, "invalid workflow YAML in " + h.workflow().name() + ": " + yamlError);
                return;
            }
            Optional<Provider> provider = providers.apply(h.engine());
            if (provider.isEmpty()) {
                fail(h, "unknown engine " + GoQuote.quote(h.engine()));
                return;
            }
            if (h.secretsError() != null) {
                fail(h, h.secretsError());
                return;
            }
            if (!resume && !h.secrets().isEmpty() && provider.get().secretSupport() != SecretSupport.SECURE) {
                fail(h, "repository " + h.trigger().repo().did() + "/" + h.trigger().repo().name() + " has "
                        + h.secrets().size() + " secret(s) and engine " + GoQuote.quote(h.engine())
                        + " cannot keep secrets; the workflow was not started (configure the engine's secret "
                        + "delivery, or remove the repository's secrets)");
                return;
            }
            if (concurrency instanceof ConcurrencySpec.Group && !awaitTurn(h)) return;
            Duration backoff = retryMin;
            while (!h.state().isTerminal()) {
                try {
                    if (resume) {
                        if (!provider.get().resume(h)) {
                            if (threads.stopping()) {
                                leftOpen(h, "resume returned false");
                            } else {
                                fail(h, "weft restarted during the run and engine " + GoQuote.quote(h.engine())
                                        + " cannot continue it");
                            }
                        }
                    } else {
                        if (h.attribute(SPAWNED).isEmpty()) {
                            latency.record(Duration.between(h.createdAt(), clock.instant()));
                        }
                        h.attribute(SPAWNED, "true");
                        provider.get().spawn(h);
                    }
                    return;
                } catch (RetriableProviderException e) {
                    if (threads.stopping()) {
                        leftOpen(h, e.toString());
                        return;
                    }
                    Duration wait = e.retryAfter().orElse(backoff);
                    log.warn("{}: {} (retrying in {})", h, e.getMessage(), wait);
                    if (h.awaitCancel(wait)) {
                        h.offer(new Status.Cancelled("cancelled while waiting to retry: " + e.getMessage()));
                        return;
                    }
                    if (Thread.currentThread().isInterrupted()) {
                        leftOpen(h, "interrupted while waiting to retry");
                        return;
                    }
                    backoff = min(backoff.multipliedBy(2), retryMax);
                } catch (WorkflowSpecException e) {
                    fail(h, e.getMessage());
                    return;
                }
            }
        } catch (InterruptedException e) {
            leftOpen(h, "interrupted");
        } catch (Exception | LinkageError e) {
            if (threads.stopping()) {
                // Most likely the interrupt surfacing as another exception (an interrupted socket, say).
                leftOpen(h, e.toString());
                return;
            }
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            log.warn("{} failed in provider: {}", h, e.toString());
            fail(h, msg);
        }
    }

    /**
     * Waits for the run's turn in its group; true when it may go to its provider, with its
     * workflow timeout set from its turn. A run cancelled while it waited ends {@code cancelled}.
     */
    private boolean awaitTurn(RunHandle h) throws InterruptedException {
        ConcurrencyGroups.Turn turn = groups.awaitTurn(new ConcurrencyGroups.Waiter() {
            @Override
            public long runId() {
                return h.id();
            }

            @Override
            public boolean cancelRequested() {
                return h.cancelRequested() || h.state().isTerminal();
            }

            @Override
            public void waitingFor(QueueEntry ahead, QueueEntry self) {
                String message = ConcurrencyGroups.waitingMessage(ahead, self);
                log.info("{}: {}", h, message);
                h.systemMessage("concurrency", message);
            }
        });
        switch (turn) {
            case ConcurrencyGroups.Turn.Started started -> {
                h.waitingInGroup(false);
                // A cancel that came while it waited, or as it took the group: it never starts.
                if (h.cancelRequested()) {
                    cancelledWaiting(h);
                    return false;
                }
                deadlines.workflowTimeout(h, started.at(), () -> cancellation.cancel(h, CancelReason.TIMEOUT));
                return true;
            }
            case ConcurrencyGroups.Turn.Cancelled c -> {
                cancelledWaiting(h);
                return false;
            }
            case ConcurrencyGroups.Turn.Left l -> {
                log.warn("{} is no longer in its concurrency group's queue (it ended elsewhere?); not started", h);
                return false;
            }
        }
    }

    private static void cancelledWaiting(RunHandle h) {
        if (!h.state().isTerminal()) h.offer(new Status.Cancelled("cancelled while waiting for its concurrency group"));
    }

    /** The provider gave the thread back without a terminal status because weft is stopping. */
    private void leftOpen(RunHandle h, String how) {
        if (h.state().isTerminal()) return;
        if (threads.stopping()) {
            log.info("{}: provider returned ({}) as weft stops; the run stays {} for the next start", h, how,
                    h.state().wireName());
        } else {
            log.warn("{}: provider thread was interrupted ({}) while weft is not stopping; the run stays {}"
                    + " until it is cancelled or times out", h, how, h.state().wireName());
        }
    }

    private void fail(RunHandle h, String message) {
        if (h.state().isTerminal()) return;
        if (!h.offer(new Status.Failed(message, -1))) {
            log.warn("{} could not be failed from {}: {}", h, h.state(), message);
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
