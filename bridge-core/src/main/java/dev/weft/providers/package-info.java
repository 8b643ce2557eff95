/**
 * Dispatch's other half: finding provider plugins with {@link java.util.ServiceLoader}, giving each
 * its context (configuration, webhooks, scheduler, run directory), and mapping engine names to
 * providers.
 */
package dev.weft.providers;
