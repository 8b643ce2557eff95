package dev.weft.provider.github;

import dev.weft.spi.GoDuration;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.provider.github.rest.ApiResponse;
import dev.weft.provider.github.rest.GitHubJson;
import dev.weft.provider.github.rest.GitHubRest;
import dev.weft.provider.github.rest.Job;
import dev.weft.provider.github.rest.WorkflowRun;
import dev.weft.spi.IllegalTransitionException;
import dev.weft.spi.Run;
import dev.weft.spi.Step;
import okhttp3.HttpUrl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Carries one GitHub workflow run to its end on the run's own thread: reads the run and its jobs
 * every poll interval, or at once when a webhook {@link #nudge()}s it; mirrors jobs onto steps;
 * reports {@code running} once a job is in progress and the terminal status once the run completes
 * and its logs are written. A new {@code run_attempt} (a re-run started on GitHub) is followed, not
 * taken for the end. Cancellation posts {@code cancel}, then {@code force-cancel} if the run is still
 * going {@code forceCancelAfter} later.
 */
final class RunTracker {
    private static final Logger log = LoggerFactory.getLogger(RunTracker.class);
    static final String ATTEMPT = "attempt";
    static final String ANNOUNCED = "announced";
    static final String SYSTEM_STEP = "GitHub Actions";
    private static final int JOB_FAILURES_BEFORE_GIVING_UP = 5;

    private final Run run;
    private final GitHubRest rest;
    private final String owner;
    private final String repo;
    private final long ghRunId;
    private final String expectedSha;
    private final Duration pollInterval;
    private final Duration forceCancelAfter;
    private final ScheduledExecutorService scheduler;
    private final StepMirror mirror;
    private final Signal wake = new Signal();
    private final AtomicBoolean cancelSent = new AtomicBoolean();
    private volatile boolean stopped;
    private volatile boolean completedSeen;

    RunTracker(Run run, GitHubRest rest, StepMirror.LogSource logs, String owner, String repo, long ghRunId,
               String expectedSha, Duration pollInterval, Duration forceCancelAfter,
               ScheduledExecutorService scheduler) {
        this.run = run;
        this.rest = rest;
        this.owner = owner;
        this.repo = repo;
        this.ghRunId = ghRunId;
        this.expectedSha = expectedSha == null ? "" : expectedSha;
        this.pollInterval = pollInterval;
        this.forceCancelAfter = forceCancelAfter;
        this.scheduler = scheduler;
        this.mirror = new StepMirror(run, logs);
    }

    /** Read the run again now (a webhook said something changed). */
    void nudge() {
        wake.fire();
    }

    /** Stop without reporting (the provider is closing). */
    void stop() {
        stopped = true;
        wake.fire();
    }

    /** Ask GitHub to cancel; idempotent. Returns at once: the calls run on the scheduler. */
    void requestCancel() {
        if (!cancelSent.compareAndSet(false, true)) return;
        scheduler.execute(() -> {
            post("cancel");
            wake.fire();
        });
        scheduler.schedule(() -> {
            if (!stopped && !completedSeen && !run.state().isTerminal()) {
                log.info("run {}: GitHub run {} ignored the cancel for {}; force-cancelling", run.id(), ghRunId,
                        GoDuration.format(forceCancelAfter));
                post("force-cancel");
            }
            wake.fire();
        }, forceCancelAfter.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void post(String what) {
        try {
            ApiResponse r = rest.post(runUrl().addPathSegment(what).build(), null);
            if (!r.ok() && r.code() != 409) log.warn("run {}: {} of GitHub run {}: {}", run.id(), what, ghRunId, r.describe());
        } catch (IOException e) {
            log.warn("run {}: {} of GitHub run {}: {}", run.id(), what, ghRunId, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Polls until the run is terminal (reported here or elsewhere) or the tracker is stopped. */
    void track() throws InterruptedException {
        int jobFailures = 0;
        while (!stopped && !run.state().isTerminal()) {
            if (run.cancelRequested()) requestCancel();
            WorkflowRun snapshot = null;
            try {
                ApiResponse r = rest.get(runUrl().build());
                if (r.code() == 404 || r.code() == 410) {
                    finish(new Status.Failed("GitHub run " + ghRunId + " on " + owner + "/" + repo
                            + " no longer exists (" + r.describe() + ")", -1));
                    return;
                }
                if (r.ok()) snapshot = r.as(WorkflowRun.class);
                else log.warn("run {}: reading GitHub run {}: {}", run.id(), ghRunId, r.describe());
            } catch (IOException e) {
                log.warn("run {}: reading GitHub run {}: {}", run.id(), ghRunId, e.toString());
            }
            if (snapshot != null && !stopped) {
                announce(snapshot);
                followAttempt(snapshot);
                List<Job> jobs = null;
                try {
                    jobs = jobs();
                    jobFailures = 0;
                } catch (IOException e) {
                    jobFailures++;
                    log.warn("run {}: jobs of GitHub run {}: {}", run.id(), ghRunId, e.toString());
                }
                boolean done = snapshot.completed();
                if (jobs != null) {
                    mirror.update(jobs, done);
                    if (StateMapper.anyStarted(jobs)) offer(new Status.Running());
                }
                if (done && (jobs != null || jobFailures >= JOB_FAILURES_BEFORE_GIVING_UP)) {
                    completedSeen = true;
                    finish(StateMapper.terminal(snapshot.conclusion()));
                    return;
                }
            }
            wake.await(pollInterval);
        }
    }

    /** One pass for a run that is already over: announce it and write every job's log; no status. */
    void backfill() throws IOException, InterruptedException {
        ApiResponse r = rest.get(runUrl().build());
        if (!r.ok()) throw new IOException(r.describe());
        WorkflowRun snapshot = r.as(WorkflowRun.class);
        announce(snapshot);
        mirror.update(jobs(), true);
    }

    private void followAttempt(WorkflowRun snapshot) {
        int known = run.attribute(ATTEMPT).map(Integer::parseInt).orElse(1);
        if (snapshot.attempt() <= known) {
            if (run.attribute(ATTEMPT).isEmpty()) run.attribute(ATTEMPT, Integer.toString(snapshot.attempt()));
            return;
        }
        run.attribute(ATTEMPT, Integer.toString(snapshot.attempt()));
        Step s = run.log().startStep(SYSTEM_STEP + " re-run", "", true, null);
        s.out("GitHub re-ran the workflow: attempt " + snapshot.attempt() + " " + snapshot.htmlUrl()
                + "/attempts/" + snapshot.attempt());
        s.end();
    }

    /** The first lines of the log: the run's address, and a warning if GitHub runs another commit. */
    private void announce(WorkflowRun snapshot) {
        if (run.attribute(ANNOUNCED).isPresent()) return;
        Step s = run.log().startStep(SYSTEM_STEP, "", true, null);
        s.out(snapshot.htmlUrl() != null ? snapshot.htmlUrl() : run.webUrl().orElse("GitHub run " + ghRunId));
        if (!expectedSha.isEmpty() && snapshot.headSha() != null && !snapshot.headSha().equalsIgnoreCase(expectedSha)) {
            s.out("GitHub runs commit " + snapshot.headSha() + ", not the triggering commit " + expectedSha
                    + " (head_sha differs: the ref moved on " + owner + "/" + repo + ")");
        }
        s.end();
        run.attribute(ANNOUNCED, "1");
        if (snapshot.htmlUrl() != null && !snapshot.htmlUrl().equals(run.webUrl().orElse(null))) {
            run.attach(Long.toString(ghRunId), snapshot.htmlUrl());
        }
    }

    private List<Job> jobs() throws IOException, InterruptedException {
        List<Job> all = new ArrayList<>();
        HttpUrl url = runUrl().addPathSegment("jobs").addQueryParameter("filter", "latest")
                .addQueryParameter("per_page", "100").build();
        for (int page = 0; url != null && page < 10; page++) {
            ApiResponse r = rest.get(url);
            if (!r.ok()) throw new IOException(r.describe());
            for (var n : r.json().path("jobs")) all.add(GitHubJson.MAPPER.treeToValue(n, Job.class));
            url = GitHubRest.nextPage(r).orElse(null);
        }
        return all;
    }

    private void finish(Status status) {
        RunState now = run.state();
        if (now.isTerminal()) return;
        try {
            if (status.state() == RunState.SUCCESS && now == RunState.PENDING) run.status().running();
            if (status instanceof Status.Cancelled && run.cancelRequested()) status = new Status.Cancelled("cancelled");
            run.status().report(status);
        } catch (IllegalTransitionException e) {
            if (!run.state().isTerminal()) throw e;
        }
    }

    private void offer(Status status) {
        if (!run.state().isTerminal()) run.status().offer(status);
    }

    private HttpUrl.Builder runUrl() {
        return rest.repo(owner, repo, "actions", "runs", Long.toString(ghRunId));
    }
}
