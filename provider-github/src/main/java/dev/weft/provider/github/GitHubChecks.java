package dev.weft.provider.github;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.provider.github.rest.AppJwt;
import dev.weft.provider.github.rest.GitHubJson;
import dev.weft.provider.github.rest.GitHubRest;
import dev.weft.spi.Check;
import dev.weft.spi.CheckContext;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code weft doctor}'s GitHub checks: the token (or the App installation) is accepted and has what
 * docs/github.md asks for, and the webhook secret is set.
 *
 * <p>A classic token lists its scopes ({@code X-OAuth-Scopes}); a fine-grained token's permissions
 * are not readable through the API, so it is only shown to be valid. An App installation token's
 * answer lists the installation's permissions, which are checked.
 */
final class GitHubChecks {
    /** An installation's permissions weft needs (docs/github.md); secrets only for repos that have some. */
    static final Map<String, Set<String>> APP_NEEDS = Map.of(
            "actions", Set.of("write"),
            "contents", Set.of("read", "write"));

    private GitHubChecks() {
    }

    static List<Check> run(CheckContext context) {
        GitHubSettings settings = GitHubSettings.read(context.config());
        if (!context.config().problems().isEmpty()) return List.of(); // the configuration check reports these
        List<Check> out = new ArrayList<>();
        if (settings.auth().isEmpty()) {
            out.add(Check.skip("github credentials", "neither " + context.config().variable("TOKEN") + " nor "
                    + context.config().variable("APP_*") + " set: the github engine is not used"));
            return out;
        }
        OkHttpClient http = new OkHttpClient.Builder().callTimeout(context.timeout()).retryOnConnectionFailure(false).build();
        try {
            out.add(switch (settings.auth().get()) {
                case GitHubSettings.Auth.Pat p -> pat(http, settings, p, context);
                case GitHubSettings.Auth.App a -> app(http, settings, a, context);
            });
        } finally {
            http.dispatcher().executorService().shutdown();
            http.connectionPool().evictAll();
        }
        if (settings.webhookSecret().isPresent()) {
            out.add(Check.ok("github webhook secret", "set"));
        } else {
            out.add(Check.warn("github webhook secret", "not set: /hooks/github refuses every delivery and runs are "
                            + "followed by polling every " + settings.pollInterval().toSeconds() + " s",
                    "set " + context.config().variable("WEBHOOK_SECRET") + " to the secret of the mirror's (or the App's) "
                            + "webhook (docs/github.md)"));
        }
        return out;
    }

    private static Check pat(OkHttpClient http, GitHubSettings settings, GitHubSettings.Auth.Pat pat, CheckContext context) {
        String name = "github token";
        String var = context.config().variable("TOKEN");
        Request req = base(settings, "rate_limit").header("Authorization", "Bearer " + pat.token()).get().build();
        try (Response r = http.newCall(req).execute()) {
            if (r.code() == 401) {
                return Check.fail(name, "GitHub refuses the token (401: revoked, expired or mistyped)",
                        "create a token (docs/github.md section 2) and set " + var);
            }
            if (r.code() != 200) {
                return Check.fail(name, "GET " + req.url() + " answered " + r.code() + " " + GitHubRest.message(r.body().string()),
                        "check " + context.config().variable("API") + " and GitHub's status");
            }
            String scopes = r.header("X-OAuth-Scopes");
            if (scopes == null) {
                return Check.ok(name, "accepted (a fine-grained token: GitHub does not list its permissions; it needs "
                        + "Actions: Read and write, Contents: Read-only and, for repositories with secrets, Secrets: Read and write)");
            }
            Set<String> has = Set.copyOf(Arrays.stream(scopes.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList());
            if (!has.contains("repo")) {
                return Check.fail(name, "a classic token without the repo scope (has " + (has.isEmpty() ? "none" : scopes.strip()) + ")",
                        "give the token the repo scope (public_repo cannot dispatch on private mirrors nor set secrets)");
            }
            return Check.ok(name, "accepted, classic token with scopes " + scopes.strip());
        } catch (IOException e) {
            return unreachable(name, settings, context, e);
        }
    }

    private static Check app(OkHttpClient http, GitHubSettings settings, GitHubSettings.Auth.App app, CheckContext context) {
        String name = "github app";
        Request req = base(settings, "app/installations/" + app.installationId() + "/access_tokens")
                .header("Authorization", "Bearer " + new AppJwt(app.issuer(), app.key()).mint(Instant.now()))
                .post(RequestBody.create(new byte[0], MediaType.get("application/json")))
                .build();
        try (Response r = http.newCall(req).execute()) {
            String body = r.body().string();
            if (r.code() == 401) {
                return Check.fail(name, "GitHub refuses the App's JWT (401): " + GitHubRest.message(body),
                        "check " + context.config().variable("APP_ID") + " and that " + context.config().variable("APP_PRIVATE_KEY")
                                + " is a current private key of that App (and this machine's clock)");
            }
            if (r.code() == 404) {
                return Check.fail(name, "installation " + app.installationId() + " not found for this App (404)",
                        "install the App on the mirror's account and set " + context.config().variable("APP_INSTALLATION_ID")
                                + " to the number in the installation's settings URL");
            }
            if (r.code() != 201 && r.code() != 200) {
                return Check.fail(name, "minting an installation token answered " + r.code() + " " + GitHubRest.message(body),
                        "check " + context.config().variable("API") + " and GitHub's status");
            }
            JsonNode perms = GitHubJson.MAPPER.readTree(body).path("permissions");
            Map<String, String> has = new TreeMap<>();
            perms.properties().forEach(e -> has.put(e.getKey(), e.getValue().asText()));
            List<String> missing = new ArrayList<>();
            new TreeMap<>(APP_NEEDS).forEach((perm, levels) -> {
                if (!levels.contains(has.getOrDefault(perm, ""))) {
                    missing.add(perm + ": " + (levels.contains("read") ? "read" : "write"));
                }
            });
            if (!missing.isEmpty()) {
                return Check.fail(name, "installation lacks " + String.join(", ", missing) + " (has " + has + ")",
                        "in the App's settings grant Actions: Read and write and Contents: Read-only, then accept the new "
                                + "permissions on the installation");
            }
            if (!"write".equals(has.get("secrets"))) {
                return Check.warn(name, "installation token minted; no Secrets: Read and write, so runs of repositories "
                                + "with secrets fail (has " + has + ")",
                        "grant the App Secrets: Read and write if any repository has secrets (docs/github.md section 6)");
            }
            return Check.ok(name, "installation token minted, permissions " + has);
        } catch (IOException e) {
            return unreachable(name, settings, context, e);
        }
    }

    private static Request.Builder base(GitHubSettings settings, String path) {
        return new Request.Builder().url(settings.api().newBuilder().addPathSegments(path).build())
                .header("Accept", GitHubRest.ACCEPT)
                .header("X-GitHub-Api-Version", GitHubRest.API_VERSION)
                .header("User-Agent", "weft-doctor");
    }

    private static Check unreachable(String name, GitHubSettings settings, CheckContext context, IOException e) {
        return Check.fail(name, "cannot reach " + settings.api() + ": " + e.getMessage(),
                "check network access to GitHub's API (and " + context.config().variable("API") + ")");
    }
}
