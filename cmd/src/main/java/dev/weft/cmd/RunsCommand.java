package dev.weft.cmd;

import dev.weft.concurrency.ConcurrencyQueues;
import dev.weft.concurrency.ConcurrencyQueues.GroupQueue;
import dev.weft.config.DatabaseLocation;
import dev.weft.config.WeftConfig;
import dev.weft.daemon.Databases;
import dev.weft.model.Nanos;
import dev.weft.model.QueueState;
import dev.weft.store.QueueEntry;
import dev.weft.store.RunRecord;
import dev.weft.store.Stores;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code weft runs}: the newest runs, briefly, each with its concurrency group when it is queued in
 * one; {@code weft runs --group G} shows the queues of group {@code G} of every repository (groups
 * are per repository), or of one with {@code --repo R} (its DID, or {@code knot/owner/name} for a
 * legacy repository, as the queue names it): the running run first, then the waiting ones in the
 * order they will start. Reads the database ({@code WEFT_DB} or {@code --db}), like {@code weft repos}.
 */
final class RunsCommand {
    private static final String USAGE = "usage: weft runs [--group GROUP [--repo REPO]] [--limit 20] [--db FILE]";

    private RunsCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) throws WeftConfig.InvalidConfigException {
        String group = null;
        String repo = null;
        int limit = 20;
        List<String> flags = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (!name.equals("--group") && !name.equals("--repo") && !name.equals("--limit")) {
                flags.add(a);
                continue;
            }
            String value = a.contains("=") ? a.substring(a.indexOf('=') + 1)
                    : i + 1 < args.size() && !args.get(i + 1).startsWith("--") ? args.get(++i) : null;
            if (value == null || value.isEmpty()) {
                err.println("weft runs: " + name + " needs a value\n" + USAGE);
                return 2;
            }
            switch (name) {
                case "--group" -> group = value;
                case "--repo" -> repo = value;
                default -> {
                    try {
                        limit = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        limit = -1;
                    }
                    if (limit < 1 || limit > 1000) {
                        err.println("weft runs: --limit must be a number from 1 to 1000, not " + value);
                        return 2;
                    }
                }
            }
        }
        if (repo != null && group == null) {
            err.println("weft runs: --repo goes with --group\n" + USAGE);
            return 2;
        }
        Optional<DatabaseLocation> db = NetworkCommands.database(flags, err, "runs");
        if (db.isEmpty()) return 2;
        try (Stores store = Databases.open(db.get())) {
            ConcurrencyQueues queues = new ConcurrencyQueues(store.concurrency());
            if (group == null) {
                recent(store.runs().recentRuns(limit), queues.all(), out);
            } else {
                List<GroupQueue> shown = repo != null ? List.of(queues.queue(repo, group)) : queues.named(group);
                shown = shown.stream().filter(q -> !q.entries().isEmpty()).toList();
                if (shown.isEmpty()) {
                    out.println("no runs queued in concurrency group \"" + group + "\"" + (repo == null ? "" : " of " + repo));
                }
                for (GroupQueue q : shown) queue(q, out);
            }
        }
        return 0;
    }

    /** One group's queue: running first, then the waiting runs numbered in the order they start. */
    static void queue(GroupQueue q, PrintStream out) {
        out.println("group \"" + q.group() + "\" of " + q.repo() + ":");
        int n = 0;
        for (QueueEntry e : q.entries()) {
            String where = e.state() == QueueState.RUNNING ? "running  " : "waiting " + (++n) + "  ";
            out.println("  " + where + e.workflow().pipeline().rkey() + "  " + e.workflow().name() + "  since " + e.since()
                    + (e.supersededBy() == null ? "" : "  (cancelled by pipeline " + e.supersededBy() + ")"));
        }
    }

    private static void recent(List<RunRecord> runs, List<GroupQueue> queues, PrintStream out) {
        if (runs.isEmpty()) {
            out.println("no runs");
            return;
        }
        Map<Long, QueueEntry> queued = new HashMap<>();
        for (GroupQueue q : queues) for (QueueEntry e : q.entries()) queued.put(e.runId(), e);
        for (RunRecord r : runs) {
            QueueEntry e = queued.get(r.id());
            out.println(r.workflow().pipeline().rkey() + "  " + r.workflow().name() + "  " + r.state().wireName()
                    + "  " + r.engine() + "  since " + Nanos.instant(r.updatedAt())
                    + (e == null ? "" : "  group \"" + e.group() + "\" (" + e.state().wireName() + ")")
                    + (r.error() == null ? "" : "  " + oneLine(r.error())));
        }
    }

    private static String oneLine(String s) {
        String line = s.lines().findFirst().orElse("");
        return line.length() > 120 ? line.substring(0, 120) + "..." : line;
    }
}
