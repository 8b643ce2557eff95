package dev.weft.provider.github;

import dev.weft.provider.github.rest.GitHubRest;
import dev.weft.provider.github.rest.JobLogFetcher;
import dev.weft.provider.github.rest.RateLimiter;
import dev.weft.provider.github.rest.Sleeper;
import dev.weft.provider.github.rest.TokenSource;
import dev.weft.model.Status;
import dev.weft.spi.LogFetch;
import dev.weft.testkit.FakeRun;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code fetchLogs}: filling in the log of a finished run that weft never stored. */
class FetchLogsTest {
    FakeGitHub gh;
    OkHttpClient http;
    ScheduledExecutorService scheduler;

    @BeforeEach
    void setUp() throws Exception {
        gh = new FakeGitHub();
        http = new OkHttpClient();
        scheduler = Executors.newSingleThreadScheduledExecutor();
    }

    @AfterEach
    void tearDown() {
        gh.close();
        scheduler.shutdownNow();
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }

    GitHubProvider provider(HttpUrl api) {
        GitHubRest rest = new GitHubRest(http, api, TokenSource.fixed(gh.token), RateLimiter.github(Clock.systemUTC(), Sleeper.REAL),
                Clock.systemUTC(), Sleeper.REAL);
        GitHubSettings settings = new GitHubSettings(api, Optional.of(new GitHubSettings.Auth.Pat(gh.token)), Optional.empty(),
                Duration.ofMinutes(2), Duration.ofMillis(100), Duration.ofMinutes(2), Duration.ofMinutes(1), Duration.ofSeconds(5));
        return new GitHubProvider(settings, Optional.of(new GitHubProvider.Backend(rest, new JobLogFetcher(rest, http), http)),
                DispatchFlowTest.emptyDirectory(), scheduler, Clock.systemUTC(), Waits.REAL,
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    }

    FakeRun finishedRun(long ghRunId) {
        FakeRun run = FakeRun.of(5, GitHubEndToEndTest.YAML).ended(new Status.Success());
        run.attach(Long.toString(ghRunId), "https://github.test/x");
        return run;
    }

    @Test
    @DisplayName("a finished run's log is written from GitHub: the run's URL, then each job's steps and lines")
    void fills() throws Exception {
        FakeGitHub.GhRun gr = gh.createRun("5", "ci.yml");
        Instant t = Instant.parse("2026-02-03T10:00:00Z");
        FakeGitHub.GhJob job = gr.job("build").start(t);
        job.step("Run make", t).complete("success", t.plusSeconds(1));
        job.complete("success", t.plusSeconds(1), "2026-02-03T10:00:00.5000000Z built\n");
        gr.status("completed", "success");
        FakeRun run = finishedRun(gr.id);
        try (GitHubProvider p = provider(gh.api.url("/"))) {
            assertEquals(LogFetch.COMPLETE, p.fetchLogs(run));
        }
        assertEquals(List.of("GitHub Actions", "build › Run make"), run.stepNames());
        assertEquals(List.of(gr.htmlUrl(), "built"), run.texts());
        assertEquals(List.of(), run.statuses(), "no status from fetchLogs");
    }

    @Test
    void notFound() {
        try (GitHubProvider p = provider(gh.api.url("/"))) {
            assertEquals(LogFetch.NOT_FOUND, p.fetchLogs(finishedRun(1234)));
        }
    }

    @Test
    void backendDown() {
        HttpUrl dead = gh.api.url("/");
        gh.close();
        try (GitHubProvider p = provider(dead)) {
            assertEquals(LogFetch.BACKEND_FAILURE, p.fetchLogs(finishedRun(1234)));
        }
    }
}
