package dev.weft.server;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@link Route.Xrpc}: calls the mounted {@link XrpcHandler} on a virtual thread and writes
 * its JSON answer. A handler that throws answers 500 {@code InternalServerError} and is logged.
 * Stateless and {@link Sharable}.
 */
@Sharable
final class XrpcDispatcher extends SimpleChannelInboundHandler<Route.Xrpc> {
    private static final Logger log = LoggerFactory.getLogger(XrpcDispatcher.class);

    private final Blocking blocking;

    XrpcDispatcher(Blocking blocking) {
        this.blocking = blocking;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Route.Xrpc route) {
        HttpCall call = route.call();
        XrpcHandler.Request request = new XrpcHandler.Request(call.method().name(), call.query(), call.headers(), call.body());
        blocking.run(ctx, () -> route.handler().handle(request), (response, failure) -> {
            XrpcHandler.Response r = response;
            if (failure instanceof Blocking.ShuttingDown) {
                r = XrpcHandler.Response.error(503, "InternalServerError", "shutting down");
            } else if (failure != null) {
                log.warn("XRPC {} {} failed", call.method(), route.nsid(), failure);
                r = XrpcHandler.Response.error(500, "InternalServerError", "internal error");
            } else if (r == null) {
                log.warn("XRPC {} {} returned null; answering 500", call.method(), route.nsid());
                r = XrpcHandler.Response.error(500, "InternalServerError", "internal error");
            }
            Responses.json(ctx, call, HttpResponseStatus.valueOf(r.status()), r.body());
        });
    }
}
