/**
 * The reconnect machinery shared by weft's WebSocket stream clients (the knot {@code /events}
 * consumer and the Jetstream client).
 *
 * <p>{@link dev.weft.stream.ReconnectingStream} owns everything about keeping one subscription
 * open: the connect loop (read the resume point, connect with a timeout, jittered
 * {@link dev.weft.spi.Backoff}, pause), the Java-WebSocket connection wrapper (generation numbers,
 * failure capture, abandon), the bounded hand-off queue between the library's reader thread and
 * the one processing thread, dead-stream detection and the close sequence. It owns no protocol:
 * each client supplies the subscription URI and resume point, what a frame means, what to
 * checkpoint, and its own log wording and metrics.
 */
package dev.weft.stream;
