package dev.weft.cmd.image;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The image's JRE (jlink'd with a fixed module list) runs weft: {@code version}, a short
 * {@code serve} that creates and migrates its SQLite database, and {@code healthcheck} against it,
 * with the image's JVM options. A module missing from the list fails here.
 */
class LinkedJreIT {
    static final Path ROOT = Path.of(System.getProperty("weft.image.root", "target/image/root"));

    @Test
    @DisplayName("the linked JRE prints weft's version")
    void version() throws Exception {
        Result r = run(List.of("version"), Map.of(), Duration.ofSeconds(30));
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("weft "), r.output());
    }

    @Test
    @DisplayName("the linked JRE serves: /healthz answers, weft healthcheck says so, the database is created")
    void serve(@TempDir Path data) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Map<String, String> env = Map.of("WEFT_DB", data.resolve("weft.db").toString(), "WEFT_HOSTNAME", "ci.example.invalid",
                "WEFT_OWNER_DID", "did:plc:imagetest", "WEFT_JETSTREAM", "off", "WEFT_LISTEN", "127.0.0.1:" + port);
        Path log = data.resolve("serve.log");
        Process serve = command(List.of("serve"), env).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
                if (!serve.isAlive()) throw new AssertionError("serve exited: " + Files.readString(log));
                return run(List.of("healthcheck", "--timeout", "2s"), env, Duration.ofSeconds(20)).exit() == 0;
            });
            assertTrue(Files.exists(data.resolve("weft.db")));
        } finally {
            serve.destroy(); // SIGTERM: the shutdown hook closes weft
            if (!serve.waitFor(20, TimeUnit.SECONDS)) serve.destroyForcibly().waitFor();
        }
        String output = Files.readString(log);
        assertTrue(output.contains("listening on 127.0.0.1:" + port), output);
        assertTrue(!output.contains("NoClassDefFoundError") && !output.contains("ClassNotFoundException"), output);
    }

    @Test
    @DisplayName("healthcheck fails when nothing listens")
    void healthcheckFails() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Result r = run(List.of("healthcheck", "--timeout", "1s"), Map.of("WEFT_LISTEN", "0.0.0.0:" + port), Duration.ofSeconds(20));
        assertEquals(1, r.exit(), r.output());
    }

    record Result(int exit, String output) {
    }

    static ProcessBuilder command(List<String> args, Map<String, String> env) {
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("opt/java/bin/java").toString(),
                "@" + ROOT.resolve("opt/weft/weft.jvm.options"), "-jar", ROOT.resolve("opt/weft/weft.jar").toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("WEFT_") || k.startsWith("SPINDLE_") || k.startsWith("TACK_")
                || k.equals("JDK_JAVA_OPTIONS") || k.equals("JAVA_TOOL_OPTIONS"));
        pb.environment().putAll(env);
        return pb;
    }

    static Result run(List<String> args, Map<String, String> env, Duration limit) throws IOException, InterruptedException {
        Process p = command(args, env).redirectErrorStream(true).start();
        byte[] out;
        try {
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("weft " + args + " did not end within " + limit);
            }
            out = p.getInputStream().readAllBytes();
        } finally {
            p.destroyForcibly();
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
