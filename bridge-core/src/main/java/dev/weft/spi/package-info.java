/**
 * The provider SPI: everything a plugin author needs to add a CI engine to weft, and nothing of
 * the runtime behind it. This package depends only on {@code dev.weft.model}, Jackson's tree model
 * and Micrometer's registry interface.
 *
 * <h2>Lifecycle</h2>
 * <ol>
 *   <li>Discovery: the runtime finds every {@link dev.weft.spi.ProviderFactory} with
 *       {@link java.util.ServiceLoader} ({@code META-INF/services/dev.weft.spi.ProviderFactory}).</li>
 *   <li>Initialization: {@link dev.weft.spi.ProviderFactory#create} receives a
 *       {@link dev.weft.spi.ProviderContext}; the provider validates its configuration there and
 *       mounts its webhook route. A configuration problem fails start-up with every problem named.</li>
 *   <li>Recovery: after a restart, {@link dev.weft.spi.Provider#resume} is called once for each
 *       unfinished run the provider owns, before new runs are dispatched to it.</li>
 *   <li>Processing: {@link dev.weft.spi.Provider#spawn} for each new run, {@link
 *       dev.weft.spi.Provider#cancel} on request or timeout, webhooks at any time.</li>
 *   <li>Shutdown: {@link dev.weft.spi.Provider#close}. Unfinished runs stay unfinished in the store
 *       and are offered to {@code resume} on the next start.</li>
 * </ol>
 *
 * <h2>Threads</h2>
 * The runtime owns threads. {@code spawn} and {@code resume} run on a virtual thread dedicated to
 * the run, so they may block for as long as the workflow runs; the caller that accepted the
 * trigger is never blocked. When weft stops it interrupts those threads and waits a bounded time:
 * an interrupted {@code spawn} or {@code resume} returns promptly without reporting a terminal
 * status, and the next start offers the run to {@code resume} (see
 * {@link dev.weft.spi.Provider#spawn}). A thread a provider starts itself is the provider's to end
 * in {@link dev.weft.spi.Provider#close}; the compatibility kit fails a provider that leaves one,
 * virtual threads included. Webhook handlers run on a virtual thread per request. Everything a
 * provider is handed ({@link dev.weft.spi.Run}, its reporter and log) is thread-safe.
 *
 * <h2>Errors</h2>
 * An exception out of {@code spawn} or {@code resume} ends the run {@code failed} with the
 * exception's message, unless the run already reached a terminal status; a
 * {@link dev.weft.spi.RetriableProviderException} is retried by the runtime with backoff first.
 * Reporting an illegal status transition throws {@link dev.weft.spi.IllegalTransitionException}
 * naming the provider: that is a provider bug, not a backend condition.
 */
package dev.weft.spi;
