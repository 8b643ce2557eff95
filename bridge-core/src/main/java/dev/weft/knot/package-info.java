/**
 * The knot side of weft: consuming each knot's {@code /events} stream and turning its
 * {@code sh.tangled.pipeline} records into {@link dev.weft.model.Trigger}s.
 *
 * <ul>
 *   <li>{@link dev.weft.knot.PipelineRecords} parses one record under the wire contract's acceptance
 *       rules into a sealed {@code Ok}/{@code Rejected} result; it never throws on input.</li>
 *   <li>{@link dev.weft.knot.KnotConsumer} holds one WebSocket connection to one knot: it rewinds by
 *       the replay window on every (re)connect, processes frames in order on one thread, hands
 *       triggers to a {@link dev.weft.knot.TriggerSink} and checkpoints in a
 *       {@link dev.weft.knot.KnotCursorStore} only after the sink returned; it reconnects with
 *       jittered exponential backoff and treats a silent stream as dead.</li>
 *   <li>{@link dev.weft.knot.KnotSupervisor} owns one consumer per knot, added and removed at run
 *       time by discovery.</li>
 *   <li>{@link dev.weft.knot.KnotEventServer} and {@link dev.weft.knot.PipelineRecordJson} are an
 *       in-process knot and a record builder for {@code weft demo} and end-to-end tests.</li>
 * </ul>
 *
 * <p>Delivery is at-least-once: replays after a reconnect re-deliver recent triggers, and the sink
 * de-duplicates by (knot, rkey). Nothing a knot sends stops a consumer; bad frames are logged,
 * counted and skipped.
 */
package dev.weft.knot;
