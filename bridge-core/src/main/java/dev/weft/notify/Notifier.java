package dev.weft.notify;

import java.util.Optional;

/**
 * Sends notifications to one destination. Made by its {@link NotifierFactory}.
 *
 * <p>{@link #deliver} is called from this notifier's own delivery thread (one lane per notifier),
 * never concurrently, and may block, but should bound its own I/O (a few seconds) and return when
 * interrupted ({@link #close} of the runtime interrupts a delivery in progress; it is retried at the
 * next start). A hung endpoint delays only this notifier's later notifications: never another
 * notifier's, never a run. After a {@link Delivery.Retry} the runtime pauses this notifier's lane
 * (backoff, or the {@code Retry-After} it was given) rather than trying its other notifications.
 * Delivery is at least once: a crash after the receiver accepted but before the outcome was stored
 * sends the same {@link Notification#id()} again.
 */
public interface Notifier extends AutoCloseable {
    /** A short stable name ({@code webhook}, {@code slack}), used in the outbox, logs and metrics. */
    String name();

    /**
     * Whether this notifier shows an incident as one message it updates. Such a notifier receives
     * every failure of an incident; the others only its first failure, failures whose step or exit
     * code changed, and the fix.
     */
    default boolean updatesInPlace() {
        return false;
    }

    /**
     * Delivers one notification. {@code incidentRef} is the {@link Delivery.Sent#ref()} this
     * notifier returned for an earlier notification of the same incident, if any.
     *
     * <p>Must not throw for an endpoint's failure: return {@link Delivery.Retry} or
     * {@link Delivery.Rejected}. An exception thrown anyway is treated as {@code Retry}.
     */
    Delivery deliver(Notification notification, Optional<String> incidentRef);

    /** Releases the notifier's resources; called once, after the last {@link #deliver}. */
    @Override
    default void close() {
    }
}
