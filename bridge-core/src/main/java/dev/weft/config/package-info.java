/**
 * Operator configuration: environment variables, each also a {@code --flag}, validated all at once
 * so nothing starts half-configured.
 */
package dev.weft.config;
