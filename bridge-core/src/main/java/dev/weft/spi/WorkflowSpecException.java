package dev.weft.spi;

/**
 * The workflow's own block is missing or invalid (a required key, a wrong type). Thrown from
 * {@link Provider#spawn}, it ends the run {@code failed} with the message shown as a system step in
 * its log, so the author of the workflow sees what to fix.
 */
public class WorkflowSpecException extends Exception {
    public WorkflowSpecException(String message) {
        super(message);
    }
}
