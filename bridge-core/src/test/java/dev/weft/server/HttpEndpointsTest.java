package dev.weft.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.spi.WebhookRequest;
import dev.weft.spi.WebhookResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("plain HTTP endpoints")
class HttpEndpointsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ServerFixture s = new ServerFixture(ServerOptions.builder().webhookBodyLimit(1024).build());

    @AfterEach
    void close() {
        s.close();
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    @Nested
    @DisplayName("/healthz")
    class Healthz {
        @Test
        @DisplayName("is 200 with status ok, version and store when healthy")
        void healthy() throws Exception {
            HttpResponse<String> r = s.get("/healthz");
            assertEquals(200, r.statusCode());
            assertEquals("application/json", r.headers().firstValue("content-type").orElseThrow());
            assertEquals("{\"status\":\"ok\",\"version\":\"1.2.3\",\"store\":\"ok\"}", r.body());
        }

        @Test
        @DisplayName("is 503 unhealthy when not ok")
        void unhealthy() throws Exception {
            s.health.set(new Health(false, "1.2.3", "database is locked"));
            HttpResponse<String> r = s.get("/healthz");
            assertEquals(503, r.statusCode());
            assertEquals("unhealthy", json(r).get("status").asText());
            assertEquals("database is locked", json(r).get("store").asText());
        }

        @Test
        @DisplayName("names failing notifiers but stays 200: a down Slack must not take CI out of the balancer")
        void failingNotifier() throws Exception {
            s.health.set(new Health(true, "1.2.3", "ok", null, null, java.util.Map.of("slack", 3)));
            HttpResponse<String> r = s.get("/healthz");
            assertEquals(200, r.statusCode());
            assertEquals("{\"status\":\"ok\",\"version\":\"1.2.3\",\"store\":\"ok\",\"failingNotifiers\":{\"slack\":3}}", r.body());
        }

        @Test
        @DisplayName("is 503 unhealthy when the health check throws")
        void throwing() throws Exception {
            s.health.set(null);
            HttpResponse<String> r = s.get("/healthz");
            assertEquals(503, r.statusCode());
            assertEquals("unhealthy", json(r).get("status").asText());
        }
    }

    @Test
    @DisplayName("/metrics is Prometheus text with the server's own meters")
    void metrics() throws Exception {
        HttpResponse<String> r = s.get("/metrics");
        assertEquals(200, r.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("content-type").orElseThrow());
        assertTrue(r.body().contains("weft_events_connections"), r.body());
        assertTrue(r.body().contains("weft_logs_connections"), r.body());
        assertTrue(r.body().contains("weft_ws_slow_disconnects_total{endpoint=\"events\"}"), r.body());
    }

    @Test
    @DisplayName("/ names the endpoints")
    void index() throws Exception {
        HttpResponse<String> r = s.get("/");
        assertEquals(200, r.statusCode());
        for (String endpoint : List.of("/events", "/logs/", "/xrpc/sh.tangled.owner", "/healthz", "/metrics")) {
            assertTrue(r.body().contains(endpoint), endpoint);
        }
    }

    @Test
    @DisplayName("an unknown path is 404 and a GET-only path refuses POST with 405")
    void notFoundAndMethod() throws Exception {
        assertEquals(404, s.get("/nope").statusCode());
        HttpResponse<String> r = s.send(HttpRequest.newBuilder(s.http("/healthz")).POST(HttpRequest.BodyPublishers.ofString("x")));
        assertEquals(405, r.statusCode());
        assertEquals("GET", r.headers().firstValue("allow").orElseThrow());
        assertEquals(400, s.get("/events").statusCode(), "a plain GET on a WebSocket endpoint");
    }

    @Nested
    @DisplayName("XRPC")
    class Xrpc {
        @Test
        @DisplayName("sh.tangled.owner answers the owner DID")
        void owner() throws Exception {
            HttpResponse<String> r = s.get("/xrpc/sh.tangled.owner");
            assertEquals(200, r.statusCode());
            assertEquals("application/json", r.headers().firstValue("content-type").orElseThrow());
            assertEquals("{\"owner\":\"did:plc:owner123\"}", r.body());
        }

        @Test
        @DisplayName("an unknown method is 404 MethodNotImplemented")
        void unknown() throws Exception {
            HttpResponse<String> r = s.get("/xrpc/sh.tangled.nope");
            assertEquals(404, r.statusCode());
            assertEquals("MethodNotImplemented", json(r).get("error").asText());
            assertTrue(json(r).get("message").asText().contains("sh.tangled.nope"));
        }

        @Test
        @DisplayName("a known method with the wrong HTTP method is 405")
        void wrongMethod() throws Exception {
            HttpResponse<String> r = s.send(HttpRequest.newBuilder(s.http("/xrpc/sh.tangled.owner"))
                    .POST(HttpRequest.BodyPublishers.noBody()));
            assertEquals(405, r.statusCode());
            assertEquals("GET", r.headers().firstValue("allow").orElseThrow());
            assertEquals("InvalidRequest", json(r).get("error").asText());
        }

        @Test
        @DisplayName("mounted handlers see method, query, lower-case headers and body, and may answer empty")
        void mounted() throws Exception {
            List<XrpcHandler.Request> seen = new CopyOnWriteArrayList<>();
            s.server.xrpcRoutes().mount("sh.tangled.repo.listSecrets", "GET", req -> {
                seen.add(req);
                return XrpcHandler.Response.json(200, "{\"secrets\":null}");
            });
            s.server.xrpcRoutes().mount("sh.tangled.pipeline.cancelPipeline", "post", req -> {
                seen.add(req);
                return XrpcHandler.Response.empty(200);
            });
            HttpResponse<String> list = s.send(HttpRequest.newBuilder(
                    s.http("/xrpc/sh.tangled.repo.listSecrets?repo=at%3A%2F%2Fdid%3Aplc%3Ax%2Frepo")).header("Authorization", "Bearer t"));
            assertEquals(200, list.statusCode());
            assertEquals("{\"secrets\":null}", list.body());
            HttpResponse<String> cancel = s.send(HttpRequest.newBuilder(s.http("/xrpc/sh.tangled.pipeline.cancelPipeline"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"repo\":\"r\"}")));
            assertEquals(200, cancel.statusCode());
            assertEquals("", cancel.body());

            assertEquals("GET", seen.get(0).method());
            assertEquals("at://did:plc:x/repo", seen.get(0).param("repo").orElseThrow());
            assertEquals("Bearer t", seen.get(0).headers().get("authorization").get(0));
            assertEquals("POST", seen.get(1).method());
            assertEquals("{\"repo\":\"r\"}", new String(seen.get(1).body(), StandardCharsets.UTF_8));
        }

        @Test
        @DisplayName("a handler that throws is 500 InternalServerError; duplicates and bad NSIDs are refused")
        void failures() throws Exception {
            s.server.xrpcRoutes().mount("sh.tangled.boom", "GET", req -> {
                throw new IllegalStateException("boom");
            });
            HttpResponse<String> r = s.get("/xrpc/sh.tangled.boom");
            assertEquals(500, r.statusCode());
            assertEquals("InternalServerError", json(r).get("error").asText());
            assertThrows(IllegalArgumentException.class,
                    () -> s.server.xrpcRoutes().mount("sh.tangled.owner", "GET", req -> null));
            assertThrows(IllegalArgumentException.class,
                    () -> s.server.xrpcRoutes().mount("not an nsid", "GET", req -> null));
            assertThrows(IllegalArgumentException.class,
                    () -> s.server.xrpcRoutes().mount("sh.tangled.x", "DELETE", req -> null));
        }
    }

    @Nested
    @DisplayName("webhooks")
    class Webhooks {
        private final List<WebhookRequest> seen = new CopyOnWriteArrayList<>();

        private HttpResponse<String> post(String path, String body) throws Exception {
            return s.send(HttpRequest.newBuilder(s.http(path)).header("X-Buildkite-Token", "secret")
                    .POST(HttpRequest.BodyPublishers.ofString(body)));
        }

        @Test
        @DisplayName("a POST reaches the handler with raw body and lower-case headers, and is counted")
        void delivered() throws Exception {
            s.server.webhookRoutes().mount("/hooks/buildkite", "buildkite", req -> {
                seen.add(req);
                return WebhookResponse.text(202, "queued\n");
            });
            HttpResponse<String> r = post("/hooks/buildkite", "{\"event\":\"build.finished\"}");
            assertEquals(202, r.statusCode());
            assertEquals("queued\n", r.body());
            WebhookRequest req = seen.get(0);
            assertEquals("POST", req.method());
            assertEquals("/hooks/buildkite", req.path());
            assertArrayEquals("{\"event\":\"build.finished\"}".getBytes(StandardCharsets.UTF_8), req.body());
            assertEquals(List.of("secret"), req.headers().get("x-buildkite-token"));
            assertEquals(1.0, s.counter("weft.webhooks", "engine", "buildkite", "outcome", "accepted"));
        }

        @Test
        @DisplayName("outcomes are counted by status: unauthorized, rejected, error")
        void outcomes() throws Exception {
            s.server.webhookRoutes().mount("/hooks/a", "a", req -> WebhookResponse.unauthorized());
            s.server.webhookRoutes().mount("/hooks/b", "b", req -> WebhookResponse.text(422, "no\n"));
            s.server.webhookRoutes().mount("/hooks/c", "c", req -> {
                throw new RuntimeException("provider bug");
            });
            assertEquals(401, post("/hooks/a", "{}").statusCode());
            assertEquals(422, post("/hooks/b", "{}").statusCode());
            assertEquals(500, post("/hooks/c", "{}").statusCode());
            assertEquals(1.0, s.counter("weft.webhooks", "engine", "a", "outcome", "unauthorized"));
            assertEquals(1.0, s.counter("weft.webhooks", "engine", "b", "outcome", "rejected"));
            assertEquals(1.0, s.counter("weft.webhooks", "engine", "c", "outcome", "error"));
        }

        @Test
        @DisplayName("a body over the limit is 413 and never reaches the handler")
        void tooLarge() throws Exception {
            s.server.webhookRoutes().mount("/hooks/buildkite", "buildkite", req -> {
                seen.add(req);
                return WebhookResponse.ok();
            });
            HttpResponse<String> r = post("/hooks/buildkite", "x".repeat(1025));
            assertEquals(413, r.statusCode());
            assertEquals(List.of(), seen);
            assertEquals(1.0, s.counter("weft.webhooks", "engine", "buildkite", "outcome", "rejected"));
            assertEquals(200, post("/hooks/buildkite", "x".repeat(1024)).statusCode(), "exactly the limit is fine");
        }

        @Test
        @DisplayName("other methods are 405; paths match exactly")
        void methodsAndPaths() throws Exception {
            s.server.webhookRoutes().mount("/webhooks/buildkite", "buildkite", req -> WebhookResponse.ok());
            HttpResponse<String> r = s.get("/webhooks/buildkite");
            assertEquals(405, r.statusCode());
            assertEquals("POST", r.headers().firstValue("allow").orElseThrow());
            assertEquals(404, post("/webhooks/buildkite/", "{}").statusCode());
            assertEquals(200, post("/webhooks/buildkite?x=1", "{}").statusCode(), "the query is not part of the path");
        }

        @Test
        @DisplayName("duplicate and reserved paths are refused at mount time")
        void mountRules() {
            WebhookRoutes routes = s.server.webhookRoutes();
            routes.forEngine("github").mount(req -> WebhookResponse.ok());
            assertThrows(IllegalArgumentException.class, () -> routes.mount("/hooks/github", "other", req -> null));
            for (String p : List.of("/", "/events", "/healthz", "/metrics", "/logs/a/b/c", "/xrpc/x.y", "hooks", "/a?b")) {
                assertThrows(IllegalArgumentException.class, () -> routes.mount(p, "x", req -> null), p);
            }
        }
    }

    @Nested
    @DisplayName("bad input")
    class BadInput {
        private String exchange(String request) throws Exception {
            try (Socket raw = new Socket("127.0.0.1", s.server.port())) {
                raw.setSoTimeout(10_000);
                OutputStream out = raw.getOutputStream();
                out.write(request.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                InputStream in = raw.getInputStream();
                return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1); // the server closes
            }
        }

        @Test
        @DisplayName("a garbage request line is 400 and the connection is closed")
        void garbage() throws Exception {
            assertTrue(exchange("\u0001\u0002 hello there\r\n\r\n").startsWith("HTTP/1.1 400"));
        }

        @Test
        @DisplayName("oversized headers are 431")
        void bigHeaders() throws Exception {
            String r = exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n");
            assertTrue(r.startsWith("HTTP/1.1 431"), r);
        }

        @Test
        @DisplayName("an oversized request line is 414")
        void longUri() throws Exception {
            String r = exchange("GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
            assertTrue(r.startsWith("HTTP/1.1 414"), r);
        }

        @Test
        @DisplayName("an unknown method is 405 on a known path and 404 elsewhere")
        void unknownMethod() throws Exception {
            String known = exchange("FROB /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertTrue(known.startsWith("HTTP/1.1 405"), known);
            String unknown = exchange("FROB /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertTrue(unknown.startsWith("HTTP/1.1 404"), unknown);
        }

        @Test
        @DisplayName("keep-alive serves several requests on one connection")
        void keepAlive() throws Exception {
            String r = exchange("GET /xrpc/sh.tangled.owner HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertTrue(r.startsWith("HTTP/1.1 200"), r);
            assertTrue(r.contains("{\"owner\":\"did:plc:owner123\"}"), r);
            assertTrue(r.contains("{\"status\":\"ok\""), r);
        }
    }
}
