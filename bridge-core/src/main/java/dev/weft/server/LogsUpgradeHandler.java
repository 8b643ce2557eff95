package dev.weft.server;

import dev.weft.logs.LogBackendException;
import dev.weft.logs.LogFeed;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@link Route.Logs}: opens the workflow's log on a virtual thread (it may ask the
 * provider), then refuses before upgrading (404 unknown workflow, 502 backend failure, so the
 * appview's dialer sees a plain HTTP error) or upgrades to a {@link FrameStreamHandler} that ends
 * with close 1000 {@code log stream complete}. Stateless and {@link Sharable}.
 */
@Sharable
final class LogsUpgradeHandler extends SimpleChannelInboundHandler<Route.Logs> {
    private static final Logger log = LoggerFactory.getLogger(LogsUpgradeHandler.class);

    private final LogFeed feed;
    private final Blocking blocking;
    private final ServerOptions options;
    private final ServerMetrics metrics;
    private final WebSocketControlHandler control;

    LogsUpgradeHandler(LogFeed feed, Blocking blocking, ServerOptions options, ServerMetrics metrics,
                       WebSocketControlHandler control) {
        this.feed = feed;
        this.blocking = blocking;
        this.options = options;
        this.metrics = metrics;
        this.control = control;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Route.Logs route) {
        HttpCall call = route.call();
        blocking.run(ctx, () -> feed.open(route.workflow()), (opened, failure) -> {
            if (failure instanceof LogBackendException e) {
                log.warn("/logs {}: log backend failed: {}", route.workflow(), e.getMessage());
                Responses.textAndClose(ctx, call, HttpResponseStatus.BAD_GATEWAY, "log backend unavailable\n");
            } else if (failure instanceof Blocking.ShuttingDown) {
                Responses.textAndClose(ctx, call, HttpResponseStatus.SERVICE_UNAVAILABLE, "shutting down\n");
            } else if (failure != null) {
                log.error("/logs {}: opening the log failed", route.workflow(), failure);
                Responses.textAndClose(ctx, call, HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error\n");
            } else if (opened == null || opened.isEmpty()) {
                log.info("/logs {}: no such workflow", route.workflow());
                Responses.textAndClose(ctx, call, HttpResponseStatus.NOT_FOUND, "no such workflow\n");
            } else {
                FrameStreamHandler stream = new FrameStreamHandler(ServerMetrics.LOGS, route.workflow().toString(),
                        new LogFrames(opened.get()), 0, options, metrics);
                WebSocketUpgrade.upgrade(ctx, call, stream, options, control);
            }
        });
    }
}
