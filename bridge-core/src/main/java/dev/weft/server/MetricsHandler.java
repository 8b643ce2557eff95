package dev.weft.server;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;

/**
 * Answers {@link Route.Metrics} with the Prometheus text exposition. A scrape walks every meter,
 * so it runs on a virtual thread rather than the event loop. Stateless and {@link Sharable}.
 */
@Sharable
final class MetricsHandler extends SimpleChannelInboundHandler<Route.Metrics> {
    private static final Logger log = LoggerFactory.getLogger(MetricsHandler.class);
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final Blocking blocking;
    private final PrometheusMeterRegistry registry;

    MetricsHandler(Blocking blocking, PrometheusMeterRegistry registry) {
        this.blocking = blocking;
        this.registry = registry;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Route.Metrics route) {
        blocking.run(ctx, registry::scrape, (text, failure) -> {
            if (failure != null) {
                log.warn("metrics scrape failed", failure);
                Responses.text(ctx, route.call(), HttpResponseStatus.INTERNAL_SERVER_ERROR, "scrape failed\n");
                return;
            }
            Responses.send(ctx, route.call(), Responses.response(HttpResponseStatus.OK, CONTENT_TYPE,
                    text.getBytes(StandardCharsets.UTF_8)), false);
        });
    }
}
