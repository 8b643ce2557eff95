package dev.weft.runs;

import dev.weft.discovery.RepoRegistry;
import dev.weft.knot.TriggerSink;
import dev.weft.model.RepoRef;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.status.StatusPublisher;
import dev.weft.store.RunRecord;
import dev.weft.store.RunStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Optional;

/**
 * Where triggers come in: a trigger of an unregistered repository is dropped; otherwise its intent
 * (the trigger and one {@code pending} run per workflow, queued for publication) is written in one
 * transaction, and only then are its runs dispatched. A trigger seen before is a no-op, which is
 * what makes knot replays and reconnects harmless.
 */
final class RunIntake implements TriggerSink {
    private static final Logger log = LoggerFactory.getLogger(RunIntake.class);

    private final RepoRegistry registry;
    private final RunStore store;
    private final Pacing pacing;
    private final StatusPublisher publisher;
    private final RunLoader loader;
    private final Dispatcher dispatcher;
    private final Counter accepted;
    private final Counter duplicates;
    private final Counter unregistered;

    RunIntake(RepoRegistry registry, RunStore store, Pacing pacing, StatusPublisher publisher, RunLoader loader,
              Dispatcher dispatcher, MeterRegistry meters) {
        this.registry = registry;
        this.store = store;
        this.pacing = pacing;
        this.publisher = publisher;
        this.loader = loader;
        this.dispatcher = dispatcher;
        this.accepted = Counter.builder("weft.triggers").tag("outcome", "accepted").register(meters);
        this.duplicates = Counter.builder("weft.triggers").tag("outcome", "duplicate").register(meters);
        this.unregistered = Counter.builder("weft.triggers").tag("outcome", "unregistered").register(meters);
    }

    /**
     * Pipelines the builder compiled belong to repositories known by their DID, which it resolved
     * against the registry itself; legacy records name (knot, owner, name).
     */
    private static boolean builtByWeft(Trigger trigger) {
        return trigger.repo().hasRepoDid();
    }

    /** The repository as registered: with its DID when it has one, which is how refUpdates name it. */
    private RepoRef registered(RepoRef legacy) {
        return registry.byName(legacy.knot(), legacy.did(), legacy.name()).filter(RepoRef::hasRepoDid).orElse(legacy);
    }

    @Override
    public Outcome accept(Trigger trigger) {
        Intake in = intake(trigger);
        if (in == null) return Outcome.UNREGISTERED;
        Accepted a = in.outcome(store.insertTrigger(trigger, in.pendingAt(), in.claim()));
        a.then().run();
        return a.outcome();
    }

    /**
     * {@link #accept}, pipelined (the knot consumer's path): the insert is queued, and the
     * publisher is woken on the store's thread as soon as it is durable, so the {@code pending}
     * statuses go out without waiting for the consumer; dispatching the runs is left to the
     * consumer's {@link Accepted#then}, in stream order.
     */
    @Override
    public CompletableFuture<Accepted> acceptLater(Trigger trigger) {
        Intake in = intake(trigger);
        if (in == null) return CompletableFuture.completedFuture(new Accepted(Outcome.UNREGISTERED, Accepted.NOTHING));
        return store.insertTriggerLater(trigger, in.pendingAt(), in.claim()).thenApply(in::outcome);
    }

    /** A trigger of a registered repository, with when its first status may go out and its push claim. */
    private final class Intake {
        private final Trigger trigger;
        private final long pendingAt;
        private final String claim;

        Intake(Trigger trigger, long pendingAt, String claim) {
            this.trigger = trigger;
            this.pendingAt = pendingAt;
            this.claim = claim;
        }

        long pendingAt() {
            return pendingAt;
        }

        String claim() {
            return claim;
        }

        /** What the durable insert means; for a new trigger, wakes the publisher now and dispatches in {@code then}. */
        Accepted outcome(Optional<List<RunRecord>> runs) {
            if (runs.isEmpty()) {
                duplicates.increment();
                log.info("trigger {} already seen: not spawned again", trigger.pipeline());
                return new Accepted(Outcome.DUPLICATE, Accepted.NOTHING);
            }
            accepted.increment();
            log.info("trigger accepted: {} {} for {} with {} workflow(s)", trigger.kind().wireName(), trigger.pipeline(),
                    trigger.repo().key(), runs.get().size());
            publisher.poke();
            List<RunRecord> written = runs.get();
            return new Accepted(Outcome.ACCEPTED, () -> {
                for (RunHandle h : loader.loadNew(written, trigger, pendingAt)) dispatcher.dispatch(h, false);
            });
        }
    }

    /** The intake of a trigger, or null (counted and logged) when its repository is not registered. */
    private Intake intake(Trigger trigger) {
        if (!registry.isRegistered(trigger.repo().key()) && !builtByWeft(trigger)) {
            unregistered.increment();
            log.debug("trigger {} dropped: repository {} is not registered to this spindle",
                    trigger.pipeline(), trigger.repo().key());
            return null;
        }
        long pendingAt = pacing.firstStatusAt(trigger.receivedAt());
        // A legacy knot's push claims the push, so that the same push announced again as a
        // refUpdate (a transitional knot) is not built a second time. Pipelines weft built itself
        // claimed theirs when the request was accepted.
        String claim = null;
        if (trigger.kind() instanceof TriggerKind.Push p && !builtByWeft(trigger)) {
            // Only a repository known by its DID can also be announced by refUpdates (a
            // transitional knot); a purely legacy one keeps exactly today's behaviour.
            RepoRef registered = registered(trigger.repo());
            if (registered.hasRepoDid()) claim = Claims.push(registered, p.ref(), p.oldSha(), p.newSha());
        }
        return new Intake(trigger, pendingAt, claim);
    }
}
