package dev.weft.provider.github.rest;

import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Downloads a job's log: {@code GET .../actions/jobs/{id}/logs} answers 302 with a short-lived URL
 * that is fetched with a separate client and <em>without</em> the GitHub token (the storage behind
 * it must never see it). A 200 with the text directly is accepted too.
 */
public final class JobLogFetcher {
    private final GitHubRest rest;
    private final OkHttpClient plain;

    /** @param plain a client that adds no credentials to its requests */
    public JobLogFetcher(GitHubRest rest, OkHttpClient plain) {
        this.rest = rest;
        this.plain = plain;
    }

    /**
     * The log text, or empty when GitHub has none for the job (404/410: never written, or expired).
     *
     * @throws IOException the API or the download failed otherwise
     */
    public Optional<String> fetch(String owner, String repo, long jobId) throws IOException, InterruptedException {
        IOException last = null;
        for (int attempt = 0; attempt < 2; attempt++) {
            ApiResponse r = rest.get(rest.repo(owner, repo, "actions", "jobs", Long.toString(jobId), "logs").build());
            if (r.code() == 404 || r.code() == 410) return Optional.empty();
            if (r.code() == 200) return Optional.of(r.body());
            if (r.code() < 300 || r.code() >= 400) {
                throw new IOException("job " + jobId + " log: " + r.describe());
            }
            String location = r.headers().get("Location");
            HttpUrl url = location == null ? null : HttpUrl.parse(location);
            if (url == null) throw new IOException("job " + jobId + " log: HTTP " + r.code() + " without a usable Location");
            // A brand-new Request: no Authorization, whatever the API call carried.
            try (Response d = plain.newCall(new Request.Builder().url(url).get().build()).execute()) {
                if (d.isSuccessful()) return Optional.of(new String(d.body().bytes(), StandardCharsets.UTF_8));
                last = new IOException("job " + jobId + " log download: HTTP " + d.code());
            }
            // The link lives a minute: a failed download is retried once with a fresh link.
        }
        throw last;
    }
}
