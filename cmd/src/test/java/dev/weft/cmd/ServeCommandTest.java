package dev.weft.cmd;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code weft serve} and WEFT_PLUGINS_DIR (given as its flag, which wins over the environment). */
class ServeCommandTest {
    @TempDir
    Path tmp;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int serve(String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--hostname=weft.test", "--owner-did=did:plc:servetest",
                "--listen=127.0.0.1:0", "--db=" + tmp.resolve("weft.db"), "--jetstream=off"));
        args.addAll(List.of(extra));
        return ServeCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("--print-config shows the plugins directory, beside the database by default")
    void printsPluginsDir() throws Exception {
        assertEquals(0, serve("--print-config"));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("WEFT_PLUGINS_DIR=" + tmp.resolve("weft.db").toAbsolutePath().getParent().resolve("plugins")
                + "  (default)"), text);
    }

    @Test
    @DisplayName("serve refuses to start on a broken plugin jar, naming it, with exit status 2")
    void brokenPluginStopsServe() throws Exception {
        Path plugins = Files.createDirectories(tmp.resolve("plugins"));
        Files.writeString(plugins.resolve("half-downloaded.jar"), "<html>404</html>");
        assertEquals(2, serve("--plugins-dir=" + plugins));
        String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("weft: providers or plugins invalid") && text.contains("half-downloaded.jar: not a readable jar (zip) file"),
                text);
    }
}
