package dev.weft.server;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An immutable copy of one aggregated request. The router copies the request out of its pooled
 * buffer at once so route handlers, some of which finish on another thread much later, never have
 * to manage reference counts.
 *
 * @param rawPath the path as sent, still percent-encoded, without the query
 * @param query   decoded query parameters, or null when the query string could not be decoded
 * @param headers header values by lower-case name
 */
record HttpCall(HttpVersion version, HttpMethod method, String uri, String rawPath,
                Map<String, List<String>> query, Map<String, List<String>> headers,
                HttpHeaders nettyHeaders, byte[] body, boolean keepAlive) {

    /**
     * The first value of a multi-valued map (query parameters, or headers by lower-case name), as
     * the request records handed to XRPC and page handlers answer it.
     */
    static java.util.Optional<String> first(Map<String, List<String>> values, String name) {
        List<String> v = values.get(name);
        return v == null || v.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(v.get(0));
    }

    static HttpCall of(FullHttpRequest req) {
        QueryStringDecoder qs = new QueryStringDecoder(req.uri());
        Map<String, List<String>> query;
        try {
            query = Map.copyOf(qs.parameters());
        } catch (IllegalArgumentException e) {
            query = null; // a broken %-escape; the router answers 400 where the query matters
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : req.headers()) {
            headers.computeIfAbsent(h.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(h.getValue());
        }
        headers.replaceAll((k, v) -> List.copyOf(v));
        return new HttpCall(req.protocolVersion(), req.method(), req.uri(), qs.rawPath(), query,
                Map.copyOf(headers), req.headers().copy(), ByteBufUtil.getBytes(req.content()),
                HttpUtil.isKeepAlive(req));
    }

    /** Whether the client asks for a WebSocket ({@code Upgrade: websocket}). */
    boolean wantsWebSocket() {
        String upgrade = nettyHeaders.get(HttpHeaderNames.UPGRADE);
        return upgrade != null && HttpHeaderValues.WEBSOCKET.contentEqualsIgnoreCase(upgrade.trim());
    }

    /** The body-less request the WebSocket handshaker needs. */
    FullHttpRequest toUpgradeRequest() {
        return new DefaultFullHttpRequest(version, method, uri, Unpooled.EMPTY_BUFFER, nettyHeaders.copy(),
                EmptyHttpHeaders.INSTANCE);
    }
}
