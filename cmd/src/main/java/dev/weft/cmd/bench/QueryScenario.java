package dev.weft.cmd.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.daemon.Databases;
import dev.weft.model.Nanos;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import dev.weft.store.Stores;
import dev.weft.store.TriggerJson;
import dev.weft.wire.Tid;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code weft bench query}: {@code sh.tangled.ci.queryPipelines} over HTTP for one repository with
 * 100,000 pipelines among 1,000,000 (10,000 among 100,000 under {@code --quick}), as the appview
 * asks it: the first page ({@code limit=30}, the pipelines page) and a {@code commits} filter of 30
 * SHAs picked at random from the repository's history (a commit list or pull request page). One
 * client sends requests one after another; after 300 of each not counted (the JIT), three rounds
 * (one under {@code --quick}) of 1,000 of each, alternating. Target: p99 <= 10 ms for each; the
 * median round's p99 counts.
 *
 * <p>The data set is written with raw SQL on the database file before weft opens it (schema by
 * {@link Databases#open}, as {@link EventsScenario} does): every pipeline a push with one
 * successful workflow, stored in the rows and JSON weft itself writes ({@link TriggerJson}). The
 * other 900,000 belong to 900 other repositories, interleaved in time with the measured one's.
 */
final class QueryScenario {
    static final String NAME = "query";
    static final double TARGET_MS = 10.0;
    static final String REPO_DID = "did:plc:weftbenchrepo";
    private static final int OTHER_REPOS = 900;
    private static final int COMMITS = 30;
    private static final ObjectMapper JSON = new ObjectMapper();

    private QueryScenario() {
    }

    static List<Outcome> run(BenchContext ctx) throws Exception {
        int n = ctx.pick(1_000_000, 100_000);
        int every = 10; // one pipeline in ten is the measured repository's
        Path dir = Files.createTempDirectory("weft-bench-query");
        try {
            Path db = dir.resolve("weft.db");
            long f0 = System.nanoTime();
            fill(db, n, every);
            ctx.say(NAME, Fmt.count(n) + " pipelines (" + Fmt.count(n / every) + " of the measured repository) built in "
                    + Fmt.seconds(System.nanoTime() - f0) + " (" + Fmt.mib(Files.size(db)) + " database)");
            int rounds = ctx.pick(3, 1);
            int perRound = 1000;
            List<Double> firstP99 = new ArrayList<>();
            List<Double> commitsP99 = new ArrayList<>();
            try (WeftUnderTest w = WeftUnderTest.start(false, db, Map.of())) {
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                String base = "http://127.0.0.1:" + w.weft.port() + "/xrpc/sh.tangled.ci.queryPipelines?repo=" + REPO_DID;
                URI first = URI.create(base + "&limit=30");
                SplittableRandom random = new SplittableRandom(42);
                // Check the answers once: a fast wrong answer would be no figure.
                JsonNode page = JSON.readTree(get(http, first));
                if (page.get("pipelines").size() != 30 || page.get("total").asLong() != n / every) {
                    return List.of(Outcome.failed(NAME, "first page: " + page.get("pipelines").size() + " pipelines, total "
                            + page.get("total")));
                }
                JsonNode byCommit = JSON.readTree(get(http, commits(base, random, n, every)));
                if (byCommit.get("pipelines").size() != COMMITS || byCommit.get("total").asLong() != COMMITS) {
                    return List.of(Outcome.failed(NAME, "commits: " + byCommit.get("pipelines").size() + " pipelines"));
                }
                for (int i = 0; i < 300; i++) {
                    get(http, first);
                    get(http, commits(base, random, n, every));
                }
                for (int round = 1; round <= rounds; round++) {
                    long[] a = new long[perRound];
                    long[] b = new long[perRound];
                    for (int i = 0; i < perRound; i++) {
                        URI c = commits(base, random, n, every);
                        long t0 = System.nanoTime();
                        get(http, first);
                        long t1 = System.nanoTime();
                        get(http, c);
                        long t2 = System.nanoTime();
                        a[i] = t1 - t0;
                        b[i] = t2 - t1;
                    }
                    Percentiles pa = new Percentiles(a);
                    Percentiles pb = new Percentiles(b);
                    ctx.say(NAME, "round " + round + "/" + rounds + ": first page (limit 30) " + pa.summary()
                            + "; commits (30 SHAs) " + pb.summary() + "; " + ctx.load());
                    firstP99.add(pa.at(99) / 1e6);
                    commitsP99.add(pb.at(99) / 1e6);
                }
            }
            double mf = Ratios.median(firstP99);
            double mc = Ratios.median(commitsP99);
            ctx.say(NAME, "median of " + rounds + " rounds: p99 first page " + Fmt.fixed(mf, 2) + " ms, commits "
                    + Fmt.fixed(mc, 2) + " ms (target p99 <= 10 ms each)");
            return List.of(
                    new Outcome(NAME + " first", "p99 " + Fmt.fixed(mf, 2) + " ms (median round)", "-",
                            "p99 <= 10 ms: " + rounds(firstP99), Outcome.atMost(mf, TARGET_MS)),
                    new Outcome(NAME + " commits", "p99 " + Fmt.fixed(mc, 2) + " ms (median round)", "-",
                            "p99 <= 10 ms: " + rounds(commitsP99), Outcome.atMost(mc, TARGET_MS)));
        } finally {
            WeftUnderTest.deleteTree(dir);
        }
    }

    /** {@code 1.23, 1.40, 1.31 ms}: each round's p99. */
    private static String rounds(List<Double> millis) {
        return String.join(", ", millis.stream().map(m -> Fmt.fixed(m, 2)).toList()) + " ms";
    }

    private static String get(HttpClient http, URI uri) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException(uri + ": " + r.statusCode() + " " + r.body());
        return r.body();
    }

    /** A commits query naming 30 distinct commits of the measured repository. */
    private static URI commits(String base, SplittableRandom random, int n, int every) {
        StringBuilder q = new StringBuilder(base).append("&commits=");
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        while (seen.size() < COMMITS) {
            int g = random.nextInt(n / every) * every;
            if (seen.add(g)) q.append(seen.size() == 1 ? "" : "&commits=").append(sha(g));
        }
        return URI.create(q.toString());
    }

    private static String sha(long g) {
        return String.format("%040x", g + 1);
    }

    /** {@code n} pipelines, pipeline {@code g} the measured repository's when {@code g % every == 0}. */
    static void fill(Path db, int n, int every) throws SQLException {
        try (Stores ignored = Databases.open(db)) {
            // the schema, by the migrations
        }
        Instant start = Instant.now().minusSeconds(n);
        long rkeyBase = start.toEpochMilli() * 1000;
        List<Workflow> workflows = List.of(new Workflow("ci.yml", "stub", Workflow.CloneOptions.DEFAULT, "engine: stub\n"));
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db.toAbsolutePath())) {
            c.setAutoCommit(false);
            try (PreparedStatement t = c.prepareStatement("INSERT INTO triggers (knot, rkey, received_at, trigger, repo_did, "
                    + "repo_knot, repo_owner, repo_name, kind, sha) VALUES (?,?,?,?,?,?,?,?,?,?)");
                 PreparedStatement r = c.prepareStatement("INSERT INTO runs (knot, rkey, workflow, engine, state, created_at, "
                         + "updated_at, started_at) VALUES (?,?,?,?,?,?,?,?)")) {
                for (int g = 0; g < n; g++) {
                    String repoDid = g % every == 0 ? REPO_DID : "did:plc:weftbenchother" + (g % OTHER_REPOS);
                    RepoRef repo = new RepoRef(EventsScenario.KNOT, WeftUnderTest.DID, "r" + (g % OTHER_REPOS), "main", repoDid);
                    Instant at = start.plusMillis(g);
                    long nanos = Nanos.of(at);
                    Trigger trigger = new Trigger(new PipelineId(EventsScenario.KNOT, Tid.of(rkeyBase + g, 0)), repo,
                            new TriggerKind.Push("refs/heads/main", sha(g), "0".repeat(40)), workflows, at);
                    t.setString(1, trigger.pipeline().knot());
                    t.setString(2, trigger.pipeline().rkey());
                    t.setLong(3, nanos);
                    t.setString(4, TriggerJson.write(trigger));
                    t.setString(5, repoDid);
                    t.setString(6, repo.knot());
                    t.setString(7, repo.did());
                    t.setString(8, repo.name());
                    t.setString(9, "push");
                    t.setString(10, sha(g));
                    t.addBatch();
                    r.setString(1, trigger.pipeline().knot());
                    r.setString(2, trigger.pipeline().rkey());
                    r.setString(3, "ci.yml");
                    r.setString(4, "stub");
                    r.setString(5, "success");
                    r.setLong(6, nanos);
                    r.setLong(7, nanos + 60_000_000_000L);
                    r.setLong(8, nanos + 2_000_000_000L);
                    r.addBatch();
                    if (g % 10_000 == 9_999) {
                        t.executeBatch();
                        r.executeBatch();
                    }
                }
                t.executeBatch();
                r.executeBatch();
            }
            // No ANALYZE: weft never runs one, so the planner works here as it does in production.
            c.commit();
        }
    }
}
