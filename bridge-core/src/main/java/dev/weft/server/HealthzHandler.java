package dev.weft.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Supplier;

/**
 * Answers {@link Route.Healthz} with {@code {"status":"ok"|"unhealthy","version":..,"store":..}},
 * 200 or 503, plus {@code "failingNotifiers":{"<name>":<failures in a row>}} when a notifier is
 * failing (which alone does not make the answer 503). The supplier may look at the store, so it runs on a virtual thread; a supplier that
 * throws reads as unhealthy. Stateless and {@link Sharable}.
 */
@Sharable
final class HealthzHandler extends SimpleChannelInboundHandler<Route.Healthz> {
    private static final Logger log = LoggerFactory.getLogger(HealthzHandler.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Blocking blocking;
    private final Supplier<Health> health;

    HealthzHandler(Blocking blocking, Supplier<Health> health) {
        this.blocking = blocking;
        this.health = health;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Route.Healthz route) {
        blocking.run(ctx, health::get, (h, failure) -> {
            if (failure != null || h == null) {
                log.warn("health check failed", failure);
                h = new Health(false, "", "health check failed");
            }
            ObjectNode n = JSON.createObjectNode();
            n.put("status", h.ok() ? "ok" : "unhealthy");
            n.put("version", h.version());
            n.put("store", h.storeStatus());
            if (h.instance() != null) {
                n.put("instance", h.instance());
                var held = n.putArray("leases");
                new java.util.TreeSet<>(h.leases()).forEach(held::add);
            }
            if (!h.failingNotifiers().isEmpty()) {
                ObjectNode failing = n.putObject("failingNotifiers");
                h.failingNotifiers().forEach(failing::put);
            }
            byte[] body;
            try {
                body = JSON.writeValueAsBytes(n);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e); // three strings always encode
            }
            Responses.json(ctx, route.call(), h.ok() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, body);
        });
    }
}
