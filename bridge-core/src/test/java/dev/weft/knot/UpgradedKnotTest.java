package dev.weft.knot;

import dev.weft.git.WorkflowFetchException;
import dev.weft.git.WorkflowFetcher;
import dev.weft.git.WorkflowFiles;
import dev.weft.model.Trigger;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One host:port serving events and git, as a knot does: both reached through the front. */
class UpgradedKnotTest {
    static final String REPO = "did:plc:upgradedrepo";
    static final String OWNER = "did:plc:upgradedowner";

    @TempDir
    Path tmp;
    UpgradedKnot knot;
    WorkflowFetcher fetcher;
    final List<AutoCloseable> closeLater = new CopyOnWriteArrayList<>();

    /** Records pushes and legacy pipelines in arrival order. */
    final class Sink implements TriggerSink {
        final List<Object> got = new CopyOnWriteArrayList<>();

        @Override
        public Outcome accept(Trigger trigger) {
            got.add(trigger);
            return Outcome.ACCEPTED;
        }

        @Override
        public Outcome push(RefUpdate update) {
            got.add(update);
            return Outcome.ACCEPTED;
        }
    }

    @BeforeEach
    void start() throws Exception {
        knot = new UpgradedKnot(tmp.resolve("knot")).start();
        knot.createRepo(REPO);
        fetcher = new WorkflowFetcher(WorkflowFetcher.Options.defaults(tmp.resolve("cache"))
                .withFetchTimeout(Duration.ofSeconds(2))
                .withBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
                .withTransportTimeout(Duration.ofSeconds(2)), new SimpleMeterRegistry());
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeLater.reversed()) c.close();
        knot.close();
    }

    Sink consume() {
        Sink sink = new Sink();
        KnotConsumer c = new KnotConsumer(knot.host(), true, sink, new MemoryCursorStore(),
                KnotOptions.defaults().withBackoff(Duration.ofMillis(20), Duration.ofMillis(200)),
                Clock.systemUTC(), new SimpleMeterRegistry());
        closeLater.add(c);
        c.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> knot.events().connectionCount() == 1);
        return sink;
    }

    @Test
    @DisplayName("the workflow files of a commit are fetched over git through the knot's one port")
    void gitThroughFront() throws Exception {
        String first = knot.commit(REPO, "main", Map.of(".tangled/workflows/ci.yml", "engine: stub\n", "README", "hi"));
        String second = knot.commit(REPO, "main", Map.of(".tangled/workflows/lint.yml", "engine: stub\n"));

        WorkflowFiles atSecond = fetcher.fetch(WorkflowFetcher.knotBase(knot.host(), true), REPO, second);
        assertEquals(List.of("ci.yml", "lint.yml"), atSecond.files().stream().map(WorkflowFiles.File::name).toList(),
                "a commit keeps its parent's files");
        WorkflowFiles atFirst = fetcher.fetch(WorkflowFetcher.knotBase(knot.host(), true), REPO, first);
        assertEquals(List.of("ci.yml"), atFirst.files().stream().map(WorkflowFiles.File::name).toList());
        assertEquals(second, knot.tip(REPO, "main"));
    }

    @Test
    @DisplayName("getDefaultBranch is answered on the same port")
    void defaultBranch() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://" + knot.host() + "/xrpc/sh.tangled.repo.getDefaultBranch?repo=" + REPO)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals("{\"name\":\"main\"}", r.body());
    }

    @Test
    @DisplayName("a push reaches a consumer as a newest-shape refUpdate; the older shapes and a legacy record parse as such")
    void eventsThroughFront() {
        Sink sink = consume();
        UpgradedKnot.Push p = knot.commitAndPush(REPO, OWNER, "main",
                Map.of(".tangled/workflows/ci.yml", "engine: stub\n"), List.of("verbose-ci"));
        knot.refUpdate(p, RefUpdate.Shape.TRANSITIONAL, "upgraded");
        knot.refUpdate(p, RefUpdate.Shape.PRE_V1_14, "upgraded");
        knot.legacyPipeline(p, "upgraded");
        await().atMost(Duration.ofSeconds(10)).until(() -> sink.got.size() == 4);

        RefUpdate current = assertInstanceOf(RefUpdate.class, sink.got.get(0));
        assertEquals(RefUpdate.Shape.CURRENT, current.shape());
        assertEquals(REPO, current.repoDid());
        assertEquals(OWNER, current.ownerDid());
        assertEquals("0".repeat(40), current.oldSha());
        assertEquals(p.newSha(), current.newSha());
        assertEquals(List.of(".tangled/workflows/ci.yml"), current.changedFiles().orElseThrow());
        assertEquals(List.of("verbose-ci"), current.pushOptions());
        assertEquals(knot.host(), current.knot());

        RefUpdate transitional = assertInstanceOf(RefUpdate.class, sink.got.get(1));
        assertEquals(RefUpdate.Shape.TRANSITIONAL, transitional.shape());
        assertEquals(REPO, transitional.repoDid());
        RefUpdate old = assertInstanceOf(RefUpdate.class, sink.got.get(2));
        assertEquals(RefUpdate.Shape.PRE_V1_14, old.shape());
        assertEquals(OWNER, old.ownerDid());
        assertEquals("upgraded", old.repoName());

        Trigger legacy = assertInstanceOf(Trigger.class, sink.got.get(3));
        assertEquals("upgraded", legacy.repo().name());
        assertEquals(List.of("ci.yml"), legacy.workflows().stream().map(w -> w.name()).toList());
        assertEquals("stub", legacy.workflows().get(0).engine());
    }

    @Test
    @DisplayName("a dropped event connection through the front is seen by the consumer, which reconnects and resumes")
    void dropThroughFront() {
        Sink sink = consume();
        knot.commitAndPush(REPO, OWNER, "main", Map.of("a", "1"), List.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> sink.got.size() == 1);
        long accepted = knot.events().connectionsAccepted();
        knot.events().dropConnections();
        await().atMost(Duration.ofSeconds(10)).until(() -> knot.events().connectionsAccepted() > accepted
                && knot.events().connectionCount() == 1);
        knot.commitAndPush(REPO, OWNER, "main", Map.of("a", "2"), List.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> sink.got.stream().anyMatch(
                o -> o instanceof RefUpdate u && u.newSha().equals(knot.tip(REPO, "main"))));
    }

    @Test
    @DisplayName("with the git side down, git requests get 502 (retried by the fetcher) and work again once it is back")
    void gitDown() throws Exception {
        String sha = knot.commit(REPO, "main", Map.of(".tangled/workflows/ci.yml", "engine: stub\n"));
        knot.stopGit();
        WorkflowFetchException e = assertThrows(WorkflowFetchException.class,
                () -> fetcher.fetch(WorkflowFetcher.knotBase(knot.host(), true), REPO, sha));
        assertTrue(e.failure() instanceof WorkflowFetchException.Failure.TimedOut, e.toString());
        assertTrue(knot.gitRefused() >= 2, "the fetcher retried a knot that was down: " + knot.gitRefused());

        knot.startGit();
        assertEquals(1, fetcher.fetch(WorkflowFetcher.knotBase(knot.host(), true), REPO, sha).files().size());
        // Once it is back, one partial fetch: the commit with its root tree, .tangled, the directory, its file.
        assertEquals(4, knot.gitFetches());
    }

    @Test
    @DisplayName("close ends every thread the knot started, connections included")
    void closeEndsThreads() throws Exception {
        consume();
        String sha = knot.commit(REPO, "main", Map.of(".tangled/workflows/ci.yml", "engine: stub\n"));
        fetcher.fetch(WorkflowFetcher.knotBase(knot.host(), true), REPO, sha);
        for (AutoCloseable c : closeLater.reversed()) c.close();
        closeLater.clear();
        knot.close();
        assertEquals(0, knot.frontThreads(), "no front thread is left");
    }
}
