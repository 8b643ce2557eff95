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
    @DisplayName("weft demo --once: a real push to an upgraded knot, the pipeline weft compiled, then statuses and log lines")
    void demoOnce() {
        String text = demo("demo", "--once");
        assertTrue(text.contains("sh.tangled.git.refUpdate"), text);
        assertTrue(text.matches("(?s).*PIPELINE  [234567a-z]{13} push refs/heads/main @ [0-9a-f]{8} of did:plc:weftdemorepo "
                + "\\(default branch main\\): build\\.yml \\(stub\\), lint\\.yml \\(stub\\).*"), text);
        assertTrue(text.indexOf("PIPELINE") < text.indexOf("PENDING"), "the pipeline is shown before its statuses: " + text);
        assertStatusesAndLogs(text);
    }

    @Test
    @DisplayName("weft demo --once --legacy: the knot's own sh.tangled.pipeline record, then statuses and log lines")
    void demoOnceLegacy() {
        String text = demo("demo", "--once", "--legacy");
        assertTrue(text.contains("knot emitted pipeline"), text);
        assertTrue(text.contains("of did:plc:weftdemo/weft-demo: build.yml (stub), lint.yml (stub)"), text);
        assertStatusesAndLogs(text);
    }

    private static String demo(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text + err.toString(StandardCharsets.UTF_8));
        return text;
    }

    private static void assertStatusesAndLogs(String text) {
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
