package dev.weft.spi;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.model.RunState;
import dev.weft.model.Trigger;
import dev.weft.model.Workflow;
import dev.weft.model.WorkflowId;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * One workflow run as a provider sees it: what to run, where to report, and the provider's own
 * bookkeeping. Thread-safe; the same object is handed to {@code spawn}, {@code cancel}, webhooks
 * and pollers for the life of the run.
 */
public interface Run {

    /** Weft's id for the run, unique and stable across restarts; send it to the backend for correlation. */
    long id();

    WorkflowId workflowId();

    /** The trigger the run belongs to (push, pull request or manual, and the repository). */
    Trigger trigger();

    /** The workflow as the knot sent it, including its raw YAML. */
    Workflow workflow();

    /**
     * The workflow YAML parsed as a tree (Jackson YAML). A {@code MissingNode} when the YAML does not
     * parse; the runtime has already failed such runs before a provider sees them.
     */
    JsonNode spec();

    /** The block named after the engine ({@code buildkite:}); a {@code MissingNode} when absent. */
    JsonNode block();

    /**
     * The run's standard Tangled variables ({@code CI}, {@code TANGLED_*}) and weft's callback URL
     * and token ({@link Variables#CALLBACK_URL}, {@link Variables#CALLBACK_TOKEN}), computed once by
     * the runtime: pass them to the backend as environment.
     */
    Map<String, String> variables();

    /**
     * The repository's secrets (name to value) for this run, read when the run was dispatched. Empty
     * when the repository has none. Only a provider whose {@link Provider#secretSupport()} is
     * {@link SecretSupport#SECURE} is ever handed a run whose repository has secrets.
     *
     * <p>Upstream semantics (spec section 9): secrets are environment variables of the workflow's
     * <em>user</em> steps only, never of system steps such as the clone. Never log them, put them in a
     * URL, a build message, metadata or visible environment, or in an exception message. Lines
     * written through {@link #log()}, step names and commands, and status error texts are masked by
     * the runtime ({@code ***} for every value and its base64 forms), but only whole lines: assemble
     * the backend's log chunks into lines before writing them (see {@link Step}), or a value split
     * across two writes escapes the mask.
     *
     * <p>Thread-safe and immutable; the default (for test doubles) is empty.
     */
    default Map<String, String> secrets() {
        return Map.of();
    }

    /** When the trigger was accepted. */
    Instant createdAt();

    /** The run's current status, as last reported. */
    RunState state();

    /**
     * Records the backend's identity for this run (a build number, a run id) and a web URL for
     * humans. Persisted before returning; call it as soon as the backend answers. Calling it again
     * replaces both.
     */
    void attach(String externalId, String webUrl);

    Optional<String> externalId();

    Optional<String> webUrl();

    /** A provider-owned value persisted with the run (for example a build UUID or a run attempt). */
    Optional<String> attribute(String key);

    /** Stores a provider-owned value with the run; persisted before returning. */
    void attribute(String key, String value);

    /** Where statuses are reported. */
    StatusReporter status();

    /** Where log output is written. */
    RunLog log();

    /** Whether cancellation was asked for (by the appview, the operator or the workflow timeout). */
    boolean cancelRequested();

    /** Why cancellation was asked for, once it was. */
    Optional<CancelReason> cancelReason();

    /**
     * Blocks until cancellation is requested or {@code timeout} passes; returns whether it was
     * requested. Interrupting the thread returns {@code true} early only if cancellation was
     * requested meanwhile; otherwise the interrupt status is kept and {@code false} returned, at
     * once. A loop around it must therefore also stop when {@link Thread#isInterrupted()}: weft is
     * shutting down and the run must be left open (see {@link Provider#spawn}).
     */
    boolean awaitCancel(Duration timeout);
}
