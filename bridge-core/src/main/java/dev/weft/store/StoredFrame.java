package dev.weft.store;

/**
 * A wire frame as stored, at its position ({@code /events} id or log sequence). The store keeps
 * the bytes the feeds encoded and never looks inside them; {@code frame} is null for a status
 * published before frames were stored (schema 3), which the events feed encodes when read.
 */
public record StoredFrame(long position, byte[] frame) {
}
