package dev.weft.provider.buildkite.internal;

import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.spi.Run;
import dev.weft.spi.Step;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Follows one build to its end on the run's own thread: re-reads the build (on a webhook hint, while
 * jobs run at the log interval, else at the backstop poll interval, with jitter), tails the logs of
 * its script jobs, sends the cancel the run asked for, and reports statuses. Logs are written
 * before the terminal status, so the appview's stream ends with the last line.
 *
 * <p>Log progress is stored with the run ({@code log.<job id>} = {@code <offset> <done> <step name>})
 * after each fetch, so after a restart the tail resumes where the stored log ends.
 */
public final class BuildWatcher {
    private static final Logger log = LoggerFactory.getLogger(BuildWatcher.class);
    /** Rounds a finished build waits for logs that could not be fetched before reporting anyway. */
    private static final int FINAL_LOG_ROUNDS = 5;

    private final BuildkiteClient client;
    private final Run run;
    private final BuildRef ref;
    private final Duration poll;
    private final Duration logPoll;
    private final BooleanSupplier closed;
    private final Semaphore wake = new Semaphore(0);
    private final Map<String, JobLogTail> tails = new LinkedHashMap<>();
    private final Set<String> doneJobs = new HashSet<>();
    private final Set<String> warnedStates = new HashSet<>();
    private volatile Thread thread;
    private boolean cancelSent;
    private boolean blockedNoted;
    private int finalRounds;

    public BuildWatcher(BuildkiteClient client, Run run, BuildRef ref, Duration poll, Duration logPoll,
                        BooleanSupplier closed) {
        this.client = client;
        this.run = run;
        this.ref = ref;
        this.poll = poll;
        this.logPoll = logPoll;
        this.closed = closed;
    }

    /** A webhook, a cancel or shutdown: re-read the build now. Any thread. */
    public void wake() {
        wake.release();
    }

    /** Interrupts the watching thread (shutdown). */
    void interrupt() {
        Thread t = thread;
        if (t != null) t.interrupt();
    }

    boolean watching() {
        return thread != null;
    }

    /**
     * Runs until the run is terminal, or the provider closes (then returns without reporting).
     *
     * @throws BuildNotFoundException when the build no longer exists
     */
    public void watch() throws Exception {
        thread = Thread.currentThread();
        try {
            while (!closed.getAsBoolean() && !run.state().isTerminal()) {
                if (run.cancelRequested() && !cancelSent && sendCancel()) return;
                Optional<Build> read;
                try {
                    read = client.getBuild(ref.org(), ref.pipeline(), ref.number());
                } catch (BuildkiteException.Transient e) {
                    log.warn("run {}: reading Buildkite build {} failed, will retry: {}", run.id(), ref, e.getMessage());
                    pause(poll);
                    continue;
                }
                if (read.isEmpty()) {
                    throw new BuildNotFoundException("Buildkite build " + ref + " was not found: it was deleted, or the"
                            + " API token can no longer read it");
                }
                Build b = read.get();
                writeIntro(run, b, closed);
                StateMapper.Mapped m = StateMapper.map(b);
                boolean finished = m instanceof StateMapper.Mapped.Finished;
                boolean logsComplete = tailLogs(b, finished);
                if (closed.getAsBoolean()) return;
                if (finished && !logsComplete && ++finalRounds < FINAL_LOG_ROUNDS) {
                    pause(logPoll);
                    continue;
                }
                if (apply(m, b)) return;
                boolean busy = cancelSent || b.jobs().stream().anyMatch(j -> j.isScript() && j.started() && !j.finished());
                pause(busy ? logPoll : poll);
            }
        } catch (InterruptedException e) {
            if (!closed.getAsBoolean()) throw e;
        } finally {
            thread = null;
        }
    }

    /**
     * Reads the build once and writes whatever log of finished jobs is not stored yet; used to fill
     * in a log when nobody follows the run.
     *
     * @return false when the build does not exist
     */
    public boolean drainOnce() throws BuildkiteException, InterruptedException {
        Optional<Build> read = client.getBuild(ref.org(), ref.pipeline(), ref.number());
        if (read.isEmpty()) return false;
        writeIntro(run, read.get(), closed);
        tailLogs(read.get(), true);
        return true;
    }

    /**
     * The run's first log line, once: a system step whose data line is the build's web URL, stamped
     * with the build's creation time so a replayed log is identical.
     */
    static void writeIntro(Run run, Build b, BooleanSupplier closed) {
        if (run.attribute("intro").isPresent() || closed.getAsBoolean()) return;
        Instant at = b.createdAt();
        Step s = run.log().startStep("Buildkite build #" + b.number(), "", true, at);
        s.line(false, b.webUrl() == null ? "Buildkite build #" + b.number() : b.webUrl(), at);
        s.end(at);
        run.attribute("intro", "1");
    }

    /** Sends the cancel; returns true when the run ended here (Buildkite would not cancel a blocked build). */
    private boolean sendCancel() throws InterruptedException {
        try {
            client.cancelBuild(ref.org(), ref.pipeline(), ref.number());
            cancelSent = true;
            log.info("run {}: asked Buildkite to cancel build {}", run.id(), ref);
            return false;
        } catch (BuildkiteException.Rejected e) {
            cancelSent = true;
            try {
                Optional<Build> b = client.getBuild(ref.org(), ref.pipeline(), ref.number());
                if (b.isPresent() && StateMapper.map(b.get()) instanceof StateMapper.Mapped.Finished) return false;
            } catch (BuildkiteException ignored) {
                // fall through: stop following it
            }
            note("Buildkite would not cancel build #" + ref.number() + " (" + e.getMessage()
                    + "); weft stops following it. It may still be waiting for an unblock in Buildkite.");
            report(new Status.Cancelled("Buildkite build #" + ref.number() + " could not be canceled: " + e.getMessage()));
            return true;
        } catch (BuildkiteException e) {
            log.warn("run {}: cancelling Buildkite build {} failed, will retry: {}", run.id(), ref, e.getMessage());
            return false;
        }
    }

    /** Reports what the build's state means; returns true once the run is terminal. */
    private boolean apply(StateMapper.Mapped m, Build b) {
        switch (m) {
            case StateMapper.Mapped.Pending p -> {
                return false;
            }
            case StateMapper.Mapped.Running r -> {
                toRunning();
                if (r.blocked() && !blockedNoted) {
                    note("Buildkite build #" + b.number() + " is blocked: it waits for someone to unblock it"
                            + (b.webUrl() == null ? "" : " at " + b.webUrl()));
                }
                blockedNoted = r.blocked();
                return false;
            }
            case StateMapper.Mapped.Finished f -> {
                f.note().ifPresent(this::note);
                if (f.status().state() == RunState.SUCCESS) toRunning();
                report(f.status());
                return true;
            }
            case StateMapper.Mapped.Unknown u -> {
                if (warnedStates.add(u.state())) {
                    log.warn("run {}: Buildkite build {} is in state \"{}\", which weft does not know; keeping status {}",
                            run.id(), ref, u.state(), run.state().wireName());
                }
                return false;
            }
        }
    }

    private void toRunning() {
        if (run.state() == RunState.PENDING) run.status().running();
    }

    private void report(Status s) {
        if (closed.getAsBoolean() || run.state().isTerminal()) return;
        run.status().report(s);
    }

    /** A one-line system step: what weft wants the reader of the log to know. */
    private void note(String text) {
        if (closed.getAsBoolean()) return;
        Step s = run.log().startStep("Buildkite", "", true, null);
        s.out(text);
        s.end();
    }

    /**
     * Tails every started script job; finishes those that ended (all of them when {@code
     * buildFinished}). Returns false when some finished job's log could not be read yet.
     */
    private boolean tailLogs(Build b, boolean buildFinished) throws InterruptedException {
        boolean complete = true;
        for (Build.Job job : b.jobs()) {
            if (closed.getAsBoolean()) return false;
            if (!job.isScript() || job.id() == null || doneJobs.contains(job.id())) continue;
            if (!job.started()) continue;
            JobLogTail tail = tails.get(job.id());
            if (tail == null) {
                tail = openTail(b, job);
                if (tail == null) continue;
            }
            boolean jobOver = job.finished() || buildFinished;
            try {
                boolean read = tail.poll();
                if (jobOver) {
                    tail.finish(job.finishedAt());
                    doneJobs.add(job.id());
                    tails.remove(job.id());
                    saveProgress(job.id(), tail.committedOffset(), true, null);
                } else if (read) {
                    saveProgress(job.id(), tail.committedOffset(), false, tail.writer().currentStepName());
                }
            } catch (BuildkiteException.Transient e) {
                log.warn("run {}: fetching the log of job {} failed, will retry: {}", run.id(), job.id(), e.getMessage());
                if (jobOver) complete = false;
                if (jobOver && finalRounds + 1 >= FINAL_LOG_ROUNDS) {
                    giveUpOnLog(job, tail, e);
                }
            } catch (BuildkiteException e) {
                giveUpOnLog(job, tail, e);
            }
        }
        return complete;
    }

    private void giveUpOnLog(Build.Job job, JobLogTail tail, BuildkiteException e) {
        tail.writer().accept(new LogDecoder.Event.Line("weft could not read this job's log from Buildkite: "
                + e.getMessage(), null));
        tail.finish(job.finishedAt());
        doneJobs.add(job.id());
        tails.remove(job.id());
        saveProgress(job.id(), tail.committedOffset(), true, null);
    }

    private JobLogTail openTail(Build b, Build.Job job) {
        long offset = 0;
        Step resume = null;
        Optional<String> saved = run.attribute(progressKey(job.id()));
        if (saved.isPresent()) {
            String[] p = saved.get().split(" ", 3);
            try {
                offset = Long.parseLong(p[0]);
            } catch (NumberFormatException e) {
                offset = 0;
            }
            if (p.length > 1 && p[1].equals("1")) {
                doneJobs.add(job.id());
                return null;
            }
            if (p.length > 2 && !p[2].isEmpty()) resume = run.log().openStep(p[2]).orElse(null);
        }
        JobLogWriter writer = new JobLogWriter(run.log(), job.displayName(), job.command(), job.startedAt(), resume);
        JobLogTail tail = new JobLogTail(client, ref.org(), client.logUrl(ref.org(), ref.pipeline(), b.number(), job),
                offset, writer);
        tails.put(job.id(), tail);
        return tail;
    }

    private void saveProgress(String jobId, long offset, boolean done, String stepName) {
        if (closed.getAsBoolean()) return;
        run.attribute(progressKey(jobId), offset + " " + (done ? "1" : "0") + " " + (stepName == null ? "" : stepName));
    }

    static String progressKey(String jobId) {
        return "log." + jobId;
    }

    private void pause(Duration d) throws InterruptedException {
        long ms = d.toMillis();
        long jitter = ms / 5;
        long wait = ms - jitter + (jitter > 0 ? ThreadLocalRandom.current().nextLong(2 * jitter + 1) : 0);
        if (wake.tryAcquire(Math.max(1, wait), TimeUnit.MILLISECONDS)) wake.drainPermits();
    }

    /** The build a run follows is gone. */
    public static final class BuildNotFoundException extends Exception {
        public BuildNotFoundException(String message) {
            super(message);
        }
    }
}
