package dev.weft.provider.buildkite.internal;

import dev.weft.spi.RunLog;
import dev.weft.spi.Step;

import java.time.Instant;
import java.util.List;

/**
 * Writes one script job's log events as Tangled user steps: the lines before the first section go
 * to a step named after the job, each section to a step named {@code <job> › <section>}; every
 * step's command is the job's command. A job that printed nothing still gets its step, so the
 * appview lists every job. Not thread-safe: one writer per job, on the run's thread.
 */
public final class JobLogWriter {
    public static final String SEPARATOR = " \u203a ";

    private final RunLog log;
    private final String jobName;
    private final String command;
    private final Instant jobStartedAt;
    private Step current;
    private boolean wroteAnyStep;

    /**
     * @param resume the job's open step from before a restart, to carry on writing into; or null
     */
    public JobLogWriter(RunLog log, String jobName, String command, Instant jobStartedAt, Step resume) {
        this.log = log;
        this.jobName = jobName;
        this.command = command == null ? "" : command;
        this.jobStartedAt = jobStartedAt;
        this.current = resume != null && !resume.ended() ? resume : null;
        this.wroteAnyStep = resume != null;
    }

    public void accept(List<LogDecoder.Event> events) {
        for (LogDecoder.Event e : events) accept(e);
    }

    public void accept(LogDecoder.Event e) {
        switch (e) {
            case LogDecoder.Event.Section s -> {
                if (current != null) current.end(s.at());
                String name = s.name().isEmpty() ? jobName : jobName + SEPARATOR + s.name();
                current = log.startStep(name, command, false, s.at() != null ? s.at() : null);
                wroteAnyStep = true;
            }
            case LogDecoder.Event.Line l -> {
                if (current == null) {
                    current = log.startStep(jobName, command, false, l.at() != null ? l.at() : jobStartedAt);
                    wroteAnyStep = true;
                }
                current.line(false, l.text(), l.at());
            }
        }
    }

    /** The job finished: ends the open step at {@code finishedAt} (a silent job gets an empty step). */
    public void finish(Instant finishedAt) {
        if (current == null && !wroteAnyStep) {
            current = log.startStep(jobName, command, false, jobStartedAt != null ? jobStartedAt : finishedAt);
        }
        if (current != null) current.end(finishedAt);
        current = null;
        wroteAnyStep = true;
    }

    /** The name of the step being written, for picking up after a restart; null when none. */
    public String currentStepName() {
        return current == null ? null : current.name();
    }

    public boolean hasOpenStep() {
        return current != null;
    }
}
