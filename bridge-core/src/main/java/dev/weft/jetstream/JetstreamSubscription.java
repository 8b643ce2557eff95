package dev.weft.jetstream;

import java.util.Set;

/**
 * One Jetstream subscription: which collections, from whom, and what to do with each commit. Weft
 * holds two: discovery ({@link NetworkRecords}: owner and members only) and pull requests
 * ({@link PullSubscription}: from anyone, since anyone may open a pull request).
 */
public sealed interface JetstreamSubscription permits NetworkRecords, PullSubscription {
    /** Names the subscription in logs and metrics, and keys its cursor in the store. */
    String name();

    Set<String> collections();

    /** The authors to subscribe to; empty means every author. */
    Set<String> dids();

    /** Applies one commit; a runtime exception means "not applied" and the frame comes again. */
    NetworkRecords.Outcome apply(JetstreamFrame.Commit commit);
}
