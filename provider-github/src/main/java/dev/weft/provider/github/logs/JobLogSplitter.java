package dev.weft.provider.github.logs;

import dev.weft.provider.github.rest.JobStep;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Puts a job log's lines onto the job's steps. GitHub's log has no step markers, only the runner's
 * {@code ##[group]} headers and times, while the jobs API gives step times at second precision. The
 * walk keeps a current step (the first one to begin with) and moves forward only:
 * <ul>
 *   <li>at a {@code ##[group]T} line, to the next step named exactly {@code T} that had started by
 *       then; failing that, when {@code T} starts with {@code Run } (the runner's header for every
 *       {@code run:} and {@code uses:} step), to the next step that is not skipped and had started;</li>
 *   <li>at the runner's {@code Post job cleanup.} line, to the next started {@code Post ...} step;
 *       at {@code Cleaning up orphan processes}, to {@code Complete job};</li>
 *   <li>at any line more than a second past the current step's end, to the step running then.</li>
 * </ul>
 * Lines of a job without started steps come back under {@link #NO_STEP}.
 */
public final class JobLogSplitter {
    /** The key for lines that belong to no step (the job reported none). */
    public static final int NO_STEP = -1;

    private JobLogSplitter() {
    }

    /** Step number → its lines, in log order; every started step has a (maybe empty) entry. */
    public static Map<Integer, List<LogEntry>> split(List<JobStep> steps, List<LogEntry> entries) {
        List<JobStep> started = new ArrayList<>(steps.stream().filter(s -> s.startedAt() != null).toList());
        started.sort(Comparator.comparingInt(JobStep::number));
        Map<Integer, List<LogEntry>> out = new LinkedHashMap<>();
        for (JobStep s : started) out.put(s.number(), new ArrayList<>());
        if (started.isEmpty()) {
            if (!entries.isEmpty()) out.put(NO_STEP, new ArrayList<>(entries));
            return out;
        }
        int i = 0;
        for (LogEntry e : entries) {
            i = advance(started, i, e);
            out.get(started.get(i).number()).add(e);
        }
        return out;
    }

    private static int advance(List<JobStep> steps, int i, LogEntry e) {
        Instant t = e.time();
        if (e.group()) {
            for (int j = i + 1; j < steps.size(); j++) {
                if (steps.get(j).name().equals(e.text()) && begun(steps.get(j), t)) return j;
            }
            if (e.text().startsWith("Run ")) {
                for (int j = i + 1; j < steps.size(); j++) {
                    JobStep s = steps.get(j);
                    if (!s.skipped() && begun(s, t)) return j;
                    if (!begun(s, t)) break;
                }
            }
        }
        if (e.text().equals("Post job cleanup.")) {
            for (int j = i + 1; j < steps.size(); j++) {
                JobStep s = steps.get(j);
                if (s.name().startsWith("Post ") && !s.skipped() && begun(s, t)) return j;
            }
        }
        if (e.text().equals("Cleaning up orphan processes")) {
            for (int j = i + 1; j < steps.size(); j++) {
                if (steps.get(j).name().equals("Complete job") && begun(steps.get(j), t)) return j;
            }
        }
        JobStep current = steps.get(i);
        if (t != null && current.completedAt() != null
                && t.isAfter(current.completedAt().toInstant().plusSeconds(1))) {
            for (int j = i + 1; j < steps.size(); j++) {
                JobStep s = steps.get(j);
                if (s.skipped() || !begun(s, t)) continue;
                if (s.completedAt() == null || !t.isAfter(s.completedAt().toInstant().plusSeconds(1))) return j;
            }
        }
        return i;
    }

    /** Whether the step had begun by {@code t}; step times are whole seconds, so compare seconds. */
    private static boolean begun(JobStep s, Instant t) {
        if (t == null) return true;
        return !s.startedAt().toInstant().truncatedTo(ChronoUnit.SECONDS).isAfter(t);
    }
}
