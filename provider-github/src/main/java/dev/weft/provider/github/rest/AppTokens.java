package dev.weft.provider.github.rest;

import com.fasterxml.jackson.databind.JsonNode;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;

/**
 * Installation access tokens of a GitHub App: minted with the app JWT
 * ({@code POST /app/installations/{id}/access_tokens}), cached, and replaced {@link #REFRESH_MARGIN}
 * before they expire (they live an hour) or as soon as GitHub rejects one. Thread-safe.
 */
public final class AppTokens implements TokenSource {
    private static final Logger log = LoggerFactory.getLogger(AppTokens.class);
    static final Duration REFRESH_MARGIN = Duration.ofMinutes(5);

    private final AppJwt jwt;
    private final String installationId;
    private final OkHttpClient http;
    private final HttpUrl api;
    private final Clock clock;
    private String token;
    private Instant expiresAt = Instant.MIN;

    public AppTokens(AppJwt jwt, String installationId, OkHttpClient http, HttpUrl api, Clock clock) {
        this.jwt = jwt;
        this.installationId = installationId;
        this.http = http;
        this.api = api;
        this.clock = clock;
    }

    @Override
    public synchronized String token() throws IOException {
        Instant now = clock.instant();
        if (token != null && now.isBefore(expiresAt.minus(REFRESH_MARGIN))) return token;
        HttpUrl url = api.newBuilder().addPathSegments("app/installations").addPathSegment(installationId)
                .addPathSegment("access_tokens").build();
        Request request = new Request.Builder().url(url)
                .header("Authorization", "Bearer " + jwt.mint(now))
                .header("Accept", GitHubRest.ACCEPT)
                .header("X-GitHub-Api-Version", GitHubRest.API_VERSION)
                .post(RequestBody.create(new byte[0], MediaType.get("application/json")))
                .build();
        try (Response response = http.newCall(request).execute()) {
            String body = response.body().string();
            if (response.code() != 201 && response.code() != 200) {
                throw new IOException("GitHub App installation token: HTTP " + response.code() + " "
                        + GitHubRest.message(body));
            }
            JsonNode json = GitHubJson.MAPPER.readTree(body);
            String t = json.path("token").asText("");
            if (t.isEmpty()) throw new IOException("GitHub App installation token: no token in the answer");
            Instant exp;
            try {
                exp = OffsetDateTime.parse(json.path("expires_at").asText()).toInstant();
            } catch (RuntimeException e) {
                exp = now.plus(Duration.ofHours(1));
            }
            token = t;
            expiresAt = exp;
            log.debug("minted a GitHub App installation token valid until {}", exp);
            return t;
        }
    }

    @Override
    public synchronized void invalidate(String rejected) {
        if (rejected != null && rejected.equals(token)) {
            token = null;
            expiresAt = Instant.MIN;
        }
    }

    @Override
    public boolean refreshable() {
        return true;
    }
}
