package dev.weft.server;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@link Route.Page}: calls the mounted {@link PageHandler} on a virtual thread and writes
 * its answer. A handler that throws answers 500 and is logged. Stateless and {@link Sharable}.
 */
@Sharable
final class PageDispatcher extends SimpleChannelInboundHandler<Route.Page> {
    private static final Logger log = LoggerFactory.getLogger(PageDispatcher.class);

    private final Blocking blocking;

    PageDispatcher(Blocking blocking) {
        this.blocking = blocking;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Route.Page route) {
        HttpCall call = route.call();
        if (call.query() == null) {
            Responses.text(ctx, call, HttpResponseStatus.BAD_REQUEST, "malformed query string\n");
            return;
        }
        PageHandler.Request request = new PageHandler.Request(call.method().name(), call.rawPath(), call.query(),
                call.headers(), call.body(), PageHandler.Request.client(ctx.channel().remoteAddress()));
        blocking.run(ctx, () -> route.handler().handle(request), (response, failure) -> {
            PageHandler.Response r = response;
            if (failure instanceof Blocking.ShuttingDown) {
                r = PageHandler.Response.of(503, Responses.TEXT, "shutting down\n");
            } else if (failure != null || r == null) {
                log.warn("{} {} failed", call.method(), call.rawPath(), failure);
                r = PageHandler.Response.of(500, Responses.TEXT, "internal error\n");
            }
            FullHttpResponse out = Responses.response(HttpResponseStatus.valueOf(r.status()), r.contentType(), r.body());
            r.headers().forEach((k, v) -> out.headers().add(k, v));
            Responses.send(ctx, call, out, false);
        });
    }
}
