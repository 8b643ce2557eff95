package dev.weft.notify;

import java.time.Duration;

/** The outcome of one {@link Notifier#deliver} attempt: a closed set the runtime acts on. */
public sealed interface Delivery {
    /**
     * Delivered. {@code ref} (may be null) is what the notifier wants back for the next
     * notification of the same incident, such as a Slack message's {@code ts}.
     */
    record Sent(String ref) implements Delivery {
    }

    /**
     * Not delivered this time (timeout, 5xx, 429); the runtime tries again, no sooner than
     * {@code after} when the receiver said so ({@code Retry-After}), else with its own backoff.
     */
    record Retry(String why, Duration after) implements Delivery {
        public Retry(String why) {
            this(why, null);
        }
    }

    /** Will never be delivered (4xx other than 429, a rejected token): retrying would not help. */
    record Rejected(String why) implements Delivery {
    }
}
