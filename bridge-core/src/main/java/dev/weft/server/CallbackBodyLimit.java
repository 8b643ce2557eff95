package dev.weft.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;

/**
 * The job callbacks' own body limit, applied before aggregation so an oversized callback is never
 * buffered: one whose declared length is over the limit is answered 413 at once, unread (a client
 * waiting on {@code Expect: 100-continue} never sends it); one sent in chunks is cut off with 413
 * as soon as its bytes pass the limit. Either way the connection is then closed, since the rest of
 * the body is not read. Other paths pass untouched to the aggregator and its general limit. Per
 * connection: it follows the request being read.
 */
final class CallbackBodyLimit extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(CallbackBodyLimit.class);

    private final int limit;
    private final ServerMetrics metrics;
    /** Body bytes of the callback being read; -1 while the request is not a callback. */
    private long received = -1;
    /** After a 413: everything until the connection closes is dropped. */
    private boolean refused;

    CallbackBodyLimit(int limit, ServerMetrics metrics) {
        this.limit = limit;
        this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refused) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest req) {
            received = -1;
            String path = new QueryStringDecoder(req.uri()).rawPath();
            if (WebhookRoutes.isCallback(path)) {
                long declared = declaredLength(req);
                if (declared > limit) {
                    refuse(ctx, req.method() + " " + path, "declares " + declared + " bytes");
                    ReferenceCountUtil.release(msg);
                    return;
                }
                received = 0;
            }
        }
        if (msg instanceof HttpContent c && received >= 0) {
            received += c.content().readableBytes();
            if (received > limit) {
                refuse(ctx, "callback", "sent more than " + limit + " bytes");
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof LastHttpContent) received = -1;
        }
        ctx.fireChannelRead(msg);
    }

    private static long declaredLength(HttpRequest req) {
        try {
            return HttpUtil.getContentLength(req, -1L);
        } catch (NumberFormatException e) {
            return -1; // the codec refuses a malformed length itself
        }
    }

    private void refuse(ChannelHandlerContext ctx, String what, String why) {
        refused = true;
        received = -1;
        log.info("{} {}: body {} (callback limit {} bytes), answering 413", ctx.channel().remoteAddress(), what, why, limit);
        metrics.webhook(WebhookRoutes.CALLBACK_ENGINE, 413);
        // A chunked body was already being aggregated: the connection closes, and the aggregator
        // would report the cut-off message as an error. Removing it releases what it holds quietly.
        if (ctx.pipeline().get(HttpPipeline.AGGREGATOR) != null) ctx.pipeline().remove(HttpPipeline.AGGREGATOR);
        byte[] body = ("callback body over " + limit + " bytes; send fewer events per request\n").getBytes(StandardCharsets.UTF_8);
        Responses.send(ctx, null, Responses.response(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, Responses.TEXT, body), true);
    }
}
