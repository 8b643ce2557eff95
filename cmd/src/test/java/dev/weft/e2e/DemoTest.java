package dev.weft.e2e;

import dev.weft.cmd.Main;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The front door: {@code weft demo --once} shows the whole flow and exits 0. */
class DemoTest {
    @Test
    @DisplayName("weft demo --once runs the sample pipeline to success and prints statuses and log lines")
    void demoOnce() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[]{"demo", "--once"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text + err.toString(StandardCharsets.UTF_8));
        assertTrue(text.contains("PENDING") && text.contains("RUNNING") && text.contains("SUCCESS"), text);
        assertTrue(text.contains("build.yml │ 3 passed, 0 failed"), text);
        assertTrue(text.contains("lint.yml │ would run: go vet ./..."), text);
    }

    @Test
    @DisplayName("wire-check prints N passed, M failed for the public vectors and exits 0")
    void wireCheck() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String shared = System.getProperty("weft.shared", "../../shared");
        int code = Main.run(new String[]{"wire-check", shared + "/wire/vectors.jsonl"},
                new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
        assertEquals(0, code);
        assertTrue(out.toString(StandardCharsets.UTF_8).strip().endsWith("82 passed, 0 failed"), out.toString());
    }

    @Test
    @DisplayName("serve refuses to start half-configured and names every bad variable")
    void serveConfig() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[]{"serve", "--hostname", "", "--workflow-timeout", "soon", "--listen", "x"},
                System.out, new PrintStream(err, true, StandardCharsets.UTF_8));
        String e = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, code);
        assertTrue(e.contains("WEFT_HOSTNAME") && e.contains("WEFT_WORKFLOW_TIMEOUT") && e.contains("WEFT_LISTEN"), e);
    }
}
