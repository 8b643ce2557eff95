package dev.weft.provider.buildkite.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.spi.Check;
import dev.weft.spi.CheckContext;
import dev.weft.spi.ProviderConfigException;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code weft doctor}'s Buildkite checks: the token is accepted and carries the scopes weft uses
 * ({@code GET /v2/access-token} lists them), and the webhook secret is set.
 */
public final class BuildkiteChecks {
    /**
     * What weft calls: create, read, find and cancel builds; read job logs; read a pipeline's
     * default branch.
     */
    static final Set<String> NEEDED_SCOPES = Set.of("read_builds", "write_builds", "read_build_logs", "read_pipelines");

    private static final ObjectMapper JSON = new ObjectMapper();

    private BuildkiteChecks() {
    }

    public static List<Check> run(CheckContext context) {
        BuildkiteConfig config;
        try {
            config = BuildkiteConfig.from(context.config());
        } catch (ProviderConfigException e) {
            return List.of(); // the doctor's configuration check reports these
        }
        List<Check> out = new ArrayList<>();
        String tokenVar = context.config().variable("TOKEN");
        if (config.token().isEmpty()) {
            out.add(Check.skip("buildkite token", tokenVar + " not set: the buildkite engine is not used"));
            return out;
        }
        out.add(token(config, context));
        if (config.webhookSecret().isPresent()) {
            out.add(Check.ok("buildkite webhook secret", "set (" + config.webhookMode().name().toLowerCase(java.util.Locale.ROOT)
                    + " mode)"));
        } else {
            out.add(Check.warn("buildkite webhook secret", "not set: /hooks/buildkite refuses every delivery and builds are "
                            + "followed by polling every " + config.poll().toSeconds() + " s",
                    "set " + context.config().variable("WEBHOOK_SECRET") + " to the token or signature secret of the "
                            + "organization's webhook (docs/buildkite.md)"));
        }
        return out;
    }

    private static Check token(BuildkiteConfig config, CheckContext context) {
        String tokenVar = context.config().variable("TOKEN");
        OkHttpClient http = new OkHttpClient.Builder().callTimeout(context.timeout()).retryOnConnectionFailure(false).build();
        Request req = new Request.Builder().url(config.api().newBuilder().addPathSegment("access-token").build())
                .header("Authorization", "Bearer " + config.token().get())
                .header("User-Agent", "weft-doctor")
                .get().build();
        try (Response r = http.newCall(req).execute()) {
            if (r.code() == 401) {
                return Check.fail("buildkite token", "Buildkite refuses the token (401)",
                        "create an API access token in Buildkite (Personal Settings, API Access Tokens) and set " + tokenVar);
            }
            if (r.code() != 200) {
                return Check.fail("buildkite token", "GET " + req.url() + " answered " + r.code(),
                        "check " + context.config().variable("API") + " and Buildkite's status");
            }
            JsonNode body = JSON.readTree(r.body().byteStream());
            Set<String> scopes = new TreeSet<>();
            body.path("scopes").forEach(s -> scopes.add(s.asText()));
            Set<String> missing = new TreeSet<>(NEEDED_SCOPES);
            missing.removeAll(scopes);
            if (!missing.isEmpty()) {
                return Check.fail("buildkite token", "token lacks scopes " + String.join(", ", missing) + " (has "
                                + (scopes.isEmpty() ? "none" : String.join(", ", scopes)) + ")",
                        "edit the token in Buildkite to add " + String.join(", ", missing) + ", or create one with "
                                + String.join(", ", new TreeSet<>(NEEDED_SCOPES)));
            }
            return Check.ok("buildkite token", "accepted, with scopes " + String.join(", ", new TreeSet<>(NEEDED_SCOPES)));
        } catch (IOException e) {
            return Check.fail("buildkite token", "cannot reach " + config.api() + ": " + e.getMessage(),
                    "check network access to Buildkite's API (and " + context.config().variable("API") + ")");
        } finally {
            http.dispatcher().executorService().shutdown();
            http.connectionPool().evictAll();
        }
    }
}
