package dev.weft.concurrency;

import dev.weft.model.QueueState;
import dev.weft.store.ConcurrencyStore;
import dev.weft.store.QueueEntry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The read side of the concurrency groups, for operators and consoles ({@code weft runs --group},
 * a web console): every call is one read of the store, so it shows what every instance on the
 * database sees, and returns immutable values.
 */
public final class ConcurrencyQueues {
    private final ConcurrencyStore store;

    public ConcurrencyQueues(ConcurrencyStore store) {
        this.store = store;
    }

    /**
     * One group's queue.
     *
     * @param repo    the repository: its DID, or {@code knot/owner/name} for a legacy one
     * @param group   the expanded group name
     * @param entries the running entry first (when one runs), then the waiting ones in trigger order
     */
    public record GroupQueue(String repo, String group, List<QueueEntry> entries) {
        public GroupQueue {
            Objects.requireNonNull(repo, "repo");
            Objects.requireNonNull(group, "group");
            entries = List.copyOf(entries);
        }

        /** The run holding the group, if one does. */
        public java.util.Optional<QueueEntry> running() {
            return entries.stream().filter(e -> e.state() == QueueState.RUNNING).findFirst();
        }

        /** The runs waiting, in the order they will start. */
        public List<QueueEntry> waiting() {
            return entries.stream().filter(e -> e.state() == QueueState.WAITING).toList();
        }
    }

    /** Every group with a run queued, by repository and group name. */
    public List<GroupQueue> all() {
        return grouped(store.all());
    }

    /** The groups named {@code group}, one per repository that has runs queued in it. */
    public List<GroupQueue> named(String group) {
        return grouped(store.queuesNamed(group));
    }

    /** One repository's group; empty entries when nothing is queued in it. */
    public GroupQueue queue(String repo, String group) {
        return new GroupQueue(repo, group, store.queue(repo, group));
    }

    private static List<GroupQueue> grouped(List<QueueEntry> entries) {
        Map<List<String>, List<QueueEntry>> by = new LinkedHashMap<>();
        for (QueueEntry e : entries) by.computeIfAbsent(List.of(e.repo(), e.group()), k -> new ArrayList<>()).add(e);
        List<GroupQueue> out = new ArrayList<>();
        by.forEach((k, v) -> out.add(new GroupQueue(k.get(0), k.get(1), v)));
        return List.copyOf(out);
    }
}
