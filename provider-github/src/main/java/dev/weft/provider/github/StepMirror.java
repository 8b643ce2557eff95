package dev.weft.provider.github;

import dev.weft.provider.github.logs.JobLogParser;
import dev.weft.provider.github.logs.JobLogSplitter;
import dev.weft.provider.github.logs.LogEntry;
import dev.weft.provider.github.rest.Job;
import dev.weft.provider.github.rest.JobStep;
import dev.weft.spi.Run;
import dev.weft.spi.Step;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Mirrors a run's jobs as Tangled steps named {@code <job> › <step>}. While a job runs, each step is
 * started (at its own start time) as soon as the jobs API shows it; when the job completes its log
 * is fetched, split onto those steps, and each step ended at its own end time. Jobs whose log is
 * written are remembered in the run's {@value #LOGGED} attribute, and open steps are found again by
 * name, so a restarted weft carries on without repeating them. Not thread-safe: one tracker drives it.
 */
final class StepMirror {
    private static final Logger log = LoggerFactory.getLogger(StepMirror.class);
    static final String LOGGED = "logged_jobs";
    static final String SEPARATOR = " › ";

    @FunctionalInterface
    interface LogSource {
        /** The job's log text; empty when GitHub has none. */
        Optional<String> fetch(long jobId) throws IOException, InterruptedException;
    }

    private final Run run;
    private final LogSource logs;
    private final Map<String, Step> steps = new HashMap<>();
    private final Set<Long> logged = new LinkedHashSet<>();

    StepMirror(Run run, LogSource logs) {
        this.run = run;
        this.logs = logs;
        run.attribute(LOGGED).ifPresent(v -> {
            for (String s : v.split(",")) {
                if (!s.isBlank()) logged.add(Long.parseLong(s.trim()));
            }
        });
    }

    /**
     * Starts newly started steps and writes the logs of newly completed jobs.
     *
     * @param last the run is over: a job whose log cannot be fetched is closed with a note instead of
     *             being tried again at the next update
     */
    void update(List<Job> jobs, boolean last) throws InterruptedException {
        List<Job> ordered = jobs.stream()
                .sorted(Comparator.comparing((Job j) -> j.startedAt() == null ? Instant.MAX : j.startedAt().toInstant())
                        .thenComparingLong(Job::id))
                .toList();
        for (Job job : ordered) {
            if (logged.contains(job.id())) continue;
            List<JobStep> started = job.steps().stream()
                    .filter(s -> s.startedAt() != null && !"queued".equals(s.status()))
                    .sorted(Comparator.comparingInt(JobStep::number))
                    .toList();
            for (JobStep s : started) step(job, s);
            if (job.completed()) complete(job, started, last);
        }
    }

    boolean allLogged(List<Job> jobs) {
        return jobs.stream().filter(Job::completed).allMatch(j -> logged.contains(j.id()));
    }

    private void complete(Job job, List<JobStep> started, boolean last) throws InterruptedException {
        boolean ran = !started.isEmpty() || (job.startedAt() != null && !"skipped".equals(job.conclusion()));
        if (!ran) {
            markLogged(job);
            return;
        }
        Optional<String> text;
        String failure = null;
        try {
            text = logs.fetch(job.id());
        } catch (IOException e) {
            if (!last) {
                log.warn("run {}: log of job {} ({}): {}; trying again", run.id(), job.id(), job.name(), e.toString());
                return;
            }
            text = Optional.empty();
            failure = "weft could not fetch the log of job " + job.name() + ": " + e.getMessage();
        }
        List<LogEntry> entries = text.map(JobLogParser::parse).orElse(List.of());
        Map<Integer, List<LogEntry>> split = JobLogSplitter.split(started, entries);
        Map<Integer, JobStep> byNumber = started.stream().collect(Collectors.toMap(JobStep::number, s -> s, (a, b) -> a));
        Step jobStep = null;
        for (var e : split.entrySet()) {
            Step target;
            if (e.getKey() == JobLogSplitter.NO_STEP) {
                jobStep = jobStep != null ? jobStep : jobLevelStep(job);
                target = jobStep;
            } else {
                target = step(job, byNumber.get(e.getKey()));
            }
            for (LogEntry line : e.getValue()) write(target, line.stderr(), line.text(), line.time());
        }
        if (text.isEmpty()) {
            String note = failure != null ? failure : "GitHub has no log for job " + job.name();
            Step target = started.isEmpty() ? (jobStep != null ? jobStep : (jobStep = jobLevelStep(job)))
                    : step(job, started.get(started.size() - 1));
            write(target, true, note, null);
        }
        for (JobStep s : started) {
            Step st = step(job, s);
            if (!st.ended()) st.end(at(s.completedAt() != null ? s.completedAt() : job.completedAt()));
        }
        if (jobStep != null && !jobStep.ended()) jobStep.end(at(job.completedAt()));
        markLogged(job);
    }

    private Step jobLevelStep(Job job) {
        String key = job.id() + "#job";
        Step s = steps.get(key);
        if (s == null) {
            s = run.log().openStep(job.name()).orElseGet(() -> run.log().startStep(job.name(), "", false, at(job.startedAt())));
            steps.put(key, s);
        }
        return s;
    }

    private Step step(Job job, JobStep js) {
        String key = job.id() + "#" + js.number();
        Step s = steps.get(key);
        if (s == null) {
            String name = job.name() + SEPARATOR + js.name();
            s = run.log().openStep(name).orElseGet(() -> run.log().startStep(name, "", false, at(js.startedAt())));
            steps.put(key, s);
        }
        return s;
    }

    private static void write(Step step, boolean stderr, String text, Instant at) {
        if (!step.ended()) step.line(stderr, text, at);
    }

    private void markLogged(Job job) {
        logged.add(job.id());
        run.attribute(LOGGED, logged.stream().map(String::valueOf).collect(Collectors.joining(",")));
    }

    private static Instant at(OffsetDateTime t) {
        return t == null ? null : t.toInstant();
    }
}
