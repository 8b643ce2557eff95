package dev.weft.provider.github;

import dev.weft.spi.GoDuration;
import dev.weft.provider.github.rest.ApiResponse;
import dev.weft.provider.github.rest.GitHubRest;
import dev.weft.spi.Run;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;

/**
 * Waits until the GitHub mirror has the trigger's commit ({@code GET /repos/{o}/{r}/commits/{sha}}
 * answers 200), polling from 1 s doubling to 15 s, at most {@code limit}. A mirror is pushed
 * asynchronously, so a dispatch right after the Tangled push would otherwise run an older commit or
 * fail. Cancellation ends the wait.
 */
final class CommitWaiter {
    private static final Logger log = LoggerFactory.getLogger(CommitWaiter.class);
    static final Duration FIRST = Duration.ofSeconds(1);
    static final Duration MAX_STEP = Duration.ofSeconds(15);

    enum Outcome { PRESENT, CANCELLED }

    /** The commit never arrived; the message is the run's error. */
    static final class CommitMissingException extends Exception {
        CommitMissingException(String message) {
            super(message);
        }
    }

    private final GitHubRest rest;
    private final Waits waits;

    CommitWaiter(GitHubRest rest, Waits waits) {
        this.rest = rest;
        this.waits = waits;
    }

    Outcome await(Run run, String owner, String repo, String sha, Duration limit)
            throws CommitMissingException, InterruptedException {
        long deadline = waits.nanoTime() + limit.toNanos();
        Duration step = FIRST;
        while (true) {
            try {
                ApiResponse r = rest.get(rest.repo(owner, repo, "commits", sha).build());
                if (r.ok()) return Outcome.PRESENT;
                if (r.code() != 404 && r.code() != 422 && r.code() != 409) {
                    log.warn("run {}: looking for commit {} on {}/{}: {}", run.id(), sha, owner, repo, r.describe());
                }
            } catch (IOException e) {
                log.warn("run {}: looking for commit {} on {}/{}: {}", run.id(), sha, owner, repo, e.toString());
            }
            long left = deadline - waits.nanoTime();
            if (left <= 0) {
                throw new CommitMissingException("commit " + sha + " is not on " + owner + "/" + repo + " after "
                        + GoDuration.format(limit));
            }
            Duration wait = step.toNanos() < left ? step : Duration.ofNanos(left);
            if (run.awaitCancel(wait)) return Outcome.CANCELLED;
            if (Thread.currentThread().isInterrupted()) throw new InterruptedException();
            step = step.multipliedBy(2).compareTo(MAX_STEP) > 0 ? MAX_STEP : step.multipliedBy(2);
        }
    }
}
