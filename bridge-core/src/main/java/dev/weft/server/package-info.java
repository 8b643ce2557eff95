/**
 * weft's HTTP and WebSocket server: {@code /events}, {@code /logs/{knot}/{rkey}/{name}}, XRPC
 * (with the log subscription {@code sh.tangled.ci.subscribePipelineLogs}), provider webhooks, {@code /healthz} and {@code /metrics} on one Netty listener.
 *
 * <p>Public API: {@link dev.weft.server.WeftServer} (with {@link dev.weft.server.ServerOptions},
 * {@link dev.weft.server.Health}), and the three route registries the runtime mounts into,
 * {@link dev.weft.server.WebhookRoutes}, {@link dev.weft.server.XrpcRoutes} (with
 * {@link dev.weft.server.XrpcHandler}) and {@link dev.weft.server.PageRoutes} (with
 * {@link dev.weft.server.PageHandler}: plain HTTP pages under a prefix, the web console).
 * Everything else is package-private machinery.
 *
 * <p>Shape, after Netty's own examples: an initializer only wires the pipeline; a router turns each
 * request into a typed {@code Route}; one handler per route answers it. WebSocket streams use a pull
 * model: each connection keeps its own cursor and reads the feed only while its channel is
 * writable, so backfill hands over to live with no gap or duplicate, and a stalled client costs at
 * most one write-buffer of memory before it is disconnected.
 *
 * <p>Threads: every handler runs on its channel's event loop. Work that may block (webhook and
 * XRPC handlers, {@code LogFeed.open}, the health supplier, the Prometheus scrape) runs on a virtual
 * thread and hands its answer back to the event loop. Feed reads ({@code EventFeed.after},
 * {@code WorkflowLog.after/complete}) run on the event loop and must therefore be fast.
 */
package dev.weft.server;
