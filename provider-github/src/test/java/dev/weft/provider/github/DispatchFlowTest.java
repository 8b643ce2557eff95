package dev.weft.provider.github;

import dev.weft.model.RunState;
import dev.weft.model.Trigger;
import dev.weft.model.WorkflowId;
import dev.weft.provider.github.FakeGitHub.DispatchMode;
import dev.weft.provider.github.rest.GitHubRest;
import dev.weft.provider.github.rest.RateLimiter;
import dev.weft.provider.github.rest.Sleeper;
import dev.weft.provider.github.rest.TokenSource;
import dev.weft.provider.github.rest.WorkflowRun;
import dev.weft.spi.CancelReason;
import dev.weft.spi.Run;
import dev.weft.spi.RunDirectory;
import dev.weft.spi.RunLog;
import dev.weft.spi.StatusReporter;
import mockwebserver3.MockResponse;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Dispatcher, correlator and commit wait on their own, with fake time where they wait. */
class DispatchFlowTest {
    FakeGitHub gh;
    OkHttpClient http;
    GitHubRest rest;
    final AtomicLong nanos = new AtomicLong();
    final Waits fakeWaits = new Waits() {
        @Override
        public long nanoTime() {
            return nanos.get();
        }

        @Override
        public boolean await(Signal signal, Duration d) {
            nanos.addAndGet(d.toNanos());
            return false;
        }
    };

    @BeforeEach
    void setUp() throws Exception {
        gh = new FakeGitHub();
        http = new OkHttpClient.Builder().readTimeout(Duration.ofMillis(500)).build();
        rest = new GitHubRest(http, gh.api.url("/"), TokenSource.fixed(gh.token),
                RateLimiter.github(Clock.systemUTC(), Sleeper.REAL), Clock.systemUTC(), Sleeper.REAL);
    }

    @AfterEach
    void tearDown() {
        gh.close();
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }

    Dispatcher.Outcome dispatch() throws Exception {
        return new Dispatcher(rest).dispatch(FakeGitHub.OWNER, FakeGitHub.REPO, "ci.yml", "main", Map.of("weft_run_id", "7"));
    }

    @Test
    void details() throws Exception {
        var o = assertInstanceOf(Dispatcher.Outcome.Created.class, dispatch());
        assertEquals(gh.runs().get(0).id, o.runId());
        assertEquals(gh.runs().get(0).htmlUrl(), o.htmlUrl());
    }

    @Test
    void noContent() throws Exception {
        gh.mode = DispatchMode.NO_CONTENT;
        assertInstanceOf(Dispatcher.Outcome.Accepted.class, dispatch());
    }

    @Test
    void oldServerRetriedOnceWithout() throws Exception {
        gh.mode = DispatchMode.OLD_SERVER;
        assertInstanceOf(Dispatcher.Outcome.Accepted.class, dispatch());
        assertEquals(2, gh.requests("POST", "/dispatches").size());
    }

    @Test
    @DisplayName("a 400 naming return_run_details from an old server is also retried without it")
    void oldServer400() throws Exception {
        gh.intercept = r -> r.getMethod().equals("POST") && r.getBody().utf8().contains("return_run_details")
                ? FakeGitHub.json(400, "{\"message\":\"Unknown key return_run_details\"}") : null;
        gh.mode = DispatchMode.NO_CONTENT;
        assertInstanceOf(Dispatcher.Outcome.Accepted.class, dispatch());
        assertEquals(2, gh.requests("POST", "/dispatches").size());
    }

    @Test
    void serverErrorIsUnknownNotRetried() throws Exception {
        gh.mode = DispatchMode.BAD_GATEWAY_BUT_CREATED;
        var o = assertInstanceOf(Dispatcher.Outcome.Unknown.class, dispatch());
        assertTrue(o.why().contains("502"), o.why());
        assertEquals(1, gh.requests("POST", "/dispatches").size());
    }

    @Test
    @DisplayName("a timed-out dispatch is Unknown: the caller looks for the run")
    void timeoutIsUnknown() throws Exception {
        gh.intercept = r -> r.getMethod().equals("POST")
                ? new MockResponse.Builder().code(204).headersDelay(2, TimeUnit.SECONDS).build() : null;
        assertInstanceOf(Dispatcher.Outcome.Unknown.class, dispatch());
        assertEquals(1, gh.requests("POST", "/dispatches").size());
    }

    @Test
    void refusals() {
        gh.mode = DispatchMode.REJECT;
        var e = assertThrows(Dispatcher.DispatchRefusedException.class, this::dispatch);
        assertTrue(e.getMessage().contains("declare every input, and weft_run_id"), e.getMessage());
        var e404 = assertThrows(Dispatcher.DispatchRefusedException.class, () -> new Dispatcher(rest)
                .dispatch("someone", "else", "ci.yml", "main", Map.of()));
        assertTrue(e404.getMessage().startsWith("GitHub has no workflow ci.yml in someone/else"), e404.getMessage());
    }

    @Test
    @DisplayName("the correlator takes its own run, not one whose title only contains its id as part of a number, nor one claimed")
    void correlator() throws Exception {
        gh.createRun("1", "ci.yml");        // title CI [1] for weft run 1 would match... but is claimed below
        FakeGitHub.GhRun claimed = gh.runs().get(0);
        gh.createRun("17", "ci.yml");       // a different run id containing 7
        gh.createRun("7", "other.yml");     // another workflow
        FakeGitHub.GhRun mine = gh.createRun("7", "ci.yml");
        RunDirectory dir = new RunDirectory() {
            @Override
            public Optional<Run> byExternalId(String externalId) {
                return externalId.equals(Long.toString(claimed.id)) ? Optional.of(stubRun(99)) : Optional.empty();
            }

            @Override
            public Optional<Run> byId(long runId) {
                return Optional.empty();
            }

            @Override
            public List<Run> active() {
                return List.of();
            }
        };
        Correlator c = new Correlator(rest, dir, fakeWaits, () -> false);
        Optional<WorkflowRun> found = c.find(7, FakeGitHub.OWNER, FakeGitHub.REPO, "ci.yml", Instant.now(), Duration.ofSeconds(5), new Signal());
        assertEquals(mine.id, found.orElseThrow().id());
        assertEquals(Optional.empty(), c.find(1, FakeGitHub.OWNER, FakeGitHub.REPO, "ci.yml", Instant.now(), Duration.ofSeconds(5), new Signal()));
        String created = gh.requests("GET", "/runs").get(0).getUrl().queryParameter("created");
        assertTrue(created.startsWith(">="), created);
    }

    @Test
    @DisplayName("the correlator backs off from 250 ms, doubling, and gives up at its limit")
    void correlatorBackoff() throws Exception {
        Correlator c = new Correlator(rest, emptyDirectory(), fakeWaits, () -> false);
        assertEquals(Optional.empty(), c.find(5, FakeGitHub.OWNER, FakeGitHub.REPO, "ci.yml", Instant.now(),
                Duration.ofMinutes(2), new Signal()));
        // Looks at 0, 0.25, 0.75, 1.75, 3.75, 7.75, 15.75, 31.75, then every 16 s to 111.75, and a last
        // one when the 2 minutes are up: 14.
        int looks = gh.requests("GET", "/runs").size();
        assertEquals(14, looks);
        assertEquals(Duration.ofMinutes(2).toNanos(), nanos.get());
    }

    @Test
    @DisplayName("a commit that never arrives: the exact message with the Go duration")
    void commitMissing() {
        gh.allCommits = false;
        CommitWaiter w = new CommitWaiter(rest, fakeWaits);
        var e = assertThrows(CommitWaiter.CommitMissingException.class,
                () -> w.await(stubRun(3), FakeGitHub.OWNER, FakeGitHub.REPO, "abc123", Duration.ofMinutes(2)));
        assertEquals("commit abc123 is not on octo/mirror after 2m0s", e.getMessage());
    }

    @Test
    void commitPresent() throws Exception {
        gh.allCommits = false;
        gh.addCommit("abc123");
        assertEquals(CommitWaiter.Outcome.PRESENT, new CommitWaiter(rest, fakeWaits)
                .await(stubRun(3), FakeGitHub.OWNER, FakeGitHub.REPO, "abc123", Duration.ofMinutes(2)));
    }

    static RunDirectory emptyDirectory() {
        return new RunDirectory() {
            @Override
            public Optional<Run> byExternalId(String externalId) {
                return Optional.empty();
            }

            @Override
            public Optional<Run> byId(long runId) {
                return Optional.empty();
            }

            @Override
            public List<Run> active() {
                return List.of();
            }
        };
    }

    /** A run that only knows its id and waits by advancing the fake clock. */
    Run stubRun(long id) {
        return new Run() {
            public long id() { return id; }
            public WorkflowId workflowId() { throw new UnsupportedOperationException(); }
            public Trigger trigger() { throw new UnsupportedOperationException(); }
            public dev.weft.model.Workflow workflow() { throw new UnsupportedOperationException(); }
            public com.fasterxml.jackson.databind.JsonNode spec() { throw new UnsupportedOperationException(); }
            public com.fasterxml.jackson.databind.JsonNode block() { throw new UnsupportedOperationException(); }
            public Map<String, String> variables() { return Map.of(); }
            public Instant createdAt() { return Instant.EPOCH; }
            public RunState state() { return RunState.PENDING; }
            public void attach(String externalId, String webUrl) { throw new UnsupportedOperationException(); }
            public Optional<String> externalId() { return Optional.empty(); }
            public Optional<String> webUrl() { return Optional.empty(); }
            public Optional<String> attribute(String key) { return Optional.empty(); }
            public void attribute(String key, String value) { throw new UnsupportedOperationException(); }
            public StatusReporter status() { throw new UnsupportedOperationException(); }
            public RunLog log() { throw new UnsupportedOperationException(); }
            public boolean cancelRequested() { return false; }
            public Optional<CancelReason> cancelReason() { return Optional.empty(); }
            public boolean awaitCancel(Duration timeout) {
                nanos.addAndGet(timeout.toNanos());
                return false;
            }
        };
    }
}
