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
    /** The instance that consumes the knot (with one instance, the only one). */
    final Weft weft;
    /** The instance the bench's clients connect to: with several, one that does not hold the knot. */
    final Weft viewer;
    /** Every instance, the knot's consumer last: closed after the others, so none of them takes the knot over. */
    private final List<Weft> instances;
    private final Path dir;
    private final long rkeyBase = Instant.now().toEpochMilli() * 1000;

    private WeftUnderTest(KnotEventServer knot, Weft weft, Path dir) {
        this(knot, weft, weft, List.of(weft), dir);
    }

    private WeftUnderTest(KnotEventServer knot, Weft weft, Weft viewer, List<Weft> instances, Path dir) {
        this.knot = knot;
        this.weft = weft;
        this.viewer = viewer;
        this.instances = instances;
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

    /**
     * {@code count} instances in this process on one PostgreSQL database ({@code WEFT_DB} URL), as
     * {@code weft serve} runs them on several machines (instance ids {@code bench-1}..., one
     * secrets key file), fed by one in-process knot. The first started takes the knot's and the
     * publisher's leases; {@link #viewer} is another instance, which holds neither, so what its
     * clients see crossed from one instance to another through the database.
     *
     * @param keyFile the secrets key the database recorded or will record (created when absent)
     */
    static WeftUnderTest cluster(int count, String db, Path keyFile, Map<String, String> env)
            throws IOException, ProviderConfigException, InterruptedException {
        Path dir = Files.createTempDirectory("weft-bench");
        KnotEventServer knot = new KnotEventServer().start();
        List<Weft> started = new java.util.ArrayList<>();
        try {
            for (int i = 1; i <= count; i++) {
                Map<String, String> cfg = new LinkedHashMap<>();
                cfg.put("WEFT_HOSTNAME", "weft-bench.localhost");
                cfg.put("WEFT_OWNER_DID", DID);
                cfg.put("WEFT_LISTEN", "127.0.0.1:0");
                cfg.put("WEFT_DB", db);
                cfg.put("WEFT_DEV", "true");
                cfg.put("WEFT_REPOS", knot.host() + "/" + DID + "/" + REPO);
                cfg.put("WEFT_INSTANCE_ID", "bench-" + i);
                cfg.put("WEFT_SECRETS_KEY_FILE", keyFile.toString());
                cfg.put("WEFT_GIT_CACHE_DIR", dir.resolve("git-" + i).toString());
                String password = System.getenv("WEFT_DB_PASSWORD_FILE");
                if (password != null && !password.isEmpty()) cfg.put("WEFT_DB_PASSWORD_FILE", password);
                cfg.putAll(env);
                started.add(Weft.builder(WeftConfig.from(cfg)).providers(List.of(new StubProviderFactory())).start());
            }
            String lease = Weft.knotLease(knot.host());
            Instant deadline = Instant.now().plusSeconds(30);
            Weft holder;
            while ((holder = started.stream().filter(w -> w.leases().holds(lease)).findFirst().orElse(null)) == null) {
                if (Instant.now().isAfter(deadline)) throw new IllegalStateException("no instance took the knot's lease");
                Thread.sleep(20);
            }
            Weft h = holder;
            Weft viewer = started.stream().filter(w -> w != h && !w.leases().holds(Weft.PUBLISHER_LEASE)).findFirst()
                    .orElse(started.stream().filter(w -> w != h).findFirst().orElse(h));
            List<Weft> order = new java.util.ArrayList<>(started);
            order.remove(h);
            order.add(h);
            WeftUnderTest w = new WeftUnderTest(knot, h, viewer, List.copyOf(order), dir);
            w.awaitKnotConnected(Duration.ofSeconds(20));
            return w;
        } catch (WeftConfig.InvalidConfigException e) {
            closeAll(started);
            knot.close();
            deleteTree(dir);
            throw new IllegalStateException("bench configuration refused: " + e.getMessage(), e);
        } catch (ProviderConfigException | InterruptedException | RuntimeException e) {
            closeAll(started);
            knot.close();
            deleteTree(dir);
            throw e;
        }
    }

    private static void closeAll(List<Weft> instances) {
        for (Weft w : instances) {
            try {
                w.close();
            } catch (RuntimeException e) {
                // closing the others matters more than this one's failure
            }
        }
    }

    /** The name of an instance ({@code WEFT_INSTANCE_ID}). */
    static String name(Weft w) {
        return w.leases().instance().name();
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

    /** Where the bench's clients connect: {@link #viewer}. */
    String wsBase() {
        return "ws://127.0.0.1:" + viewer.port();
    }

    @Override
    public void close() {
        try {
            closeAll(instances);
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
