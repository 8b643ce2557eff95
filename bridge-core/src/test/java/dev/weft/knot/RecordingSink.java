package dev.weft.knot;

import dev.weft.model.Trigger;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * An in-memory {@link TriggerSink} that records every trigger it accepted, in order, duplicates
 * included (a real sink de-duplicates by knot and rkey; tests want to see the replays). An optional
 * hook runs first and may block or throw; a trigger whose hook threw is not recorded.
 */
final class RecordingSink implements TriggerSink {
    final List<Trigger> accepted = new CopyOnWriteArrayList<>();
    private final List<String> journal;
    private volatile Consumer<Trigger> hook = t -> { };

    RecordingSink() {
        this(new CopyOnWriteArrayList<>());
    }

    /** @param journal shared with a {@link MemoryCursorStore} to check the order of calls */
    RecordingSink(List<String> journal) {
        this.journal = journal;
    }

    RecordingSink hook(Consumer<Trigger> h) {
        this.hook = h;
        return this;
    }

    @Override
    public Outcome accept(Trigger trigger) {
        journal.add("accept-start " + TestRkeys.label(trigger.pipeline().rkey()));
        hook.accept(trigger);
        accepted.add(trigger);
        journal.add("accept-end " + TestRkeys.label(trigger.pipeline().rkey()));
        return Outcome.ACCEPTED;
    }

    /** The rkeys accepted, in order, as {@link TestRkeys} labels where they were made from one. */
    List<String> rkeys() {
        return accepted.stream().map(t -> TestRkeys.label(t.pipeline().rkey())).toList();
    }

    List<String> rkeys(String knot) {
        return accepted.stream().filter(t -> t.pipeline().knot().equals(knot)).map(t -> TestRkeys.label(t.pipeline().rkey())).toList();
    }
}
