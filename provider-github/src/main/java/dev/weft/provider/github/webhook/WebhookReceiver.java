package dev.weft.provider.github.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.provider.github.rest.GitHubJson;
import dev.weft.spi.WebhookHandler;
import dev.weft.spi.WebhookRequest;
import dev.weft.spi.WebhookResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * {@code POST /hooks/github}: verifies {@code X-Hub-Signature-256} (401 otherwise, and always when
 * no secret is configured), drops repeated {@code X-GitHub-Delivery} ids, and hands
 * {@code workflow_run}/{@code workflow_job} deliveries to {@code sink} on {@code executor}, so the
 * answer goes back at once. {@code ping} answers {@code pong}; other events are acknowledged and
 * ignored.
 */
public final class WebhookReceiver implements WebhookHandler {
    private static final Logger log = LoggerFactory.getLogger(WebhookReceiver.class);

    private final Optional<byte[]> secret;
    private final DeliveryDeduper deliveries;
    private final Executor executor;
    private final Consumer<WebhookHint> sink;

    public WebhookReceiver(Optional<byte[]> secret, DeliveryDeduper deliveries, Executor executor,
                           Consumer<WebhookHint> sink) {
        this.secret = secret;
        this.deliveries = deliveries;
        this.executor = executor;
        this.sink = sink;
    }

    @Override
    public WebhookResponse handle(WebhookRequest request) {
        if (!"POST".equals(request.method())) return WebhookResponse.text(405, "method not allowed\n");
        if (secret.isEmpty()) {
            log.warn("GitHub webhook refused: WEFT_GITHUB_WEBHOOK_SECRET is not set");
            return WebhookResponse.unauthorized();
        }
        String signature = request.header("X-Hub-Signature-256").orElse(null);
        if (!Signature.verify(secret.get(), request.body(), signature)) {
            log.warn("GitHub webhook refused: {} X-Hub-Signature-256 (delivery {})",
                    signature == null ? "missing" : "wrong", request.header("X-GitHub-Delivery").orElse("-"));
            return WebhookResponse.unauthorized();
        }
        Optional<String> delivery = request.header("X-GitHub-Delivery");
        if (delivery.isPresent() && !deliveries.firstTime(delivery.get())) {
            log.debug("GitHub delivery {} seen before: dropped", delivery.get());
            return WebhookResponse.text(200, "duplicate delivery\n");
        }
        String event = request.header("X-GitHub-Event").orElse("");
        if (event.equals("ping")) return WebhookResponse.text(200, "pong\n");
        if (!event.equals("workflow_run") && !event.equals("workflow_job")) {
            return WebhookResponse.text(200, "ignored\n");
        }
        Optional<WebhookHint> hint;
        try {
            hint = parse(event, GitHubJson.MAPPER.readTree(json(request)));
        } catch (IOException | IllegalArgumentException e) {
            return WebhookResponse.text(400, "body is not JSON\n");
        }
        if (hint.isEmpty()) return WebhookResponse.text(400, "no " + event + " object with a run id\n");
        WebhookHint h = hint.get();
        executor.execute(() -> sink.accept(h));
        return WebhookResponse.text(202, "queued\n");
    }

    /**
     * The JSON of a delivery: the body, or its {@code payload} field when the webhook was set up
     * with content type {@code application/x-www-form-urlencoded} (the signature covers the raw
     * body either way).
     */
    static String json(WebhookRequest request) {
        String body = request.bodyText();
        boolean form = request.header("Content-Type").map(c -> c.toLowerCase(java.util.Locale.ROOT)
                .startsWith("application/x-www-form-urlencoded")).orElse(false);
        if (!form) return body;
        for (String pair : body.split("&")) {
            if (pair.startsWith("payload=")) {
                return java.net.URLDecoder.decode(pair.substring("payload=".length()), java.nio.charset.StandardCharsets.UTF_8);
            }
        }
        throw new IllegalArgumentException("form delivery without a payload field");
    }

    /** Reads a delivery's run id, attempt and claimed state; empty when it has none. */
    public static Optional<WebhookHint> parse(String event, JsonNode payload) {
        String action = payload.path("action").asText("");
        JsonNode o = payload.path(event);
        if (!o.isObject()) return Optional.empty();
        JsonNode id = event.equals("workflow_run") ? o.path("id") : o.path("run_id");
        if (!id.canConvertToLong() || id.asLong() <= 0) return Optional.empty();
        String conclusion = o.path("conclusion").isTextual() ? o.path("conclusion").asText() : null;
        String title = o.path("display_title").isTextual() ? o.path("display_title").asText() : null;
        return Optional.of(new WebhookHint(event, id.asLong(), o.path("run_attempt").asInt(1),
                o.path("status").asText(""), conclusion, title, action));
    }
}
