package dev.weft.server;

import dev.weft.events.EventFeed;
import dev.weft.logs.LogFeed;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Wires a new connection's pipeline and does nothing else: codec, idle guard, malformed-request
 * guard, the callbacks' body limit, body aggregation, pipelining order, router, one handler per route, tail. The sharable handlers are created
 * once per server and shared by every connection.
 */
final class HttpPipeline extends ChannelInitializer<Channel> {
    static final String CODEC = "httpCodec";
    static final String ERRORS = "tail";
    static final String AGGREGATOR = "aggregator";
    /** Handlers that only make sense before a WebSocket upgrade (the aggregator the handshaker removes itself). */
    static final List<String> HTTP_ONLY = List.of("httpIdle", "httpIdleClose", "malformed", "callbackLimit", "sequencer", "router",
            "events", "logs", "pipelineLogs", "xrpc", "webhooks", "pages", "healthz", "metrics", "index", "didDocument");

    private final ServerOptions options;
    private final WebhookRoutes webhooks;
    private final ServerMetrics metrics;
    private final ChannelGroup channels;
    private final IdleCloseHandler idleClose = new IdleCloseHandler();
    private final MalformedRequestHandler malformed = new MalformedRequestHandler();
    private final Router router;
    private final EventsUpgradeHandler events;
    private final LogsUpgradeHandler logs;
    private final PipelineLogsUpgradeHandler pipelineLogs;
    private final XrpcDispatcher xrpc;
    private final WebhookDispatcher webhookDispatcher;
    private final PageDispatcher pages;
    private final HealthzHandler healthz;
    private final MetricsHandler metricsHandler;
    private final IndexHandler index = new IndexHandler();
    private final DidDocumentHandler didDocument;
    private final TailHandler tail = new TailHandler();

    HttpPipeline(Deps deps, ChannelGroup channels) {
        this.options = deps.options();
        this.webhooks = deps.webhooks();
        this.metrics = deps.metrics();
        this.channels = channels;
        WebSocketControlHandler control = new WebSocketControlHandler();
        this.router = new Router(deps.webhooks(), deps.xrpc(), deps.pages());
        this.events = new EventsUpgradeHandler(deps.events(), options, metrics, control);
        this.logs = new LogsUpgradeHandler(deps.logs(), deps.blocking(), options, metrics, control);
        this.pipelineLogs = new PipelineLogsUpgradeHandler(deps.logs(), deps.blocking(), options, metrics, control);
        this.xrpc = new XrpcDispatcher(deps.blocking());
        this.webhookDispatcher = new WebhookDispatcher(deps.blocking(), metrics);
        this.pages = new PageDispatcher(deps.blocking());
        this.healthz = new HealthzHandler(deps.blocking(), deps.health());
        this.metricsHandler = new MetricsHandler(deps.blocking(), deps.registry());
        this.didDocument = new DidDocumentHandler(deps.hostname());
    }

    /** What the pipeline's handlers need, gathered by {@link WeftServer}. */
    record Deps(ServerOptions options, EventFeed events, LogFeed logs, WebhookRoutes webhooks, XrpcRoutes xrpc,
                PageRoutes pages, ServerMetrics metrics, Blocking blocking, Supplier<Health> health, PrometheusMeterRegistry registry,
                String hostname) {
    }

    @Override
    protected void initChannel(Channel ch) {
        if (channels != null) channels.add(ch); // for graceful close; the group forgets closed channels
        ChannelPipeline p = ch.pipeline();
        p.addLast(CODEC, new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(options.maxInitialLineLength())
                .setMaxHeaderSize(options.maxHeaderSize())));
        p.addLast("httpIdle", new IdleStateHandler(0, 0, options.httpIdleTimeout().toMillis(), TimeUnit.MILLISECONDS));
        p.addLast("httpIdleClose", idleClose);
        p.addLast("malformed", malformed);
        p.addLast("callbackLimit", new CallbackBodyLimit(options.callbackBodyLimit(), metrics));
        p.addLast(AGGREGATOR, new BodyLimitAggregator(options.webhookBodyLimit(), webhooks, metrics));
        p.addLast("sequencer", new RequestSequencer());
        p.addLast("router", router);
        p.addLast("events", events);
        p.addLast("logs", logs);
        p.addLast("pipelineLogs", pipelineLogs);
        p.addLast("xrpc", xrpc);
        p.addLast("webhooks", webhookDispatcher);
        p.addLast("pages", pages);
        p.addLast("healthz", healthz);
        p.addLast("metrics", metricsHandler);
        p.addLast("index", index);
        p.addLast("didDocument", didDocument);
        p.addLast(ERRORS, tail);
    }
}
