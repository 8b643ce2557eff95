/**
 * The web console at {@code /console}: recent pipelines across every repository (filters by
 * repository, status and provider, updated live), one pipeline with its failures and advice, a
 * workflow's live log (weft's own {@code /logs} stream, rendered in the browser), and the state of
 * knots, the Jetstream, providers and notifiers.
 *
 * <p>Reading is public. Operator actions (cancel a workflow, re-run a pipeline or a workflow) need
 * a session: the token of {@code WEFT_ADMIN_TOKEN_FILE} is exchanged once for an HTTP-only,
 * {@code SameSite=Strict} cookie holding a random session id ({@link dev.weft.console.Sessions}),
 * and every action carries that session's CSRF token. Refusals are 401 or 403, never redirects.
 *
 * <p>Shape: {@link dev.weft.console.Console} is the one {@code PageHandler} mounted on the server;
 * it routes each path to a handler with one job (a page, the list's JSON, an action, an asset).
 * Pages are rendered on the server; every untrusted string goes through {@link
 * dev.weft.console.Html#esc}. The store is read through {@code PipelineQueries} and {@code
 * RunStore}; actions go through the run runtime's cancel and {@code CiXrpc}'s re-run.
 */
package dev.weft.console;
