/**
 * Fan-out of published status events: the log {@code /events} reads from, in id order, and the
 * notifications that wake live subscribers. Readers always read from the log by their own cursor,
 * so the hand-over from backfill to live has no gap and no duplicate by construction.
 */
package dev.weft.events;
