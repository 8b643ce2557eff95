package dev.weft.config;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WeftConfigPublicUrlTest {
    private static WeftConfig config(String... kv) throws WeftConfig.InvalidConfigException {
        Map<String, String> env = new HashMap<>(WeftConfigTest.MINIMAL);
        for (int i = 0; i < kv.length; i += 2) env.put(kv[i], kv[i + 1]);
        return WeftConfig.from(env);
    }

    @Test
    @DisplayName("WEFT_PUBLIC_URL defaults to https://<WEFT_HOSTNAME>, http:// with WEFT_DEV, and loses a trailing slash")
    void publicUrl() throws Exception {
        assertEquals("https://ci.example.com", config().publicUrl());
        assertEquals("http://ci.example.com", config("WEFT_DEV", "true").publicUrl());
        assertEquals("https://weft.example.net/ci", config("WEFT_PUBLIC_URL", "https://weft.example.net/ci/").publicUrl());
        assertTrue(config().describe().contains("WEFT_PUBLIC_URL=https://ci.example.com  (default)"), config().describe().toString());
        var e = assertThrows(WeftConfig.InvalidConfigException.class, () -> config("WEFT_PUBLIC_URL", "ci.example.com"));
        assertTrue(e.problems().get(0).startsWith("WEFT_PUBLIC_URL: an http:// or https:// URL"), e.problems().toString());
        assertThrows(WeftConfig.InvalidConfigException.class, () -> config("WEFT_PUBLIC_URL", "https://x.example/?a=1"));
    }
}
