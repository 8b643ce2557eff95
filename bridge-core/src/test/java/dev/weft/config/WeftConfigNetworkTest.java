package dev.weft.config;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WeftConfigNetworkTest {
    static final Map<String, String> MINIMAL = Map.of("WEFT_HOSTNAME", "ci.example.com", "WEFT_OWNER_DID", "did:plc:abc");

    @Test
    @DisplayName("network settings: the spindle's Jetstream by default, empty or off for static mode, key file beside the database")
    void network() throws Exception {
        WeftConfig c = WeftConfig.from(Map.of("WEFT_HOSTNAME", "h", "WEFT_OWNER_DID", "did:plc:o", "WEFT_DB", "/var/lib/weft/weft.db"));
        assertEquals("wss://jetstream1.us-west.bsky.network/subscribe", c.jetstream());
        assertEquals("https://plc.directory", c.plcUrl());
        assertEquals(java.nio.file.Path.of("/var/lib/weft/weft-secrets.key"), c.secretsKeyFile());
        assertEquals("", WeftConfig.from(Map.of("WEFT_HOSTNAME", "h", "WEFT_OWNER_DID", "did:plc:o", "WEFT_JETSTREAM", "")).jetstream());
        assertEquals("", WeftConfig.from(WeftConfig.applyFlags(MINIMAL, List.of("--jetstream", "off"))).jetstream());
        WeftConfig tack = WeftConfig.from(Map.of("TACK_HOSTNAME", "h", "TACK_OWNER_DID", "did:plc:o",
                "TACK_JETSTREAM_URL", "ws://127.0.0.1:9/subscribe", "WEFT_SECRETS_KEY_FILE", "/k"));
        assertEquals("ws://127.0.0.1:9/subscribe", tack.jetstream());
        assertEquals("TACK_JETSTREAM_URL", tack.sources().get("WEFT_JETSTREAM"));
        assertEquals(java.nio.file.Path.of("/k"), tack.secretsKeyFile());
        assertThrows(WeftConfig.InvalidConfigException.class, () -> WeftConfig.from(Map.of("WEFT_HOSTNAME", "h",
                "WEFT_OWNER_DID", "did:plc:o", "WEFT_JETSTREAM", "https://x", "WEFT_PLC_URL", "ftp://x")));
    }

    @Test
    @DisplayName("--print-config shows every value and its source, provider secrets redacted")
    void printConfig() throws Exception {
        WeftConfig c = WeftConfig.from(Map.of("SPINDLE_SERVER_HOSTNAME", "h", "WEFT_OWNER_DID", "did:plc:o",
                "TACK_BUILDKITE_TOKEN", "bk-secret-token", "WEFT_GITHUB_WEBHOOK_SECRET", "gh-secret", "WEFT_BUILDKITE_ORG", "acme",
                "WEFT_GITHUB_APP_KEY_FILE", "/etc/weft/app.pem", "HOME", "/root"));
        String out = String.join("\n", c.describe());
        assertTrue(out.contains("WEFT_HOSTNAME=h  (SPINDLE_SERVER_HOSTNAME)"), out);
        assertTrue(out.contains("WEFT_JETSTREAM=wss://jetstream1.us-west.bsky.network/subscribe  (default)"), out);
        assertTrue(out.contains("TACK_BUILDKITE_TOKEN=<redacted>"), out);
        assertTrue(out.contains("WEFT_GITHUB_WEBHOOK_SECRET=<redacted>"), out);
        assertTrue(out.contains("WEFT_BUILDKITE_ORG=acme"), out);
        assertTrue(out.contains("WEFT_GITHUB_APP_KEY_FILE=/etc/weft/app.pem"), out);
        assertFalse(out.contains("bk-secret-token") || out.contains("gh-secret") || out.contains("HOME"), out);
    }
}
