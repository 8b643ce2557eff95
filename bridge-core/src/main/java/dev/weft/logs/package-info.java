/**
 * A workflow's log lines, persisted as encoded {@code LogLine} frames, and the notifications that
 * push new lines to live {@code /logs} viewers without polling.
 */
package dev.weft.logs;
