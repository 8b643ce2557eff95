/**
 * A workflow's log lines, persisted as encoded {@code LogLine} frames, and the notifications that
 * push new lines to live {@code /logs} viewers without polling. With several instances on one
 * database a run's log keeps one writer, the driving instance's: writes made elsewhere wait in the
 * {@link dev.weft.logs.LogInbox}.
 */
package dev.weft.logs;
