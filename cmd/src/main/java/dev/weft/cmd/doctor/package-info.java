/**
 * {@code weft doctor}: checks a configuration against the world (database, knots, Jetstream, PLC,
 * providers, this spindle's public URL, the clock) and says what to fix. Reads only: nothing is
 * created, migrated or registered.
 */
package dev.weft.cmd.doctor;
