/**
 * The reference provider, engine {@code stub}: runs a scripted workflow in-process, or echoes the
 * workflow's own Tangled steps. Deterministic, so tests can assert exact frames; small, so plugin
 * authors can read it as an example of the SPI.
 */
package dev.weft.provider.stub;
