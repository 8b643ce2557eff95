package dev.weft.console;

import dev.weft.spi.Provider;
import dev.weft.spi.ProviderContext;
import dev.weft.spi.ProviderFactory;
import dev.weft.spi.Run;
import dev.weft.spi.Step;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A test engine, {@code scripted}, whose runs the test steers ({@code scripted: {mode: ...}}):
 * <ul>
 *   <li>{@code wait}: a system step and a user step, then running until cancelled;</li>
 *   <li>{@code feed}: a system step, then a user step whose lines are what the test puts in
 *       {@link #feed(String)} for the workflow's name; {@code !end} ends it in success;</li>
 *   <li>{@code fail}: a step whose last line says "connection refused", then failed (exit 2).</li>
 * </ul>
 * Each run names a provider page, so links out can be checked.
 */
final class ScriptedEngine implements ProviderFactory {
    static final String ENGINE = "scripted";
    static final String END = "!end";
    private static final Map<String, BlockingQueue<String>> FEEDS = new ConcurrentHashMap<>();

    static BlockingQueue<String> feed(String workflow) {
        return FEEDS.computeIfAbsent(workflow, k -> new LinkedBlockingQueue<>());
    }

    static String raw(String mode) {
        return "engine: " + ENGINE + "\n" + ENGINE + ": {mode: " + mode + "}\n";
    }

    @Override
    public String engine() {
        return ENGINE;
    }

    @Override
    public Provider create(ProviderContext context) {
        return new Provider() {
            @Override
            public void spawn(Run run) throws Exception {
                run.attach("build-" + run.id(), "https://ci.example.com/builds/" + run.id());
                run.status().running();
                Step setup = run.log().startSystemStep("setup");
                setup.out("preparing the runner");
                setup.end();
                switch (run.block().path("mode").asText()) {
                    case "wait" -> {
                        Step s = run.log().startStep("build", "make all");
                        s.out("waiting to be cancelled");
                        while (!run.awaitCancel(Duration.ofMillis(200))) {
                            // until cancelled
                        }
                        s.end();
                        run.status().cancelled("cancelled");
                    }
                    case "feed" -> {
                        Step s = run.log().startStep("build", "make all");
                        BlockingQueue<String> q = feed(run.workflowId().name());
                        while (true) {
                            if (run.cancelRequested()) {
                                s.end();
                                run.status().cancelled("cancelled");
                                return;
                            }
                            String line = q.poll(100, TimeUnit.MILLISECONDS);
                            if (line == null) continue;
                            if (line.equals(END)) break;
                            s.out(line);
                        }
                        s.end();
                        run.status().success();
                    }
                    case "fail" -> {
                        Step s = run.log().startStep("test", "make test");
                        s.out("running tests");
                        s.err("dial tcp 10.0.0.5:5432: connection refused");
                        s.end();
                        run.status().failed("tests failed", 2);
                    }
                    default -> run.status().success();
                }
            }

            @Override
            public void close() {
            }
        };
    }
}
