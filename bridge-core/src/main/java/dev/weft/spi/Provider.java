package dev.weft.spi;

/**
 * Runs Tangled workflows of one engine on a CI backend. See the package documentation for the
 * lifecycle, threads and error rules; each method below states its own.
 *
 * <p>A provider reports progress through {@link Run#status()} and output through {@link Run#log()}.
 * The runtime persists both, enforces the status state machine, publishes statuses to the appview
 * and closes steps left open when the run ends.
 */
public interface Provider extends AutoCloseable {

    /**
     * Starts the workflow. Called once per run, after its {@code pending} status was persisted, on a
     * virtual thread that weft owns and dedicates to this run: it may block until the workflow
     * finishes, or return as soon as the backend has the work and drive the rest from webhooks and
     * polling.
     *
     * <p>Record the backend's identity with {@link Run#attach} as soon as it is known, before anything
     * else: it is what {@link #resume} gets back after a crash. Report {@code running} when work
     * starts and exactly one terminal status at the end.
     *
     * <p>Honour cancellation: {@link Run#cancelRequested()} turns true and {@link #cancel} is called;
     * a blocking implementation can wait with {@link Run#awaitCancel}.
     *
     * <p>Honour interruption: weft interrupts this thread only when it is shutting down, then waits
     * a bounded time (10 s by default, for all runs together) for it to end; a thread still running
     * then is logged and left behind. An interrupted {@code spawn} must return promptly, by throwing
     * {@link InterruptedException} (preferred) or by returning, and must not report a terminal
     * status nor cancel the backend's work: the run stays open and the next start of weft offers it
     * to {@link #resume}, never to {@code spawn} again. Durable at that point is what was persisted
     * before the interrupt: the last status reported, the {@link Run#attach attached} external id
     * and web URL, every {@link Run#attribute attribute}, the log lines written and a cancel request
     * if there was one. Blocking calls that ignore interrupts need a bound of their own;
     * {@link Run#awaitCancel} returns {@code false} on interrupt, so check
     * {@link Thread#isInterrupted()} after it. While weft stops, an exception out of {@code spawn}
     * (an interrupted socket, say) does not fail the run either.
     *
     * @throws RetriableProviderException a transient backend condition; the runtime calls
     *     {@code spawn} again after a backoff, so the call must be idempotent (look the work up by
     *     {@link Run#id()} before creating it again)
     * @throws InterruptedException weft is shutting down (see above); the run is left open
     * @throws Exception anything else ends the run {@code failed} with the message
     */
    void spawn(Run run) throws Exception;

    /**
     * Picks up a run that was not terminal when weft stopped. Called once per such run at start-up,
     * on the run's own virtual thread, before any new run is dispatched. {@link Run#externalId()}
     * and {@link Run#attribute} hold what the provider stored.
     *
     * <p>Return {@code false} at once when the run cannot be continued (its work lived in this
     * process, say): the runtime then ends it {@code failed} saying weft restarted during the run.
     * Otherwise carry the run to its real terminal status (blocking is allowed, as in
     * {@link #spawn}) and return {@code true}.
     *
     * <p>Interruption is as for {@link #spawn}: the thread is weft's, interrupted only when weft
     * shuts down; then return promptly (throw {@link InterruptedException}, or return either value)
     * without a terminal status, and the run is offered to {@code resume} again on the next start.
     *
     * @throws InterruptedException weft is shutting down; the run is left open
     * @throws Exception ends the run {@code failed} with the message (retriable exceptions are
     *     retried as for {@code spawn})
     */
    default boolean resume(Run run) throws Exception {
        return false;
    }

    /**
     * Asks the backend to stop the run. Called on a runtime thread (an HTTP request, the timeout
     * scheduler) after {@link Run#cancelRequested()} became true; must not block for long. Idempotent:
     * it may be called again. The run ends when the provider reports {@code cancelled} (the runtime
     * records {@code timeout} instead when {@code reason} is {@link CancelReason#TIMEOUT}); if it does
     * not within the runtime's grace period, the runtime ends it itself.
     *
     * <p>The default does nothing beyond the flag, which suits providers that watch
     * {@link Run#awaitCancel}.
     */
    default void cancel(Run run, CancelReason reason) throws Exception {
    }

    /**
     * Fills in the log of a run whose stored log may be incomplete, before a {@code /logs} viewer is
     * answered. Called on a virtual thread, at most once at a time per run, only for runs that have
     * an external id and no stored log lines. Write what the backend has through {@link Run#log()}.
     *
     * @return {@link LogFetch#COMPLETE} when done (or nothing to add), {@link LogFetch#NOT_FOUND}
     *     when the backend has no log for it (the viewer gets what weft stored), or
     *     {@link LogFetch#BACKEND_FAILURE} when the backend could not be asked (the viewer gets a 5xx
     *     before the WebSocket upgrade)
     */
    default LogFetch fetchLogs(Run run) {
        return LogFetch.COMPLETE;
    }

    /**
     * Whether this provider can deliver a repository's secrets ({@link Run#secrets()}) to its backend
     * without exposing them. Called by the runtime before each dispatch, on the run's thread; must
     * not block and should be constant for the provider's configuration (for example {@code SECURE}
     * only when the backend's secret API is configured).
     *
     * <p>The default, {@link SecretSupport#NONE}, makes the runtime refuse (end {@code failed}, with
     * an error naming this engine) every run whose repository has secrets, so a provider that never
     * heard of secrets cannot leak them.
     */
    default SecretSupport secretSupport() {
        return SecretSupport.NONE;
    }

    /**
     * Releases the provider's resources. Called once, on the shutdown thread, after the runtime
     * stopped calling the other methods and interrupted every run thread and waited for them (a
     * {@code spawn} or {@code resume} that ignored its interrupt may still be running). Must not
     * report statuses: unfinished runs are resumed on the next start. Must not throw for a provider
     * that was never used.
     */
    @Override
    void close();
}
