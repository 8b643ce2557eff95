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
 * upgrades to a {@link FrameStreamHandler} over the {@link EventFeed}. Cursor 0 (or missing or
 * invalid) starts after the newest event at connect time; a negative cursor starts at the
 * beginning; a positive one starts at {@code cursor - skewAllowance}, because the appview's cursor
 * is its own clock and replays are harmless (rkeys are unique). Stateless and {@link Sharable}.
 */
@Sharable
final class EventsUpgradeHandler extends SimpleChannelInboundHandler<Route.Events> {
    private static final Logger log = LoggerFactory.getLogger(EventsUpgradeHandler.class);

    private final EventFeed feed;
    private final ServerOptions options;
    private final ServerMetrics metrics;
    private final IdlePingHandler ping;
    private final WebSocketControlHandler control;

    EventsUpgradeHandler(EventFeed feed, ServerOptions options, ServerMetrics metrics, IdlePingHandler ping,
                         WebSocketControlHandler control) {
        this.feed = feed;
        this.options = options;
        this.metrics = metrics;
        this.ping = ping;
        this.control = control;
    }

    /** The id to stream after, for a cursor as parsed by the router. */
    static long startAfter(long cursor, long lastId, long skewNanos) {
        if (cursor == 0) return lastId;
        if (cursor < 0) return 0; // event ids are positive, so "after 0" is everything
        return Math.max(0, cursor - skewNanos);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Route.Events route) {
        long start;
        try {
            long last = route.cursor() == 0 ? feed.lastId() : 0;
            start = startAfter(route.cursor(), last, options.skewAllowance().toNanos());
        } catch (RuntimeException e) {
            log.error("/events: reading the feed failed", e);
            Responses.textAndClose(ctx, route.call(), HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error\n");
            return;
        }
        String who = String.valueOf(ctx.channel().remoteAddress());
        log.debug("/events from {}: cursor {} streams after id {}", who, route.cursor(), start);
        FrameStreamHandler stream = new FrameStreamHandler(ServerMetrics.EVENTS, "from " + who,
                new EventFrames(feed), start, options, metrics);
        WebSocketUpgrade.upgrade(ctx, route.call(), stream, options, ping, control);
    }
}
