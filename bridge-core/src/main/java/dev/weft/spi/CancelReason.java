package dev.weft.spi;

/** Why the runtime asks a provider to cancel a run. */
public enum CancelReason {
    /** The appview's cancel button or the operator's {@code weft cancel}: the run ends {@code cancelled}. */
    REQUESTED,
    /** The workflow ran past {@code WEFT_WORKFLOW_TIMEOUT}: the run ends {@code timeout}. */
    TIMEOUT
}
