package dev.weft.store;

import java.util.List;
import java.util.Optional;
import java.util.function.LongFunction;

/**
 * The notification outbox and its incidents. Statuses worth a notification are queued by
 * {@link RunStore#transition} in the status's own transaction ({@link PendingNotice}); one worker
 * turns each into outbox rows with {@link #queue}, atomically with the incident change it implies,
 * so a restart neither loses nor doubles a notification.
 */
public interface NotificationStore {
    /** A run's status to consider, as {@link RunStore#transition} queued it. */
    record PendingNotice(long seq, long runId, String state) {
    }

    /** The open incident of a scope ({@code repo|workflow|branch}). */
    record Incident(long id, String scope, long openedAt, String step, Long exitCode) {
    }

    /** What handling one pending notice does to its scope's incident: a closed set. */
    sealed interface IncidentChange {
        /** No incident involved (success without incident, started, cancelled). */
        record None() implements IncidentChange {
        }

        /** The first failure of a scope opens its incident. */
        record Open(String scope, long at, String step, Long exitCode, String pipeline) implements IncidentChange {
        }

        /** A further failure within the incident: remember what failed last. */
        record Update(long id, String step, Long exitCode, String pipeline) implements IncidentChange {
        }

        /** The pass that ends the incident. */
        record Close(long id, long at) implements IncidentChange {
        }
    }

    /**
     * One outbox row to write: the serialised notification for one notifier, tied to the change's
     * incident, or to {@code incidentId} when not null (an update of another incident's message).
     */
    record NewNotice(String id, String notifier, String body, Long incidentId) {
        public NewNotice(String id, String notifier, String body) {
            this(id, notifier, body, null);
        }
    }

    /** One outbox row due for delivery. */
    record OutboxNotice(String id, String notifier, Long incidentId, String body, int attempts, long createdAt) {
    }

    /** Up to {@code limit} pending notices, oldest first. */
    List<PendingNotice> pending(int limit);

    Optional<Incident> openIncident(String scope);

    /**
     * In one transaction: applies {@code change}, writes the rows {@code notices} makes from the
     * incident's id (0 for {@link IncidentChange.None}; a pure function, called inside the
     * transaction), ignoring any already queued under the same id and notifier, and deletes the
     * pending notice {@code seq}. Returns the incident's id, or 0.
     */
    long queue(long seq, IncidentChange change, LongFunction<List<NewNotice>> notices, long nowMillis);

    /**
     * Deletes the pending notices {@code seqs} in one transaction, nothing queued for them: what an
     * instance with no notifier configured does with every status, one batch per write.
     */
    void discard(List<Long> seqs);

    /**
     * Up to {@code limit} queued rows of {@code notifier} whose next attempt is due at
     * {@code nowMillis}, oldest first, leaving out any row with an older row of the same incident
     * still queued (an update never overtakes the message it updates, nor a fix the failure it
     * ends). Per notifier, so that one notifier's delivery lane never waits for another's.
     */
    List<OutboxNotice> due(String notifier, long nowMillis, int limit);

    /** The notifiers that have rows still queued (to find rows of a notifier no longer configured). */
    List<String> queuedNotifiers();

    /** Delivered; {@code ref} (when not null) is remembered for the incident and notifier. */
    void delivered(String id, String notifier, Long incidentId, String ref);

    /** Failed this time; tried again no sooner than {@code nextAt}. */
    void retryLater(String id, String notifier, long nextAt, String error);

    /** Given up: kept, with why, for the operator; never retried. */
    void giveUp(String id, String notifier, String error);

    /** Open incidents whose last failure was in {@code pipeline} (its AT-URI), oldest first. */
    List<Long> openIncidentsOfPipeline(String pipeline);

    /** The body of the newest row queued for an incident and notifier, to re-render its message. */
    Optional<String> lastBody(long incidentId, String notifier);

    /** The ref a notifier remembered for an incident (a Slack ts). */
    Optional<String> incidentRef(long incidentId, String notifier);

    /** Rows still queued, per notifier (the backlog gauge). */
    long queued(String notifier);

    /**
     * Oldest rows beyond {@code keep} queued rows of a notifier are given up (memory and disk
     * bound); returns how many.
     */
    int trim(String notifier, int keep, String reason);
}
