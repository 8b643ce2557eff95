package dev.weft.server;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Answers the plain HTTP requests under a prefix mounted with {@link PageRoutes#mount} (the web
 * console). Called on a virtual thread per request, so it may block on the store; an exception
 * answers 500 and is logged. The handler does its own routing below the prefix and answers 404
 * for what it does not know.
 */
@FunctionalInterface
public interface PageHandler {

    Response handle(Request request) throws Exception;

    /**
     * One request as received.
     *
     * @param method  the HTTP method, upper case
     * @param path    the path as sent, still percent-encoded, without the query
     * @param query   decoded query parameters
     * @param headers header values by lower-case name
     * @param body    the raw body (empty for GET)
     * @param client  the peer's address, for logs (the socket's; a proxy's own when behind one)
     */
    record Request(String method, String path, Map<String, List<String>> query, Map<String, List<String>> headers,
                   byte[] body, String client) {
        public Request {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(path, "path");
            query = Map.copyOf(query);
            headers = Map.copyOf(headers);
            Objects.requireNonNull(body, "body");
            client = client == null ? "" : client;
        }

        /** The first value of a query parameter. */
        public Optional<String> param(String name) {
            return HttpCall.first(query, name);
        }

        /** The first value of a header, matched case-insensitively. */
        public Optional<String> header(String name) {
            return HttpCall.first(headers, name.toLowerCase(Locale.ROOT));
        }

        static String client(SocketAddress a) {
            if (a instanceof InetSocketAddress i) return i.getAddress() == null ? i.getHostString() : i.getAddress().getHostAddress();
            return a == null ? "" : a.toString();
        }
    }

    /**
     * The answer: a status, a content type (null for none), extra headers (no
     * {@code Content-Length} or {@code Connection}: the server sets those) and the body.
     */
    record Response(int status, String contentType, Map<String, String> headers, byte[] body) {
        public Response {
            if (status < 100 || status > 599) throw new IllegalArgumentException("status " + status);
            headers = Map.copyOf(headers);
            Objects.requireNonNull(body, "body");
        }

        public static Response of(int status, String contentType, String body) {
            return new Response(status, contentType, Map.of(), body.getBytes(StandardCharsets.UTF_8));
        }

        /** This answer with one more header. */
        public Response with(String name, String value) {
            Map<String, String> h = new LinkedHashMap<>(headers);
            h.put(name, value);
            return new Response(status, contentType, h, body);
        }
    }
}
