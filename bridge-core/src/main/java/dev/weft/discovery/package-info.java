/**
 * Discovery: which repositories chose this spindle and which knots host them, known by (knot,
 * owner, name) on legacy knots and by their own repo DID on upgraded ones. Static
 * configuration today ({@code WEFT_KNOTS}, {@code WEFT_REPOS}); the Jetstream follows the same
 * registry.
 */
package dev.weft.discovery;
