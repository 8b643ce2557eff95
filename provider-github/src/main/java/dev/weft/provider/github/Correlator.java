package dev.weft.provider.github;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.provider.github.rest.ApiResponse;
import dev.weft.provider.github.rest.GitHubJson;
import dev.weft.provider.github.rest.GitHubRest;
import dev.weft.provider.github.rest.WorkflowRun;
import dev.weft.spi.RunDirectory;
import okhttp3.HttpUrl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

/**
 * Finds the run a dispatch created when GitHub did not say: the workflow's {@code workflow_dispatch}
 * runs created since a minute before the dispatch, whose {@code display_title} contains weft's run
 * id as a whole number (the workflow's {@code run-name} shows {@code inputs.weft_run_id}), and that
 * no other weft run has claimed. Polls from 250 ms doubling to 16 s until the limit; a webhook about
 * a run weft does not know yet wakes it early.
 */
final class Correlator {
    private static final Logger log = LoggerFactory.getLogger(Correlator.class);
    static final Duration FIRST = Duration.ofMillis(250);
    static final Duration MAX_STEP = Duration.ofSeconds(16);
    static final Duration SLACK = Duration.ofMinutes(1);
    private static final int MAX_PAGES = 10;

    private final GitHubRest rest;
    private final RunDirectory runs;
    private final Waits waits;
    private final BooleanSupplier stopped;

    Correlator(GitHubRest rest, RunDirectory runs, Waits waits, BooleanSupplier stopped) {
        this.rest = rest;
        this.runs = runs;
        this.waits = waits;
        this.stopped = stopped;
    }

    Optional<WorkflowRun> find(long weftRunId, String owner, String repo, String workflow, Instant dispatchedAt,
                               Duration limit, Signal wake) throws InterruptedException {
        long deadline = waits.nanoTime() + limit.toNanos();
        Duration step = FIRST;
        while (true) {
            try {
                Optional<WorkflowRun> found = lookOnce(weftRunId, owner, repo, workflow, dispatchedAt);
                if (found.isPresent()) return found;
            } catch (IOException e) {
                log.warn("run {}: listing runs of {} on {}/{}: {}", weftRunId, workflow, owner, repo, e.toString());
            }
            long left = deadline - waits.nanoTime();
            if (left <= 0 || stopped.getAsBoolean()) return Optional.empty();
            waits.await(wake, step.toNanos() < left ? step : Duration.ofNanos(left));
            step = step.multipliedBy(2).compareTo(MAX_STEP) > 0 ? MAX_STEP : step.multipliedBy(2);
        }
    }

    /** One look through the listed runs. */
    Optional<WorkflowRun> lookOnce(long weftRunId, String owner, String repo, String workflow, Instant dispatchedAt)
            throws IOException, InterruptedException {
        String since = dispatchedAt.minus(SLACK).truncatedTo(ChronoUnit.SECONDS).toString();
        HttpUrl url = rest.repo(owner, repo, "actions", "workflows", workflow, "runs")
                .addQueryParameter("event", "workflow_dispatch")
                .addQueryParameter("created", ">=" + since)
                .addQueryParameter("per_page", "100")
                .build();
        List<WorkflowRun> matches = new ArrayList<>();
        for (int page = 0; url != null && page < MAX_PAGES; page++) {
            ApiResponse r = rest.get(url);
            if (!r.ok()) throw new IOException(r.describe());
            for (JsonNode n : r.json().path("workflow_runs")) {
                WorkflowRun run = GitHubJson.MAPPER.treeToValue(n, WorkflowRun.class);
                if (titleNames(run.displayTitle(), weftRunId) && unclaimed(run, weftRunId)) matches.add(run);
            }
            url = GitHubRest.nextPage(r).orElse(null);
        }
        return matches.stream().min(Comparator
                .comparing((WorkflowRun w) -> w.createdAt() == null ? Instant.MAX : w.createdAt().toInstant())
                .thenComparingLong(WorkflowRun::id));
    }

    /** Whether the title contains the id as a whole number (42 is not in 142 or 420). */
    static boolean titleNames(String title, long weftRunId) {
        if (title == null) return false;
        return Pattern.compile("(?<![0-9])" + weftRunId + "(?![0-9])").matcher(title).find();
    }

    private boolean unclaimed(WorkflowRun run, long weftRunId) {
        return runs.byExternalId(Long.toString(run.id())).map(r -> r.id() == weftRunId).orElse(true);
    }
}
