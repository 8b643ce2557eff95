package dev.weft.server;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpResponseStatus;

/** Answers {@link Route.Index}: a short page naming the endpoints, for humans poking with curl. Stateless. */
@Sharable
final class IndexHandler extends SimpleChannelInboundHandler<Route.Index> {
    static final String PAGE = """
            weft: a Tangled spindle that runs workflows on third-party CI

              GET /events[?cursor=<unix nanos>]     WebSocket: pipeline status events
              GET /logs/{knot}/{rkey}/{workflow}    WebSocket: one workflow's log lines
              GET /xrpc/sh.tangled.owner            the owner DID
              GET /healthz                          health as JSON
              GET /metrics                          Prometheus metrics
              GET /.well-known/did.json             this spindle's did:web document
              GET /console                          the web console (unless WEFT_CONSOLE=off)
            """;

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Route.Index route) {
        Responses.text(ctx, route.call(), HttpResponseStatus.OK, PAGE);
    }
}
