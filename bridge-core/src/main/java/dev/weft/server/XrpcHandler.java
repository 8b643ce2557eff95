package dev.weft.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Answers one XRPC method mounted with {@link XrpcRoutes#mount}. Called on a virtual thread per
 * request, so it may block (resolve a DID, query the store); the caller is waiting. An exception
 * answers 500 {@code {"error":"InternalServerError",...}} and is logged; expected failures (bad
 * token, forbidden repo) should be returned as {@link Response#error} instead.
 */
@FunctionalInterface
public interface XrpcHandler {

    Response handle(Request request) throws Exception;

    /**
     * One XRPC call as received.
     *
     * @param method  the HTTP method, upper case
     * @param query   decoded query parameters, in order of appearance
     * @param headers header values by lower-case name
     * @param body    the raw request body (empty for GET)
     */
    record Request(String method, Map<String, List<String>> query, Map<String, List<String>> headers,
                   byte[] body) {
        public Request {
            Objects.requireNonNull(method, "method");
            query = Map.copyOf(query);
            headers = Map.copyOf(headers);
            Objects.requireNonNull(body, "body");
        }

        /** The first value of a query parameter. */
        public Optional<String> param(String name) {
            return HttpCall.first(query, name);
        }

        /** The first value of a header, matched case-insensitively. */
        public Optional<String> header(String name) {
            return HttpCall.first(headers, name.toLowerCase(Locale.ROOT));
        }
    }

    /**
     * The answer: a status and a JSON body. An empty body is sent without a content type (XRPC
     * procedures with no output, such as {@code cancelPipeline}).
     */
    record Response(int status, byte[] body) {
        private static final ObjectMapper JSON = new ObjectMapper();

        public Response {
            if (status < 100 || status > 599) throw new IllegalArgumentException("status " + status);
            Objects.requireNonNull(body, "body");
        }

        public static Response json(int status, byte[] body) {
            return new Response(status, body);
        }

        public static Response json(int status, String body) {
            return new Response(status, body.getBytes(StandardCharsets.UTF_8));
        }

        /** A body-less answer, such as 200 for a procedure with no output. */
        public static Response empty(int status) {
            return new Response(status, new byte[0]);
        }

        /** XRPC's error shape: {@code {"error":"<tag>","message":"<message>"}}. */
        public static Response error(int status, String error, String message) {
            ObjectNode n = JSON.createObjectNode();
            n.put("error", error);
            n.put("message", message);
            try {
                return new Response(status, JSON.writeValueAsBytes(n));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e); // an ObjectNode of two strings always encodes
            }
        }
    }
}
