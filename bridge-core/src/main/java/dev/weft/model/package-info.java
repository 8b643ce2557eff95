/**
 * Weft's domain values: what a knot trigger says, which workflow runs, the status state machine
 * and the log line. Immutable records; closed sets are sealed. Nothing here does I/O.
 */
package dev.weft.model;
