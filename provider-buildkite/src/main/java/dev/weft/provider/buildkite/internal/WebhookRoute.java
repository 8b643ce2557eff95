package dev.weft.provider.buildkite.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.spi.Run;
import dev.weft.spi.RunDirectory;
import dev.weft.spi.WebhookHandler;
import dev.weft.spi.WebhookRequest;
import dev.weft.spi.WebhookResponse;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code POST /hooks/buildkite} (and tack's {@code /webhooks/buildkite}): verifies the delivery,
 * finds the run its build belongs to and wakes that run's watcher, which re-reads the build from
 * the API. The payload is never trusted for state: it is a hint. Answers at once; no API call is
 * made on the request thread.
 */
public final class WebhookRoute implements WebhookHandler {
    private static final Logger log = LoggerFactory.getLogger(WebhookRoute.class);

    private final WebhookVerifier verifier;
    private final RunDirectory runs;
    private final Consumer<Run> wake;
    private final ObjectMapper json;
    private final MeterRegistry meters;

    public WebhookRoute(WebhookVerifier verifier, RunDirectory runs, Consumer<Run> wake, ObjectMapper json,
                        MeterRegistry meters) {
        this.verifier = verifier;
        this.runs = runs;
        this.wake = wake;
        this.json = json;
        this.meters = meters;
    }

    @Override
    public WebhookResponse handle(WebhookRequest request) {
        WebhookVerifier.Outcome outcome = verifier.verify(request);
        if (outcome != WebhookVerifier.Outcome.OK) {
            log.warn("rejected a Buildkite webhook on {}: {}", request.path(), describe(outcome));
            Counter.builder("weft.buildkite.webhooks.rejected").tag("reason", outcome.name().toLowerCase())
                    .description("Buildkite webhook deliveries that failed verification")
                    .register(meters).increment();
            return WebhookResponse.unauthorized();
        }
        JsonNode body;
        try {
            body = json.readTree(request.body());
        } catch (IOException e) {
            return WebhookResponse.text(400, "body is not JSON\n");
        }
        if (body == null || !body.isObject()) return WebhookResponse.text(400, "body is not a JSON object\n");
        String event = request.header("X-Buildkite-Event").orElse(body.path("event").asText(""));
        if (event.equals("ping")) return WebhookResponse.ok();
        JsonNode build = body.path("build");
        if (!build.isObject()) return WebhookResponse.ok();
        Optional<Run> run = find(build, body.path("pipeline"));
        if (run.isPresent()) {
            log.debug("Buildkite {} for run {}", event, run.get().id());
            wake.accept(run.get());
        } else {
            log.debug("Buildkite {} for a build weft does not follow ({})", event, build.path("web_url").asText(""));
        }
        return WebhookResponse.ok();
    }

    /** By {@code meta_data.weft_run_id} (checked against the stored build), else by the build's address. */
    private Optional<Run> find(JsonNode build, JsonNode pipeline) {
        String uuid = build.path("id").asText("");
        String runId = build.path("meta_data").path(DispatchBody.RUN_ID_KEY).asText("");
        if (runId.matches("\\d{1,18}")) {
            Optional<Run> r = runs.byId(Long.parseLong(runId));
            if (r.isPresent() && matches(r.get(), uuid)) return r;
        }
        Optional<BuildRef> ref = BuildRef.fromApiUrl(build.path("url").asText(null));
        if (ref.isEmpty() && pipeline.isObject() && build.path("number").canConvertToLong()) {
            // No API url: the organization is the web URL's first path segment.
            String web = build.path("web_url").asText("");
            String[] parts = web.replaceFirst("^https?://[^/]+/", "").split("/");
            String slug = pipeline.path("slug").asText("");
            if (parts.length >= 2 && !slug.isEmpty()) {
                ref = Optional.of(new BuildRef(parts[0], slug, build.path("number").asLong()));
            }
        }
        if (ref.isPresent()) {
            Optional<Run> r = runs.byExternalId(ref.get().externalId());
            if (r.isPresent() && matches(r.get(), uuid)) return r;
        }
        if (!uuid.isEmpty()) {
            for (Run r : runs.active()) {
                if (r.attribute("uuid").filter(uuid::equals).isPresent()) return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    private static boolean matches(Run run, String uuid) {
        Optional<String> stored = run.attribute("uuid");
        return uuid.isEmpty() || stored.isEmpty() || stored.get().equals(uuid);
    }

    private static String describe(WebhookVerifier.Outcome o) {
        return switch (o) {
            case NO_SECRET -> "WEFT_BUILDKITE_WEBHOOK_SECRET is not set, so no delivery can be verified";
            case MISSING -> "neither X-Buildkite-Signature nor X-Buildkite-Token";
            case MALFORMED -> "malformed X-Buildkite-Signature";
            case FORGED -> "signature or token does not match";
            case STALE -> "signature timestamp is more than 5 minutes away";
            case REPLAYED -> "signature was already used (replay)";
            case WRONG_MODE -> "authentication header not allowed by WEFT_BUILDKITE_WEBHOOK_MODE";
            case OK -> "ok";
        };
    }
}
