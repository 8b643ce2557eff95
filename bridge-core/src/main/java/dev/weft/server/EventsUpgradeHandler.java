package dev.weft.server;

import dev.weft.events.EventFeed;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@link Route.Events}: picks the starting position from the cursor (spec section 4) and
 * upgrades to a {@link FrameStreamHandler} over the {@link EventFeed}. A cursor of 0 or less (or
 * missing or invalid) starts at the beginning, as the rewritten spindle does (spec tangled-ci 5.3;
 * the first generation started live, but an appview that lost its cursor would then miss every
 * pipeline record it needs to accept later statuses); weft's backfill has no drain cap. A positive
 * cursor starts at {@code cursor - skewAllowance}, because the appview's cursor is its own clock
 * and replays are harmless (rkeys are unique). Stateless and {@link Sharable}.
 */
@Sharable
final class EventsUpgradeHandler extends SimpleChannelInboundHandler<Route.Events> {
    private static final Logger log = LoggerFactory.getLogger(EventsUpgradeHandler.class);

    private final EventFeed feed;
    private final ServerOptions options;
    private final ServerMetrics metrics;
    private final WebSocketControlHandler control;

    EventsUpgradeHandler(EventFeed feed, ServerOptions options, ServerMetrics metrics,
                         WebSocketControlHandler control) {
        this.feed = feed;
        this.options = options;
        this.metrics = metrics;
        this.control = control;
    }

    /** The id to stream after, for a cursor as parsed by the router. */
    static long startAfter(long cursor, long skewNanos) {
        if (cursor <= 0) return 0; // event ids are positive, so "after 0" is everything
        return Math.max(0, cursor - skewNanos);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Route.Events route) {
        long start = startAfter(route.cursor(), options.skewAllowance().toNanos());
        String who = String.valueOf(ctx.channel().remoteAddress());
        log.debug("/events from {}: cursor {} streams after id {}", who, route.cursor(), start);
        FrameStreamHandler stream = new FrameStreamHandler(ServerMetrics.EVENTS, "from " + who,
                new EventFrames(feed), start, options, metrics);
        WebSocketUpgrade.upgrade(ctx, route.call(), stream, options, control);
    }
}
