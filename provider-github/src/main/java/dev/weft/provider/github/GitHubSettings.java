package dev.weft.provider.github;

import dev.weft.provider.github.rest.AppJwt;
import dev.weft.spi.ProviderConfig;
import okhttp3.HttpUrl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.Optional;

/**
 * The operator's {@code WEFT_GITHUB_*} configuration, read once. Every problem is recorded on the
 * {@link ProviderConfig} (so {@code validate()} names them all at once); a configuration without any
 * credentials is valid, and runs that reach the provider then fail saying what to set.
 *
 * @param auth              a PAT or a GitHub App; empty when neither is configured
 * @param webhookSecret     {@code WEBHOOK_SECRET}; without it {@code /hooks/github} answers 401
 * @param commitWait        {@code COMMIT_WAIT} (2m): how long to wait for the mirror to have the commit
 * @param pollInterval      {@code POLL_INTERVAL}: 30s with webhooks, 10s without
 * @param correlateTimeout  {@code CORRELATE_TIMEOUT} (2m): how long to look for a dispatched run
 * @param forceCancelAfter  {@code FORCE_CANCEL_AFTER} (1m): when an ignored cancel becomes a force-cancel
 * @param requestTimeout    {@code REQUEST_TIMEOUT} (30s): one HTTP call's limit
 */
record GitHubSettings(HttpUrl api, Optional<Auth> auth, Optional<String> webhookSecret, Duration commitWait,
                      Duration pollInterval, Duration correlateTimeout, Duration forceCancelAfter,
                      Duration requestTimeout) {

    static final HttpUrl DEFAULT_API = HttpUrl.get("https://api.github.com/");

    sealed interface Auth {
        record Pat(String token) implements Auth {
        }

        record App(String issuer, PrivateKey key, String installationId) implements Auth {
        }
    }

    static GitHubSettings read(ProviderConfig c) {
        HttpUrl api = DEFAULT_API;
        Optional<String> apiText = c.get("API");
        if (apiText.isPresent()) {
            HttpUrl parsed = HttpUrl.parse(apiText.get());
            if (parsed == null) c.problem("API", "not an http(s) URL: " + apiText.get());
            else api = parsed;
        }
        Optional<Auth> auth = readAuth(c);
        Optional<String> secret = c.get("WEBHOOK_SECRET");
        Duration commitWait = positive(c, "COMMIT_WAIT", Duration.ofMinutes(2));
        Duration poll = positive(c, "POLL_INTERVAL", secret.isPresent() ? Duration.ofSeconds(30) : Duration.ofSeconds(10));
        Duration correlate = positive(c, "CORRELATE_TIMEOUT", Duration.ofMinutes(2));
        Duration force = positive(c, "FORCE_CANCEL_AFTER", Duration.ofMinutes(1));
        Duration request = positive(c, "REQUEST_TIMEOUT", Duration.ofSeconds(30));
        return new GitHubSettings(api, auth, secret, commitWait, poll, correlate, force, request);
    }

    private static Optional<Auth> readAuth(ProviderConfig c) {
        Optional<String> token = c.get("TOKEN");
        Optional<String> appId = c.get("APP_ID");
        Optional<String> key = c.get("APP_PRIVATE_KEY");
        Optional<String> installation = c.get("APP_INSTALLATION_ID");
        boolean anyApp = appId.isPresent() || key.isPresent() || installation.isPresent();
        if (token.isPresent() && anyApp) {
            c.problem("TOKEN", "set either " + c.variable("TOKEN") + " or the " + c.variable("APP_*")
                    + " variables, not both");
            return Optional.empty();
        }
        if (token.isPresent()) return Optional.of(new Auth.Pat(token.get()));
        if (!anyApp) return Optional.empty();
        if (appId.isEmpty()) c.problem("APP_ID", "required for GitHub App authentication (the app id or client id)");
        if (installation.isEmpty()) c.problem("APP_INSTALLATION_ID", "required for GitHub App authentication");
        else if (!installation.get().matches("[0-9]+")) c.problem("APP_INSTALLATION_ID", "not a number: " + installation.get());
        PrivateKey pk = null;
        if (key.isEmpty()) {
            c.problem("APP_PRIVATE_KEY", "required for GitHub App authentication (path of the app's .pem file)");
        } else {
            pk = readKey(c, key.get());
        }
        if (appId.isEmpty() || installation.isEmpty() || !installation.get().matches("[0-9]+") || pk == null) {
            return Optional.empty();
        }
        return Optional.of(new Auth.App(appId.get(), pk, installation.get()));
    }

    /** A path to a PEM file, or (for containers that pass secrets as text) the PEM itself. */
    private static PrivateKey readKey(ProviderConfig c, String value) {
        String pem;
        if (value.contains("-----BEGIN")) {
            pem = value.replace("\\n", "\n");
        } else {
            try {
                pem = Files.readString(Path.of(value), StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException e) {
                c.problem("APP_PRIVATE_KEY", "cannot read " + value + ": " + e.getMessage());
                return null;
            }
        }
        try {
            return AppJwt.parsePrivateKey(pem);
        } catch (IllegalArgumentException e) {
            c.problem("APP_PRIVATE_KEY", e.getMessage());
            return null;
        }
    }

    private static Duration positive(ProviderConfig c, String key, Duration dflt) {
        Duration d = c.duration(key, dflt);
        if (d.isNegative() || d.isZero()) {
            c.problem(key, "must be positive");
            return dflt;
        }
        return d;
    }
}
