/**
 * Publication of statuses: decided transitions wait in the store's outbox until the appview's
 * pacing allows them (first-status delay, gap between statuses of one workflow), then move to the
 * event log that {@code /events} serves. Crash-safe: the outbox survives restarts.
 */
package dev.weft.status;
