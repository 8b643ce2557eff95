package dev.weft.jetstream;

import dev.weft.pulls.PullRecords;

import java.util.Set;

/**
 * Pull-request records from every author (spec tangled-ci 2.1: "pull (status) records are created
 * by arbitrary users too"), handed to {@link PullRecords}. Every commit counts as live: the
 * Jetstream has no backfill, and the frames a reconnect re-delivers are refused downstream by the
 * build request's claim, so a replay never builds a second pipeline.
 */
public final class PullSubscription implements JetstreamSubscription {
    /** The store's name for this subscription's cursor. */
    public static final String CURSOR = "jetstream-pulls";
    private final PullRecords pulls;

    public PullSubscription(PullRecords pulls) {
        this.pulls = pulls;
    }

    @Override
    public String name() {
        return CURSOR;
    }

    @Override
    public Set<String> collections() {
        return PullRecords.COLLECTIONS;
    }

    @Override
    public Set<String> dids() {
        return Set.of();
    }

    @Override
    public NetworkRecords.Outcome apply(JetstreamFrame.Commit c) {
        if (!PullRecords.COLLECTIONS.contains(c.collection())) return NetworkRecords.Outcome.IGNORED;
        pulls.onCommit(c.did(), c.collection(), c.rkey(), c.operation().name().toLowerCase(java.util.Locale.ROOT),
                c.operation() == JetstreamFrame.Operation.DELETE ? null : c.record(), true);
        return NetworkRecords.Outcome.APPLIED;
    }
}
