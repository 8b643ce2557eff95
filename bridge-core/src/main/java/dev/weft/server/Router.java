package dev.weft.server;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Maps each aggregated request to a {@link Route} for the route handlers behind it, or answers the
 * routing errors itself: 404 (unknown path, or a WebSocket upgrade anywhere but {@code /events},
 * {@code /logs} and the log subscription), 405 (wrong method), 400 (a bad {@code /logs} path or
 * subscription query, a non-WebSocket request to a WebSocket endpoint). Every refusal happens before any upgrade and is logged. Stateless and
 * {@link Sharable}; the route tables it reads are thread-safe.
 */
@Sharable
final class Router extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(Router.class);

    static final String EVENTS = "/events";
    static final String XRPC_PREFIX = "/xrpc/";

    private final WebhookRoutes webhooks;
    private final XrpcRoutes xrpc;
    private final PageRoutes pages;

    Router(WebhookRoutes webhooks, XrpcRoutes xrpc, PageRoutes pages) {
        super(true); // the request is copied into an HttpCall, so release it when we return
        this.webhooks = webhooks;
        this.xrpc = xrpc;
        this.pages = pages;
    }

    /** Whether {@code path} belongs to weft's own routes (webhooks must not shadow them). */
    static boolean isReserved(String path) {
        return path.equals("/") || path.equals(EVENTS) || path.equals(DidDocumentHandler.PATH) || path.equals("/healthz") || path.equals("/metrics")
                || path.equals("/logs") || path.startsWith(LogsPath.PREFIX)
                || path.equals("/xrpc") || path.startsWith(XRPC_PREFIX) || WebhookRoutes.isCallback(path)
                || PageRoutes.isReserved(path);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        HttpCall call = HttpCall.of(req);
        String path = call.rawPath();
        HttpMethod m = call.method();

        if (path.equals(EVENTS)) {
            if (!m.equals(HttpMethod.GET)) {
                methodNotAllowed(ctx, call, "GET");
            } else if (!call.wantsWebSocket()) {
                refuse(ctx, call, HttpResponseStatus.BAD_REQUEST, "/events is a WebSocket endpoint");
            } else {
                ctx.fireChannelRead(new Route.Events(call, cursor(call)));
            }
            return;
        }
        if (path.equals("/logs") || path.startsWith(LogsPath.PREFIX)) {
            // Validate the path before anything else, so a bad path never reaches a lookup.
            switch (LogsPath.parse(path)) {
                case LogsPath.Result.Bad bad -> refuse(ctx, call, HttpResponseStatus.BAD_REQUEST,
                        "bad log path: " + bad.reason());
                case LogsPath.Result.Ok ok -> {
                    if (!m.equals(HttpMethod.GET)) {
                        methodNotAllowed(ctx, call, "GET");
                    } else if (!call.wantsWebSocket()) {
                        refuse(ctx, call, HttpResponseStatus.BAD_REQUEST, "/logs is a WebSocket endpoint");
                    } else {
                        ctx.fireChannelRead(new Route.Logs(call, ok.workflow()));
                    }
                }
            }
            return;
        }
        if (PipelineLogsRequest.isPath(path)) {
            pipelineLogs(ctx, call, path.substring(XRPC_PREFIX.length()));
            return;
        }
        if (call.wantsWebSocket()) {
            refuse(ctx, call, HttpResponseStatus.NOT_FOUND, "no WebSocket endpoint at " + path);
            return;
        }
        switch (path) {
            case "/" -> getOnly(ctx, call, new Route.Index(call));
            case "/healthz" -> getOnly(ctx, call, new Route.Healthz(call));
            case "/metrics" -> getOnly(ctx, call, new Route.Metrics(call));
            case DidDocumentHandler.PATH -> getOnly(ctx, call, new Route.DidDocument(call));
            default -> {
                if (path.startsWith(XRPC_PREFIX)) {
                    xrpc(ctx, call, path.substring(XRPC_PREFIX.length()));
                } else if (pages.find(path).isPresent()) {
                    ctx.fireChannelRead(new Route.Page(call, pages.find(path).get()));
                } else {
                    webhookOrNotFound(ctx, call);
                }
            }
        }
    }

    private void xrpc(ChannelHandlerContext ctx, HttpCall call, String nsid) {
        switch (xrpc.find(nsid, call.method().name())) {
            case XrpcRoutes.Lookup.Found f -> {
                if (call.query() == null) {
                    log.info("{} {} {}: malformed query string", ctx.channel().remoteAddress(), call.method(), call.uri());
                    xrpcError(ctx, call, HttpResponseStatus.BAD_REQUEST, "InvalidRequest", "malformed query string", null);
                } else {
                    ctx.fireChannelRead(new Route.Xrpc(call, nsid, f.handler()));
                }
            }
            case XrpcRoutes.Lookup.WrongMethod w -> {
                log.info("{} {} {}: method not allowed", ctx.channel().remoteAddress(), call.method(), call.rawPath());
                xrpcError(ctx, call, HttpResponseStatus.METHOD_NOT_ALLOWED, "InvalidRequest",
                        nsid + " does not accept " + call.method().name(), String.join(", ", w.allowed()));
            }
            case XrpcRoutes.Lookup.Unknown u -> {
                log.info("{} {} {}: unknown XRPC method", ctx.channel().remoteAddress(), call.method(), call.rawPath());
                xrpcError(ctx, call, HttpResponseStatus.NOT_FOUND, "MethodNotImplemented",
                        "method not implemented: " + nsid, null);
            }
        }
    }

    /**
     * The log subscription: an XRPC method, so its refusals are XRPC error bodies, and a WebSocket
     * endpoint, so the connection is closed after them. The query is checked before any lookup.
     */
    private void pipelineLogs(ChannelHandlerContext ctx, HttpCall call, String nsid) {
        if (!call.method().equals(HttpMethod.GET)) {
            log.info("{} {} {}: method not allowed", ctx.channel().remoteAddress(), call.method(), call.rawPath());
            xrpcError(ctx, call, HttpResponseStatus.METHOD_NOT_ALLOWED, "InvalidRequest",
                    nsid + " does not accept " + call.method().name(), "GET", true);
            return;
        }
        switch (PipelineLogsRequest.parse(call.query())) {
            case PipelineLogsRequest.Result.Bad bad -> {
                log.info("{} {} {}: 400 {}", ctx.channel().remoteAddress(), call.method(), call.uri(), bad.message());
                xrpcError(ctx, call, HttpResponseStatus.BAD_REQUEST, "InvalidRequest", bad.message(), null, true);
            }
            case PipelineLogsRequest.Result.Ok ok -> {
                if (!call.wantsWebSocket()) {
                    log.info("{} {} {}: 400 not a WebSocket upgrade", ctx.channel().remoteAddress(), call.method(), call.uri());
                    xrpcError(ctx, call, HttpResponseStatus.BAD_REQUEST, "InvalidRequest",
                            nsid + " is a subscription: connect with a WebSocket", null, true);
                } else {
                    ctx.fireChannelRead(new Route.PipelineLogs(call, nsid, ok.pipeline(), ok.workflows()));
                }
            }
        }
    }

    private static void xrpcError(ChannelHandlerContext ctx, HttpCall call, HttpResponseStatus status,
                                  String error, String message, String allow) {
        xrpcError(ctx, call, status, error, message, allow, false);
    }

    private static void xrpcError(ChannelHandlerContext ctx, HttpCall call, HttpResponseStatus status,
                                  String error, String message, String allow, boolean close) {
        FullHttpResponse r = Responses.xrpcError(status, error, message);
        if (allow != null) r.headers().set(HttpHeaderNames.ALLOW, allow);
        Responses.send(ctx, call, r, close);
    }

    private void webhookOrNotFound(ChannelHandlerContext ctx, HttpCall call) {
        // Callbacks first: the prefix is reserved, so no provider mount can answer there anyway.
        WebhookRoutes.Mount mount = (WebhookRoutes.isCallback(call.rawPath())
                ? webhooks.findCallback(call.rawPath()) : webhooks.find(call.rawPath())).orElse(null);
        if (mount == null) {
            log.info("{} {} {}: not found", ctx.channel().remoteAddress(), call.method(), call.rawPath());
            Responses.text(ctx, call, HttpResponseStatus.NOT_FOUND, "not found\n");
        } else if (!call.method().equals(HttpMethod.POST)) {
            methodNotAllowed(ctx, call, "POST");
        } else {
            ctx.fireChannelRead(new Route.Webhook(call, mount.engine(), mount.handler()));
        }
    }

    private static void getOnly(ChannelHandlerContext ctx, HttpCall call, Route route) {
        if (call.method().equals(HttpMethod.GET)) {
            ctx.fireChannelRead(route);
        } else {
            methodNotAllowed(ctx, call, "GET");
        }
    }

    private static void methodNotAllowed(ChannelHandlerContext ctx, HttpCall call, String allow) {
        log.info("{} {} {}: method not allowed", ctx.channel().remoteAddress(), call.method(), call.rawPath());
        FullHttpResponse r = Responses.response(HttpResponseStatus.METHOD_NOT_ALLOWED, Responses.TEXT,
                "method not allowed\n".getBytes(StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.ALLOW, allow);
        Responses.send(ctx, call, r, false);
    }

    /** Refuses a would-be WebSocket request; the connection is closed since it was meant to be upgraded. */
    private static void refuse(ChannelHandlerContext ctx, HttpCall call, HttpResponseStatus status, String why) {
        log.info("{} {} {}: {} {}", ctx.channel().remoteAddress(), call.method(), call.uri(), status.code(), why);
        Responses.textAndClose(ctx, call, status, why + "\n");
    }

    /** The {@code cursor} query value; 0 (from the beginning) when absent or not an int64, as upstream does. */
    static long cursor(HttpCall call) {
        List<String> v = call.query() == null ? null : call.query().get("cursor");
        if (v == null || v.isEmpty()) return 0;
        try {
            return Long.parseLong(v.get(0).trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
