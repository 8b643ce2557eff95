package dev.weft.config;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("WEFT_CONSOLE and WEFT_ADMIN_TOKEN_FILE")
class WeftConfigConsoleTest {
    @TempDir
    Path dir;

    private Map<String, String> env(String... kv) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("WEFT_HOSTNAME", "ci.example.com");
        env.put("WEFT_OWNER_DID", "did:plc:owner");
        env.put("WEFT_DB", dir.resolve("weft.db").toString());
        for (int i = 0; i < kv.length; i += 2) env.put(kv[i], kv[i + 1]);
        return env;
    }

    @Test
    @DisplayName("by default the console is on and read-only")
    void defaults() throws Exception {
        WeftConfig c = WeftConfig.from(env());
        assertTrue(c.console());
        assertNull(c.adminTokenFile());
        assertFalse(WeftConfig.from(env("WEFT_CONSOLE", "off")).console());
    }

    @Test
    @DisplayName("the token is the file's first line, stripped; the file is checked at start and never printed")
    void tokenFile() throws Exception {
        Path f = dir.resolve("token");
        Files.writeString(f, "  0123456789abcdefXYZ  \nsecond line\n");
        WeftConfig c = WeftConfig.from(env("WEFT_ADMIN_TOKEN_FILE", f.toString()));
        assertEquals(f, c.adminTokenFile());
        assertEquals("0123456789abcdefXYZ", WeftConfig.adminToken(f));
        assertFalse(String.join("\n", c.describe()).contains("0123456789abcdef"), "--print-config shows the file, not the token");
    }

    @Test
    @DisplayName("a missing file, a short token and a bad WEFT_CONSOLE stop start-up, each named")
    void problems() throws Exception {
        Path shortToken = dir.resolve("short");
        Files.writeString(shortToken, "abc\n");
        var e = assertThrows(WeftConfig.InvalidConfigException.class,
                () -> WeftConfig.from(env("WEFT_ADMIN_TOKEN_FILE", dir.resolve("missing").toString(), "WEFT_CONSOLE", "maybe")));
        assertTrue(e.problems().stream().anyMatch(p -> p.startsWith("WEFT_ADMIN_TOKEN_FILE: cannot read")), e.getMessage());
        assertTrue(e.problems().stream().anyMatch(p -> p.startsWith("WEFT_CONSOLE:")), e.getMessage());
        var s = assertThrows(WeftConfig.InvalidConfigException.class,
                () -> WeftConfig.from(env("WEFT_ADMIN_TOKEN_FILE", shortToken.toString())));
        assertTrue(s.problems().get(0).contains("shorter than 16"), s.getMessage());
    }
}
