package dev.weft.provider.github.rest;

import java.time.OffsetDateTime;

/** One step of a job. Numbers are not contiguous; times carry offsets and second precision. */
public record JobStep(String name, String status, String conclusion, int number, OffsetDateTime startedAt,
                      OffsetDateTime completedAt) {

    public boolean completed() {
        return "completed".equals(status);
    }

    public boolean skipped() {
        return "skipped".equals(conclusion);
    }
}
