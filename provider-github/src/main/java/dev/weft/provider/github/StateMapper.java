package dev.weft.provider.github;

import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.provider.github.rest.Job;
import dev.weft.provider.github.webhook.WebhookHint;

import java.util.List;

/**
 * GitHub's {@code status}/{@code conclusion} to weft's states, never {@code action} (GitHub's own
 * examples send {@code requested} with a completed run and {@code queued} with a waiting job). Both
 * are open sets: an unknown status is "not finished", an unknown conclusion a failure.
 * <ul>
 *   <li>not {@code completed}: pending, or running once any job is in progress (or has run);</li>
 *   <li>{@code success}, {@code neutral}, {@code skipped}: success;</li>
 *   <li>{@code cancelled}: cancelled; {@code timed_out}: timeout;</li>
 *   <li>anything else ({@code failure}, {@code action_required}, {@code startup_failure},
 *       {@code stale}, none): failed.</li>
 * </ul>
 */
final class StateMapper {
    private StateMapper() {
    }

    static RunState state(String status, String conclusion, boolean anyJobStarted) {
        if (!"completed".equals(status)) return anyJobStarted ? RunState.RUNNING : RunState.PENDING;
        return terminal(conclusion).state();
    }

    static boolean anyStarted(List<Job> jobs) {
        return jobs.stream().anyMatch(Job::started);
    }

    /** The terminal status of a completed run with this conclusion. */
    static Status terminal(String conclusion) {
        String c = conclusion == null ? "" : conclusion;
        return switch (c) {
            case "success", "neutral", "skipped" -> new Status.Success();
            case "cancelled" -> new Status.Cancelled("cancelled on GitHub");
            case "timed_out" -> new Status.Timeout("GitHub Actions timed the run out");
            case "" -> new Status.Failed("GitHub Actions run completed without a conclusion", -1);
            default -> new Status.Failed("GitHub Actions run concluded \"" + c + "\"", -1);
        };
    }

    /**
     * What a webhook delivery claims, read from its status and conclusion only: a completed
     * {@code workflow_run} its terminal state; a {@code workflow_job} in progress (or done) running;
     * anything else pending.
     */
    static RunState claimed(WebhookHint hint) {
        if (hint.event().equals("workflow_job")) {
            boolean ran = "in_progress".equals(hint.status())
                    || ("completed".equals(hint.status()) && !"skipped".equals(hint.conclusion()));
            return ran ? RunState.RUNNING : RunState.PENDING;
        }
        return state(hint.status(), hint.conclusion(), false);
    }
}
