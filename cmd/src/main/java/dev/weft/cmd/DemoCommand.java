package dev.weft.cmd;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.config.WeftConfig;
import dev.weft.daemon.Weft;
import dev.weft.git.WorkflowFetcher;
import dev.weft.knot.KnotEventServer;
import dev.weft.knot.UpgradedKnot;
import dev.weft.knot.PipelineRecordJson;
import dev.weft.spi.ProviderConfigException;
import dev.weft.wire.Tid;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code weft demo}: the whole flow on a bare machine. An embedded upgraded knot holds a real git
 * repository with two stub workflows in {@code .tangled/workflows}; a commit is pushed at start and
 * every 30 s and announced with {@code sh.tangled.git.refUpdate}. weft reads the workflows at the
 * commit over git, compiles and announces the pipeline, runs it on the stub provider, and a live
 * view prints what {@code /events} and {@code /logs} serve. {@code --legacy} embeds a legacy knot
 * instead, which sends the compiled {@code sh.tangled.pipeline} record itself.
 */
final class DemoCommand {
    static final String DID = "did:plc:weftdemo";
    static final String REPO = "weft-demo";
    /** The demo repository's own DID: upgraded knots and weft name repositories by it. */
    static final String REPO_DID = "did:plc:weftdemorepo";
    private static final String WORKFLOW_DIR = WorkflowFetcher.WORKFLOW_DIR + "/";
    static final List<String> WORKFLOWS = List.of("build.yml", "lint.yml");

    static final String BUILD = """
            engine: stub
            when:
              - event: ["push"]
                branch: ["main"]
            steps:
              - name: build
                command: make all
            stub:
              steps:
                - name: checkout
                  command: git checkout ${TANGLED_SHA}
                  output: ["cloning ${TANGLED_REPO_URL}", "HEAD is now at ${TANGLED_SHA}"]
                  delay: 200ms
                - name: build
                  command: make all
                  output: ["compiling weft-demo", "linking", "built in 1.2s ✓"]
                  stderr: ["warning: unused variable <x> & friends"]
                  delay: 400ms
                - name: test
                  command: make test
                  output: ["running 3 tests", "test wire ... ok", "test runs ... ok", "test logs ... ok", "3 passed, 0 failed"]
                  delay: 300ms
            """;

    static final String LINT = """
            engine: stub
            steps:
              - name: lint
                command: go vet ./...
              - name: format
                command: gofmt -l .
            """;

    private DemoCommand() {
    }

    /** The knot the demo embeds, and how a "push" happens on it. */
    private interface DemoKnot extends AutoCloseable {
        String host();

        /** The {@code WEFT_REPOS} entry that registers the demo repository. */
        String registration();

        /** Pushes to main; returns the new commit id, which the pipeline's trigger carries. */
        String push(PrintStream out);

        @Override
        void close();
    }

    /**
     * Today's knot: a real git repository with {@code .tangled/workflows}, each push a real commit
     * announced by a refUpdate; weft reads the workflows at the commit and compiles the pipeline.
     */
    private static final class Upgraded implements DemoKnot {
        private final UpgradedKnot knot;
        private final Path dir;
        private int pushes;

        Upgraded() throws IOException {
            dir = Files.createTempDirectory("weft-demo-knot");
            knot = new UpgradedKnot(dir).start();
            knot.createRepo(REPO_DID);
        }

        @Override
        public String host() {
            return knot.host();
        }

        @Override
        public String registration() {
            return knot.host() + "/" + REPO_DID;
        }

        @Override
        public synchronized String push(PrintStream out) {
            pushes++;
            Map<String, String> files = new LinkedHashMap<>();
            if (pushes == 1) {
                files.put(WORKFLOW_DIR + "build.yml", BUILD);
                files.put(WORKFLOW_DIR + "lint.yml", LINT);
            }
            files.put("CHANGES", "push " + pushes + " at " + Instant.now() + "\n");
            String old = knot.tip(REPO_DID, "main");
            String sha = knot.commit(REPO_DID, "main", files);
            String rkey = knot.push(REPO_DID, DID, "refs/heads/main", old, sha, List.copyOf(files.keySet()), List.of());
            out.println("weft demo: pushed " + sha.substring(0, 8) + " to main of " + REPO_DID + " (" + String.join(", ", files.keySet())
                    + "); the knot sent refUpdate " + rkey);
            return sha;
        }

        @Override
        public void close() {
            knot.close();
            deleteTree(dir);
        }
    }

    /** A legacy knot: it compiles the pipeline itself and sends the {@code sh.tangled.pipeline} record. */
    private static final class Legacy implements DemoKnot {
        private final KnotEventServer knot = new KnotEventServer().start();

        @Override
        public String host() {
            return knot.host();
        }

        @Override
        public String registration() {
            return knot.host() + "/" + DID + "/" + REPO;
        }

        @Override
        public String push(PrintStream out) {
            return emit(knot, out);
        }

        @Override
        public void close() {
            knot.close();
        }
    }

    static int run(List<String> args, PrintStream out, PrintStream err) throws WeftConfig.InvalidConfigException {
        List<String> flags = new ArrayList<>(args);
        boolean once = flags.remove("--once");
        boolean legacy = flags.remove("--legacy");
        Map<String, String> env = WeftConfig.applyFlags(Map.of(), flags);
        try (DemoKnot knot = legacy ? new Legacy() : new Upgraded()) {
            Map<String, String> cfg = new LinkedHashMap<>();
            cfg.put("WEFT_HOSTNAME", "weft-demo.localhost");
            cfg.put("WEFT_OWNER_DID", DID);
            cfg.put("WEFT_LISTEN", "127.0.0.1:0");
            cfg.put("WEFT_DB", tempDb().toString());
            cfg.put("WEFT_DEV", "true");
            cfg.put("WEFT_REPOS", knot.registration());
            cfg.putAll(env);
            WeftConfig config = WeftConfig.from(cfg);
            try (Weft weft = Weft.builder(config).start()) {
                return demo(weft, knot, legacy, once, out, err);
            }
        } catch (ProviderConfigException e) {
            err.println("weft demo: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println("weft demo: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    private static int demo(Weft weft, DemoKnot knot, boolean legacy, boolean once, PrintStream out, PrintStream err)
            throws InterruptedException {
        String knotHost = knot.host();
        Instant deadline = Instant.now().plusSeconds(20);
        while (!weft.knots().isConnected(knotHost)) {
            if (Instant.now().isAfter(deadline)) {
                err.println("weft demo: weft did not connect to the embedded knot " + knotHost);
                return 1;
            }
            Thread.sleep(50);
        }
        out.println("weft demo: spindle at " + weft.baseUrl() + " (events: ws://127.0.0.1:" + weft.port()
                + "/events), embedded knot at " + knotHost);
        out.println(legacy
                ? "weft demo: legacy knot: it sends a compiled sh.tangled.pipeline record with " + WORKFLOWS + " per push"
                : "weft demo: upgraded knot: git at http://" + knotHost + "/" + REPO_DID + ", pushes announced as "
                        + "sh.tangled.git.refUpdate; weft reads .tangled/workflows at each commit and announces the pipeline");
        out.println("weft demo: a push now and every 30 s" + (once ? "; exiting after the first pipeline" : "; Ctrl-C to stop"));

        Map<String, String> finalStates = new ConcurrentHashMap<>();
        CountDownLatch done = new CountDownLatch(1);
        // The first push's pipeline: weft names it (a TID it mints) only when it announces it, so
        // it is recognised by the pushed commit in its trigger. Announcements are kept by commit,
        // so one that arrives before push() has returned is not missed.
        AtomicReference<String> firstSha = new AtomicReference<>();
        Map<String, String> pipelineBySha = new ConcurrentHashMap<>();
        LiveView view = new LiveView("ws://127.0.0.1:" + weft.port(), out, (pipeline, p) ->
                pipelineBySha.putIfAbsent(p.path("triggerMetadata").path("push").path("newSha").asText(), pipeline),
                (pipeline, e) -> {
            String status = e.get("status").asText();
            String sha = firstSha.get();
            if (sha != null && pipeline.equals(pipelineBySha.get(sha)) && isTerminal(status)) {
                finalStates.put(e.get("workflow").asText(), status);
                if (finalStates.keySet().containsAll(WORKFLOWS)) done.countDown();
            }
        });
        ScheduledExecutorService every = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "demo-pusher");
            t.setDaemon(true);
            return t;
        });
        try {
            view.start();
            firstSha.set(knot.push(out));
            if (!once) {
                every.scheduleAtFixedRate(() -> knot.push(out), 30, 30, TimeUnit.SECONDS);
                new CountDownLatch(1).await();
                return 0;
            }
            if (!done.await(90, TimeUnit.SECONDS)) {
                err.println("weft demo: the first pipeline did not finish within 90 s: " + finalStates);
                return 1;
            }
            // The log streams close (1000) once their last line is sent; wait for them too.
            Instant logsDeadline = Instant.now().plusSeconds(15);
            while (!WORKFLOWS.stream().allMatch(w -> view.logComplete(pipelineBySha.get(firstSha.get()), w))) {
                if (Instant.now().isAfter(logsDeadline)) {
                    err.println("weft demo: log streams did not complete");
                    return 1;
                }
                Thread.sleep(50);
            }
            boolean ok = WORKFLOWS.stream().allMatch(w -> "success".equals(finalStates.get(w)));
            out.println("weft demo: first pipeline finished: " + finalStates + (ok ? " — ok" : " — unexpected"));
            return ok ? 0 : 1;
        } finally {
            every.shutdownNow();
            view.close();
        }
    }

    private static boolean isTerminal(String status) {
        return switch (status) {
            case "success", "failed", "timeout", "cancelled" -> true;
            default -> false;
        };
    }

    /** Emits one push pipeline on a legacy knot; returns the pushed commit id. */
    static String emit(KnotEventServer knot, PrintStream out) {
        byte[] sha = new byte[20];
        new SecureRandom().nextBytes(sha);
        String newSha = HexFormat.of().formatHex(sha);
        String rkey = Tid.of(Instant.now().toEpochMilli() * 1000, 0);
        String record = PipelineRecordJson.push(knot.host(), DID, REPO, "refs/heads/main", newSha, "0".repeat(40))
                .workflow("build.yml", "stub", BUILD)
                .workflow("lint.yml", "stub", LINT)
                .json();
        knot.publishPipeline(rkey, record);
        out.println("weft demo: knot emitted pipeline " + rkey + " (push to main at " + newSha.substring(0, 8) + ")");
        return newSha;
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory: what is left is the OS's to clean
        }
    }

    private static Path tempDb() throws IOException {
        Path dir = Files.createTempDirectory("weft-demo");
        dir.toFile().deleteOnExit();
        return dir.resolve("weft.db");
    }
}
