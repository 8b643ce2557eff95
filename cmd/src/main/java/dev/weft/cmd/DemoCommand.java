package dev.weft.cmd;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.config.WeftConfig;
import dev.weft.daemon.Weft;
import dev.weft.knot.KnotEventServer;
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

/**
 * {@code weft demo}: the whole flow on a bare machine. An embedded knot emits a push pipeline with
 * two stub workflows at start and every 30 s; weft consumes it over the knot protocol, runs it
 * on the stub provider, and a live view prints what {@code /events} and {@code /logs} serve.
 */
final class DemoCommand {
    static final String DID = "did:plc:weftdemo";
    static final String REPO = "weft-demo";
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

    static int run(List<String> args, PrintStream out, PrintStream err) throws WeftConfig.InvalidConfigException {
        List<String> flags = new ArrayList<>(args);
        boolean once = flags.remove("--once");
        Map<String, String> env = WeftConfig.applyFlags(Map.of(), flags);
        try (KnotEventServer knot = new KnotEventServer().start()) {
            String knotHost = knot.host();
            Map<String, String> cfg = new LinkedHashMap<>();
            cfg.put("WEFT_HOSTNAME", "weft-demo.localhost");
            cfg.put("WEFT_OWNER_DID", DID);
            cfg.put("WEFT_LISTEN", "127.0.0.1:0");
            cfg.put("WEFT_DB", tempDb().toString());
            cfg.put("WEFT_DEV", "true");
            cfg.put("WEFT_REPOS", knotHost + "/" + DID + "/" + REPO);
            cfg.putAll(env);
            WeftConfig config = WeftConfig.from(cfg);
            try (Weft weft = Weft.builder(config).start()) {
                return demo(weft, knot, once, out, err);
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

    private static int demo(Weft weft, KnotEventServer knot, boolean once, PrintStream out, PrintStream err)
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
                + "/events), embedded knot at ws://" + knotHost + "/events");
        out.println("weft demo: a push pipeline with " + WORKFLOWS + " is emitted now and every 30 s"
                + (once ? "; exiting after the first" : "; Ctrl-C to stop"));

        String first = emit(knot, out);
        String firstUri = "at://did:web:" + knotHost + "/sh.tangled.pipeline/" + first;
        Map<String, String> finalStates = new ConcurrentHashMap<>();
        CountDownLatch done = new CountDownLatch(1);
        LiveView view = new LiveView("ws://127.0.0.1:" + weft.port(), out, (pipeline, e) -> {
            String status = e.get("status").asText();
            if (pipeline.equals(firstUri) && isTerminal(status)) {
                finalStates.put(e.get("workflow").asText(), status);
                if (finalStates.keySet().containsAll(WORKFLOWS)) done.countDown();
            }
        });
        ScheduledExecutorService every = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "demo-emitter");
            t.setDaemon(true);
            return t;
        });
        try {
            view.start();
            if (!once) {
                every.scheduleAtFixedRate(() -> emit(knot, out), 30, 30, TimeUnit.SECONDS);
                new CountDownLatch(1).await();
                return 0;
            }
            if (!done.await(90, TimeUnit.SECONDS)) {
                err.println("weft demo: the first pipeline did not finish within 90 s: " + finalStates);
                return 1;
            }
            // The log streams close (1000) once their last line is sent; wait for them too.
            Instant logsDeadline = Instant.now().plusSeconds(15);
            while (!WORKFLOWS.stream().allMatch(w -> view.logComplete(knotHost, first, w))) {
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

    /** Emits one push pipeline on the embedded knot; returns its rkey. */
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
        return rkey;
    }

    private static Path tempDb() throws IOException {
        Path dir = Files.createTempDirectory("weft-demo");
        dir.toFile().deleteOnExit();
        return dir.resolve("weft.db");
    }
}
