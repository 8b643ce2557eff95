package dev.weft.logs;

import dev.weft.model.WorkflowId;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Read side of workflow logs for {@code /logs} and {@code sh.tangled.ci.subscribePipelineLogs}.
 * Thread-safe.
 */
public interface LogFeed {

    /**
     * How long after a workflow's terminal status its log stream may still wait for lines: a
     * provider may keep writing (or never close its writer), and no viewer may be kept open by it.
     */
    Duration TERMINAL_GRACE = Duration.ofSeconds(5);

    /**
     * The workflows of the pipeline with TID {@code rkey}, in the order they were accepted; empty
     * when there is none. A pipeline is named by its TID alone here; should two knots' pipelines
     * share one (unique in practice), the workflows of both are returned. Reads the store: call
     * it off the event loop.
     */
    List<WorkflowId> workflows(String rkey);

    /**
     * The log of a workflow, or empty when no such workflow was ever accepted. May block briefly
     * (it can ask the provider to fill in a log; call it off the event loop).
     *
     * @throws LogBackendException when the provider's backend could not be asked (answer 5xx)
     */
    Optional<WorkflowLog> open(WorkflowId workflow) throws LogBackendException;

    /** One workflow's lines. */
    interface WorkflowLog {
        /** Up to {@code limit} lines with {@code seq > afterSeq}, in order. Sequences start at 1. */
        List<EncodedLine> after(long afterSeq, int limit);

        /**
         * True once the run is terminal and its last line is stored, or {@link #TERMINAL_GRACE}
         * after the terminal status whatever the provider still writes. Read this BEFORE
         * {@link #after}: if it was true and {@code after} then returns nothing, the stream is done.
         */
        boolean complete();

        /**
         * Calls {@code onAppend} (on the writer's thread: no I/O, just schedule a read) when lines
         * were appended or the log completed, including when the grace after the terminal status
         * ran out. Close the handle to stop.
         */
        AutoCloseable subscribe(Runnable onAppend);
    }

    /** A stored line: its sequence and the exact frame bytes (Go-compatible JSON, UTF-8). */
    record EncodedLine(long seq, byte[] frame) {
    }
}
