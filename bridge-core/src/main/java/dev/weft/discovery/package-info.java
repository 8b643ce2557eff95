/**
 * Discovery: which repositories chose this spindle and which knots host them. Static
 * configuration today ({@code WEFT_KNOTS}, {@code WEFT_REPOS}); the Jetstream follows the same
 * registry.
 */
package dev.weft.discovery;
