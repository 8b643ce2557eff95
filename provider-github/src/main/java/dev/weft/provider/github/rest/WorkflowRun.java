package dev.weft.provider.github.rest;

import java.time.OffsetDateTime;

/**
 * The fields weft reads of a workflow run ({@code GET .../actions/runs/{id}}, the runs list and the
 * {@code workflow_run} webhook). {@code status} and {@code conclusion} are open sets: any string.
 */
public record WorkflowRun(long id, String status, String conclusion, Integer runAttempt, String htmlUrl,
                          String displayTitle, String headSha, String event, OffsetDateTime createdAt) {

    public int attempt() {
        return runAttempt == null ? 1 : runAttempt;
    }

    public boolean completed() {
        return "completed".equals(status);
    }
}
