/**
 * The notifier SPI: how weft tells people that a run failed, timed out or was fixed.
 *
 * <p>Lifecycle, in order:
 * <ol>
 *   <li>Discovery: the runtime finds every {@link dev.weft.notify.NotifierFactory} with
 *       {@link java.util.ServiceLoader} ({@code META-INF/services/dev.weft.notify.NotifierFactory}).</li>
 *   <li>Initialization: {@link dev.weft.notify.NotifierFactory#create} reads its own {@code WEFT_NOTIFY_*}
 *       variables from the {@link dev.weft.notify.NotifierContext}; empty means "not configured".</li>
 *   <li>Processing: {@link dev.weft.notify.Notifier#deliver} on the notifier's own delivery thread
 *       (its lane: one per notifier), once per outbox row and attempt; the runtime owns the outbox, retries, backoff, the
 *       {@code id} a receiver deduplicates on, and failure isolation.</li>
 *   <li>Shutdown: {@link dev.weft.notify.Notifier#close}.</li>
 * </ol>
 * A notifier never sees a run: delivery happens after the status was stored, and nothing a
 * notifier does (hang, throw, answer garbage) can change a run or its status.
 *
 * <p>Depends only on the JDK and Jackson's tree model, like {@code dev.weft.spi}.
 */
package dev.weft.notify;
