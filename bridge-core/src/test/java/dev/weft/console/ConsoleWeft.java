package dev.weft.console;

import dev.weft.config.WeftConfig;
import dev.weft.daemon.Weft;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.RunState;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import dev.weft.model.WorkflowId;
import dev.weft.spi.CancelReason;
import dev.weft.wire.Tid;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;

/**
 * A real weft for the console's tests: SQLite in a temporary directory, the {@link ScriptedEngine},
 * no knots, an advice file, and (unless told otherwise) an operator token.
 */
final class ConsoleWeft implements AutoCloseable {
    static final String TOKEN = "test-operator-token-0123456789";
    static final String KNOT = "knot.test";
    static final String OWNER = "did:plc:owner1abc";
    private static final AtomicInteger SEQ = new AtomicInteger();

    final Weft weft;

    private ConsoleWeft(Weft weft) {
        this.weft = weft;
    }

    /** @param token whether an operator token is configured; {@code console} the value of WEFT_CONSOLE */
    static ConsoleWeft start(Path dir, boolean token, String console) throws Exception {
        return start(dir, token, console, Map.of());
    }

    /** As {@link #start(Path, boolean, String)}, with {@code extra} settings. */
    static ConsoleWeft start(Path dir, boolean token, String console, Map<String, String> extra) throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("WEFT_HOSTNAME", "ci.example.com");
        env.put("WEFT_OWNER_DID", "did:plc:spindleoperator");
        env.put("WEFT_LISTEN", "127.0.0.1:0");
        env.put("WEFT_DB", dir.resolve("weft.db").toString());
        env.put("WEFT_FIRST_STATUS_DELAY", "0s");
        env.put("WEFT_STATUS_GAP", "0s");
        env.put("WEFT_JETSTREAM", "off");
        Files.createDirectories(dir);
        Path advice = dir.resolve("advice.toml");
        Files.writeString(advice, """
                [[rule]]
                match = 'connection refused.*:5432|:5432: connection refused'
                advice = "The staging database is down. Restart it before re-running."
                link = "https://runbooks.example/staging-db"
                """);
        env.put("WEFT_ADVICE_FILE", advice.toString());
        if (token) {
            Path file = dir.resolve("admin-token");
            Files.writeString(file, TOKEN + "\n");
            env.put("WEFT_ADMIN_TOKEN_FILE", file.toString());
        }
        if (console != null) env.put("WEFT_CONSOLE", console);
        env.putAll(extra);
        Weft w = Weft.builder(WeftConfig.from(env)).providers(List.of(new ScriptedEngine()))
                .consumeKnots(false).cancelGrace(Duration.ofSeconds(10)).start();
        return new ConsoleWeft(w);
    }

    String url(String path) {
        return weft.baseUrl() + path;
    }

    /** A new pipeline of repository {@code name}, one workflow per (name, mode) pair; returns once stored. */
    PipelineId pipeline(String repoName, String... workflowModes) {
        return pipelineWith("", repoName, workflowModes);
    }

    /** {@link #pipeline} whose workflows carry {@code extraYaml} too (a concurrency block, say). */
    PipelineId pipelineWith(String extraYaml, String repoName, String... workflowModes) {
        int n = SEQ.incrementAndGet();
        String rkey = Tid.of(Instant.now().toEpochMilli() * 1000, n & 0x3ff);
        List<Workflow> wf = new ArrayList<>();
        for (int i = 0; i < workflowModes.length; i += 2) {
            wf.add(new Workflow(workflowModes[i], ScriptedEngine.ENGINE, null, ScriptedEngine.raw(workflowModes[i + 1]) + extraYaml));
        }
        RepoRef repo = new RepoRef(KNOT, OWNER, repoName);
        weft.registry().register(repo.key(), dev.weft.discovery.RepoRegistry.STATIC);
        Trigger t = new Trigger(new PipelineId(KNOT, rkey), repo,
                new TriggerKind.Push("refs/heads/main", String.format("%040x", n), "0".repeat(40)), wf, Instant.now());
        weft.runs().accept(t);
        return t.pipeline();
    }

    RunState state(PipelineId p, String workflow) {
        return weft.store().runs().run(new WorkflowId(p, workflow)).map(r -> r.state()).orElse(null);
    }

    void awaitState(PipelineId p, String workflow, RunState s) {
        await().atMost(Duration.ofSeconds(20)).until(() -> state(p, workflow) == s);
    }

    @Override
    public void close() {
        for (var run : weft.store().runs().openRuns()) weft.runs().cancel(run.workflow(), CancelReason.REQUESTED);
        await().atMost(Duration.ofSeconds(20)).until(() -> weft.store().runs().openRuns().isEmpty());
        weft.close();
    }
}
