package dev.weft.cmd.bench;

import dev.weft.config.WeftConfig;
import dev.weft.daemon.Weft;
import dev.weft.knot.KnotEventServer;
import dev.weft.knot.PipelineRecordJson;
import dev.weft.provider.stub.StubProviderFactory;
import dev.weft.spi.ProviderConfigException;
import dev.weft.wire.Tid;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One weft as {@code weft serve} assembles it (store, publisher, runs, server, knot consumer), with
 * the stub provider only, on loopback and a throw-away database, optionally fed by an in-process
 * knot ({@link KnotEventServer}) on which one repository is registered statically, as in
 * {@code weft demo}. Closing stops both and deletes the database.
 */
final class WeftUnderTest implements AutoCloseable {
    static final String DID = "did:plc:weftbench";
    static final String REPO = "bench";
    private static final String ZEROS = "0".repeat(40);

    final KnotEventServer knot;
    final Weft weft;
    private final Path dir;
    private final long rkeyBase = Instant.now().toEpochMilli() * 1000;

    private WeftUnderTest(KnotEventServer knot, Weft weft, Path dir) {
        this.knot = knot;
        this.weft = weft;
        this.dir = dir;
    }

    /**
     * @param withKnot whether to start an in-process knot and consume it
     * @param db       an existing database to serve, or null for a fresh one
     * @param env      extra WEFT_* settings (delays, timeouts)
     */
    static WeftUnderTest start(boolean withKnot, Path db, Map<String, String> env)
            throws IOException, ProviderConfigException, InterruptedException {
        Path dir = Files.createTempDirectory("weft-bench");
        KnotEventServer knot = withKnot ? new KnotEventServer().start() : null;
        try {
            String knotHost = knot != null ? knot.host() : "127.0.0.1:1";
            Map<String, String> cfg = new LinkedHashMap<>();
            cfg.put("WEFT_HOSTNAME", "weft-bench.localhost");
            cfg.put("WEFT_OWNER_DID", DID);
            cfg.put("WEFT_LISTEN", "127.0.0.1:0");
            cfg.put("WEFT_DB", (db != null ? db : dir.resolve("weft.db")).toString());
            cfg.put("WEFT_DEV", "true");
            cfg.put("WEFT_REPOS", knotHost + "/" + DID + "/" + REPO);
            cfg.putAll(env);
            Weft weft = Weft.builder(WeftConfig.from(cfg))
                    .providers(List.of(new StubProviderFactory()))
                    .consumeKnots(withKnot)
                    .start();
            WeftUnderTest w = new WeftUnderTest(knot, weft, dir);
            if (knot != null) w.awaitKnotConnected(Duration.ofSeconds(20));
            return w;
        } catch (WeftConfig.InvalidConfigException e) {
            if (knot != null) knot.close();
            deleteTree(dir);
            throw new IllegalStateException("bench configuration refused: " + e.getMessage(), e);
        } catch (ProviderConfigException | InterruptedException | RuntimeException e) {
            if (knot != null) knot.close();
            deleteTree(dir);
            throw e;
        }
    }

    private void awaitKnotConnected(Duration limit) throws InterruptedException {
        Instant deadline = Instant.now().plus(limit);
        while (!weft.knots().isConnected(knot.host())) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("weft did not connect to the in-process knot " + knot.host());
            }
            Thread.sleep(20);
        }
    }

    /** A distinct, valid record key for the {@code i}th pipeline of this run. */
    String rkey(long i) {
        return Tid.of(rkeyBase + i, 0);
    }

    /** The pipeline record of a push with one stub workflow. */
    String pushRecord(long i, String workflowName, String workflowYaml) {
        String sha = HexFormat.of().toHexDigits(i) + HexFormat.of().toHexDigits(rkeyBase) + "00000000";
        return PipelineRecordJson.push(knot.host(), DID, REPO, "refs/heads/main", sha, ZEROS)
                .workflow(workflowName, "stub", workflowYaml)
                .json();
    }

    /** The AT-URI weft writes in statuses for the pipeline with this record key. */
    String pipelineUri(String rkey) {
        return "at://did:web:" + knot.host() + "/sh.tangled.pipeline/" + rkey;
    }

    String wsBase() {
        return "ws://127.0.0.1:" + weft.port();
    }

    @Override
    public void close() {
        try {
            weft.close();
        } finally {
            if (knot != null) knot.close();
            deleteTree(dir);
        }
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind is not worth failing a benchmark for
        }
    }
}
