/**
 * Durable state in one SQLite file (WAL): registrations, knot cursors, the exactly-once trigger
 * guard, run intent rows, the status outbox and event log, steps and log frames. Schema changes
 * are numbered migrations ({@code V<n>__*.sql}) applied in order at open.
 */
package dev.weft.store;
