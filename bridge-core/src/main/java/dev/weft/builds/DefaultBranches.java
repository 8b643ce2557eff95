package dev.weft.builds;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.model.RepoRef;
import dev.weft.net.BoundedFetch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A repository's default branch, from its knot's {@code sh.tangled.repo.getDefaultBranch} (spec
 * tangled-ci 2.3 step 5): empty when the knot does not answer, as upstream. Answers are kept for a
 * minute, so a burst of pushes asks the knot once; a failed answer is kept as briefly, so a knot
 * that is down costs one bounded fetch a minute, not one per push.
 */
public final class DefaultBranches implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DefaultBranches.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration KEEP = Duration.ofMinutes(1);

    private final BoundedFetch fetch;
    private final boolean dev;
    private final Clock clock;
    private final Map<String, Known> known = new ConcurrentHashMap<>();

    private record Known(String branch, Instant until) {
    }

    public DefaultBranches(boolean dev, Clock clock) {
        this(new BoundedFetch(Duration.ofSeconds(5), 64 * 1024), dev, clock);
    }

    DefaultBranches(BoundedFetch fetch, boolean dev, Clock clock) {
        this.fetch = fetch;
        this.dev = dev;
        this.clock = clock;
    }

    /** The default branch of {@code repo}, or empty; never throws. */
    public String of(RepoRef repo) {
        if (!repo.hasRepoDid()) return "";
        Instant now = clock.instant();
        Known k = known.get(repo.repoDid());
        if (k != null && now.isBefore(k.until())) return k.branch();
        String branch = ask(repo);
        known.put(repo.repoDid(), new Known(branch, now.plus(KEEP)));
        return branch;
    }

    private String ask(RepoRef repo) {
        URI uri = URI.create((dev ? "http://" : "https://") + repo.knot() + "/xrpc/sh.tangled.repo.getDefaultBranch?repo="
                + URLEncoder.encode(repo.repoDid(), StandardCharsets.UTF_8));
        try {
            BoundedFetch.Response r = fetch.get(uri, "application/json");
            if (r.status() != 200) {
                log.warn("default branch of {}: knot {} answered HTTP {}; left empty", repo.repoDid(), repo.knot(), r.status());
                return "";
            }
            JsonNode name = JSON.readTree(r.body()).path("name");
            return name.isTextual() ? name.textValue() : "";
        } catch (BoundedFetch.FetchException | java.io.IOException | RuntimeException e) {
            log.warn("default branch of {} from knot {}: {}; left empty", repo.repoDid(), repo.knot(), e.getMessage());
            return "";
        }
    }

    @Override
    public void close() {
        fetch.close();
    }
}
