/**
 * Runs: the intent-first lifecycle of every workflow. A trigger's runs are written, their
 * {@code pending} queued, and only then dispatched to the engine's provider on a virtual thread
 * each; timeouts, cancellation, retries and restart recovery live here too, so providers only
 * talk to their backend. {@link dev.weft.runs.RunManager} assembles the parts, one job each, and
 * every thread they start belongs to one owner that ends them all when weft stops.
 */
package dev.weft.runs;
