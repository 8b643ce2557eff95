/**
 * Live progress from inside a CI job: each run's callback URL and token (handed to providers as
 * variables), and {@code POST /hooks/callback/<run id>}, whose steps and lines go into the run's
 * log as user steps of their own (see {@code docs/callbacks.md}).
 */
package dev.weft.callbacks;
