package dev.weft.model;

import java.time.OffsetDateTime;
import java.util.Objects;

/**
 * One frame of {@code /logs}: the upstream spindle's {@code LogLine} struct. Field order and the
 * omitempty rules live in the wire encoder; this is only the value.
 *
 * @param kind        data or control
 * @param content     data: the text; control: the step name
 * @param time        the instant, in the offset it is to be written in
 * @param stepId      0-based over all steps of the workflow, system steps included
 * @param stream      data only: stdout/stderr; null for control
 * @param stepStatus  control only: start/end; null for data
 * @param stepKind    control only: {@link StepKind#SYSTEM} (absent on the wire) or USER
 * @param stepCommand control only: the step's command; empty is absent on the wire
 */
public record LogLine(Kind kind, String content, OffsetDateTime time, long stepId, Stream stream,
                      StepStatus stepStatus, StepKind stepKind, String stepCommand) {
    public LogLine {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(time, "time");
        stepKind = stepKind == null ? StepKind.SYSTEM : stepKind;
        stepCommand = stepCommand == null ? "" : stepCommand;
    }

    public static LogLine data(long stepId, Stream stream, String text, OffsetDateTime time) {
        return new LogLine(Kind.DATA, text, time, stepId, stream, null, StepKind.SYSTEM, "");
    }

    public static LogLine control(long stepId, StepStatus status, String stepName, StepKind kind,
                                  String command, OffsetDateTime time) {
        return new LogLine(Kind.CONTROL, stepName, time, stepId, null, status, kind, command);
    }

    public enum Kind {
        DATA("data"), CONTROL("control");
        public final String wire;

        Kind(String wire) {
            this.wire = wire;
        }
    }

    public enum Stream {
        STDOUT("stdout"), STDERR("stderr");
        public final String wire;

        Stream(String wire) {
            this.wire = wire;
        }
    }

    public enum StepStatus {
        START("start"), END("end");
        public final String wire;

        StepStatus(String wire) {
            this.wire = wire;
        }
    }

    /** Tangled's step kinds; the wire carries the int, and 0 (system) is omitted. */
    public enum StepKind {
        SYSTEM(0), USER(1);
        public final int wire;

        StepKind(int wire) {
            this.wire = wire;
        }
    }
}
