package dev.weft.notifications;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.spi.Provider;
import dev.weft.spi.ProviderContext;
import dev.weft.spi.ProviderFactory;
import dev.weft.spi.Run;
import dev.weft.spi.Step;

/**
 * An engine that plays its workflow's {@code script:} block: steps with lines, then an outcome.
 * <pre>
 * engine: script
 * script: {steps: [{name: test, command: make test, lines: [a, b]}], result: failed, exit: 2, error: boom}
 * </pre>
 */
final class ScriptEngine implements ProviderFactory {
    /** Gates a script can wait on ({@code gate: name}) until the test opens them: ordering without sleeps. */
    static final java.util.Map<String, java.util.concurrent.CountDownLatch> GATES = new java.util.concurrent.ConcurrentHashMap<>();

    static java.util.concurrent.CountDownLatch gate(String name) {
        return GATES.computeIfAbsent(name, k -> new java.util.concurrent.CountDownLatch(1));
    }

    @Override
    public String engine() {
        return "script";
    }

    @Override
    public Provider create(ProviderContext context) {
        return new Provider() {
            @Override
            public void spawn(Run run) {
                JsonNode s = run.block();
                run.attach("b-" + run.id(), "https://ci.example/builds/" + run.id());
                run.status().running();
                if (s.has("gate")) {
                    try {
                        gate(s.path("gate").asText()).await(30, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                for (JsonNode st : s.path("steps")) {
                    Step step = run.log().startStep(st.path("name").asText(), st.path("command").asText(), false, null);
                    for (JsonNode l : st.path("lines")) {
                        int times = l.isObject() ? l.path("times").asInt(1) : 1;
                        String text = l.isObject() ? l.path("text").asText() : l.asText();
                        for (int i = 0; i < times; i++) step.line(false, text, null);
                    }
                    step.end(null);
                }
                switch (s.path("result").asText("success")) {
                    case "failed" -> run.status().failed(s.path("error").asText(""), s.path("exit").asLong(-1));
                    case "timeout" -> run.status().timeout(s.path("error").asText(""));
                    default -> run.status().success();
                }
            }

            @Override
            public void close() {
            }
        };
    }
}
