package dev.weft.provider.github.rest;

import java.time.OffsetDateTime;
import java.util.List;

/** A job of a workflow run, as the jobs API and the {@code workflow_job} webhook describe it. */
public record Job(long id, Long runId, Integer runAttempt, String name, String status, String conclusion,
                  OffsetDateTime startedAt, OffsetDateTime completedAt, String htmlUrl, List<JobStep> steps) {
    public Job {
        name = name == null ? "job " + id : name;
        steps = steps == null ? List.of() : List.copyOf(steps);
    }

    public boolean completed() {
        return "completed".equals(status);
    }

    /** Work started on a runner: in progress, or already done. */
    public boolean started() {
        return "in_progress".equals(status) || (completed() && startedAt != null && !"skipped".equals(conclusion));
    }
}
