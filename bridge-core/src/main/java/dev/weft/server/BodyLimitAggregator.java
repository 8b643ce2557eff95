package dev.weft.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Netty's aggregator with the webhook body limit, which logs each 413 it sends and counts it as a
 * rejected delivery when the path is a mounted webhook. Per connection (aggregators hold state).
 */
final class BodyLimitAggregator extends HttpObjectAggregator {
    private static final Logger log = LoggerFactory.getLogger(BodyLimitAggregator.class);

    private final WebhookRoutes webhooks;
    private final ServerMetrics metrics;

    BodyLimitAggregator(int limit, WebhookRoutes webhooks, ServerMetrics metrics) {
        super(limit, true); // closeOnExpectationFailed: an unanswerable Expect ends the connection
        this.webhooks = webhooks;
        this.metrics = metrics;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
        if (oversized instanceof HttpRequest req) {
            String path = new QueryStringDecoder(req.uri()).rawPath();
            log.info("{} {} {}: body over {} bytes, answering 413", ctx.channel().remoteAddress(), req.method(),
                    path, maxContentLength());
            webhooks.find(path).ifPresent(m -> metrics.webhook(m.engine(), 413));
        }
        super.handleOversizedMessage(ctx, oversized);
    }
}
