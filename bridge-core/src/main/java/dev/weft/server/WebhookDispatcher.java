package dev.weft.server;

import dev.weft.spi.WebhookRequest;
import dev.weft.spi.WebhookResponse;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@link Route.Webhook}: calls the provider's handler on a virtual thread with the raw
 * body and lower-case headers, writes its response, counts the outcome. A handler that throws (or
 * returns nothing, or an impossible status) answers 500 and is logged with its engine. Stateless
 * and {@link Sharable}.
 */
@Sharable
final class WebhookDispatcher extends SimpleChannelInboundHandler<Route.Webhook> {
    private static final Logger log = LoggerFactory.getLogger(WebhookDispatcher.class);

    private final Blocking blocking;
    private final ServerMetrics metrics;

    WebhookDispatcher(Blocking blocking, ServerMetrics metrics) {
        this.blocking = blocking;
        this.metrics = metrics;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Route.Webhook route) {
        HttpCall call = route.call();
        WebhookRequest request = new WebhookRequest(call.method().name(), call.rawPath(), call.headers(), call.body());
        blocking.run(ctx, () -> route.handler().handle(request), (response, failure) -> {
            WebhookResponse r = response;
            if (failure instanceof Blocking.ShuttingDown) {
                r = WebhookResponse.text(503, "shutting down\n");
            } else if (failure != null) {
                log.warn("webhook {} (engine {}) failed", call.rawPath(), route.engine(), failure);
                r = WebhookResponse.text(500, "internal error\n");
            } else if (r == null || r.status() < 100 || r.status() > 599) {
                log.warn("webhook {} (engine {}) returned {}; answering 500", call.rawPath(), route.engine(),
                        r == null ? "null" : "status " + r.status());
                r = WebhookResponse.text(500, "internal error\n");
            }
            metrics.webhook(route.engine(), r.status());
            byte[] body = r.body() == null ? new byte[0] : r.body();
            Responses.send(ctx, call, Responses.response(HttpResponseStatus.valueOf(r.status()), r.contentType(), body), false);
        });
    }
}
