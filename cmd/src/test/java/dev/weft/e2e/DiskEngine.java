package dev.weft.e2e;

import dev.weft.model.RunState;
import dev.weft.spi.Provider;
import dev.weft.spi.ProviderContext;
import dev.weft.spi.ProviderFactory;
import dev.weft.spi.Run;
import dev.weft.spi.Step;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The {@code disk} engine of {@link KillNineTest}: a CI backend whose runs outlive the weft process
 * that started them, as a real provider's do, so that a run of a killed instance can be
 * {@link Provider#resume resumed} by another process. The "backend" is a directory shared by all
 * instances ({@value #DIR_ENV}): a run is a file {@code run-<id>} holding its deadline, and every
 * spawn and resume appends a line naming the instance to {@code run-<id>.calls}, which the test reads
 * to count runs spawned twice. A run lasts {@value #MILLIS_ENV} milliseconds from its spawn and then
 * succeeds, whoever waits for it.
 *
 * <p>Only the child {@code weft serve} processes load it: the test puts a directory holding its
 * {@code META-INF/services} entry on their class path, not on its own.
 */
public final class DiskEngine implements ProviderFactory {
    static final String NAME = "disk";
    static final String DIR_ENV = "KILLTEST_DISK_DIR";
    static final String MILLIS_ENV = "KILLTEST_RUN_MILLIS";

    @Override
    public String engine() {
        return NAME;
    }

    @Override
    public Provider create(ProviderContext context) {
        Path dir = Path.of(System.getenv(DIR_ENV));
        Duration length = Duration.ofMillis(Long.parseLong(System.getenv(MILLIS_ENV)));
        String instance = System.getenv("WEFT_INSTANCE_ID");
        return new Provider() {
            @Override
            public void spawn(Run run) throws Exception {
                String key = "run-" + run.id();
                note(dir, key, "spawn " + instance);
                run.attach(key, null);
                Files.writeString(dir.resolve(key), Instant.now().plus(length).toString(), StandardCharsets.UTF_8);
                run.status().running();
                Step step = run.log().startStep("work", "wait " + length.toMillis() + "ms");
                step.out("spawned on " + instance);
                waitFor(dir, key);
                step.out("done on " + instance);
                step.end();
                run.status().success();
            }

            @Override
            public boolean resume(Run run) throws Exception {
                String key = run.externalId().orElse(null);
                if (key == null) return false; // killed before it reached the backend
                note(dir, key, "resume " + instance);
                // Killed between attach and the deadline: the backend starts the work now.
                if (!Files.exists(dir.resolve(key))) {
                    Files.writeString(dir.resolve(key), Instant.now().plus(length).toString(), StandardCharsets.UTF_8);
                }
                if (run.state() == RunState.PENDING) run.status().running();
                waitFor(dir, key);
                run.log().startStep("resumed", "wait").out("resumed on " + instance);
                run.status().success();
                return true;
            }

            @Override
            public void close() {
            }
        };
    }

    private static void waitFor(Path dir, String key) throws IOException, InterruptedException {
        Instant until = Instant.parse(Files.readString(dir.resolve(key), StandardCharsets.UTF_8).strip());
        long left = Duration.between(Instant.now(), until).toMillis();
        if (left > 0) Thread.sleep(left); // interrupted when weft stops: the run stays open
    }

    /** One line per call; an append of a short line is atomic, so processes do not mix lines. */
    private static void note(Path dir, String key, String line) {
        try {
            Files.writeString(dir.resolve(key + ".calls"), line + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The calls noted for the run with database id {@code runId}, in order ("spawn k1", "resume k2"). */
    static List<String> calls(Path dir, long runId) throws IOException {
        Path f = dir.resolve("run-" + runId + ".calls");
        return Files.exists(f) ? Files.readAllLines(f, StandardCharsets.UTF_8) : List.of();
    }
}
