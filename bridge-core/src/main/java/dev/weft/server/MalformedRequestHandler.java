package dev.weft.server;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Answers whatever the HTTP decoder could not parse (a broken request line, oversized headers, a
 * bad chunk) with 400, 414 or 431 and closes: after a framing error nothing more on the connection
 * can be trusted. Stateless and {@link Sharable}.
 */
@Sharable
final class MalformedRequestHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(MalformedRequestHandler.class);
    private static final AttributeKey<Boolean> ANSWERED = AttributeKey.valueOf("weft.malformedAnswered");

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpObject o) || !o.decoderResult().isFailure()) {
            ctx.fireChannelRead(msg);
            return;
        }
        Throwable cause = o.decoderResult().cause();
        ReferenceCountUtil.release(msg);
        if (ctx.channel().attr(ANSWERED).setIfAbsent(Boolean.TRUE) != null) return; // answer once
        HttpResponseStatus status = status(cause);
        log.info("{}: malformed HTTP request, answering {}: {}", ctx.channel().remoteAddress(), status.code(),
                String.valueOf(cause));
        Responses.send(ctx, null, Responses.response(status, Responses.TEXT,
                (status.reasonPhrase().toLowerCase(Locale.ROOT) + "\n").getBytes(StandardCharsets.UTF_8)), true);
    }

    static HttpResponseStatus status(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) return HttpResponseStatus.REQUEST_URI_TOO_LONG;
        if (cause instanceof TooLongHttpHeaderException) return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
        if (cause instanceof TooLongFrameException) return HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
        return HttpResponseStatus.BAD_REQUEST;
    }
}
