package dev.weft.secrets;

import dev.weft.spi.LineAssembler;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SecretMaskTest {
    static final String S = "hunter2-Sup3r/Secret+value";

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("literals added to a mask are replaced as they are, beside the mask's own forms; none added is the same mask")
    void plusLiterals() {
        SecretMask base = SecretMask.of(List.of("hunter2"));
        SecretMask both = base.plusLiterals(List.of("tok_ABC-123_xyz"));
        assertEquals("*** and *** and *** again", both.apply("hunter2 and tok_ABC-123_xyz and tok_ABC-123_xyz again"));
        assertEquals("***", SecretMask.none().plusLiterals(List.of("tok")).apply("tok"));
        assertFalse(SecretMask.none().plusLiterals(List.of("tok")).isEmpty());
        assertSame(base, base.plusLiterals(List.of("")));
    }

    @Test
    @DisplayName("masks the value and its base64 forms, padded, unpadded and URL-safe")
    void forms() {
        SecretMask m = SecretMask.of(List.of(S));
        assertEquals("token=*** ok", m.apply("token=" + S + " ok"));
        assertEquals("*** and ***", m.apply(S + " and " + S));
        String std = b64(S);
        assertEquals("auth: ***", m.apply("auth: " + std));
        assertEquals("auth: ***", m.apply("auth: " + std.replace("=", "")));
        String url = Base64.getUrlEncoder().withoutPadding().encodeToString(S.getBytes(StandardCharsets.UTF_8));
        assertEquals("u=***", m.apply("u=" + url));
        assertEquals("nothing secret here", m.apply("nothing secret here"));
    }

    @Test
    @DisplayName("masks the value inside longer base64 text at every byte alignment (echo $S | base64, basic auth)")
    void embedded() {
        SecretMask m = SecretMask.of(List.of(S));
        for (String wrapped : List.of(S + "\n", "x" + S, "xy" + S + "z", "user:" + S)) {
            String enc = b64(wrapped);
            String masked = m.apply(enc);
            assertTrue(masked.contains(SecretMask.MASK), wrapped + " -> " + enc + " -> " + masked);
            // what is left cannot give the value back
            assertFalse(masked.contains(b64(S).substring(4, 12)), masked);
        }
    }

    @Test
    @DisplayName("a multi-line value is masked whole and line by line; short secrets only as themselves")
    void multiLineAndShort() {
        String pem = "-----BEGIN KEY-----\nMIIBVwIBADANBgkqhkiG9w0BAQEFAASCAUEwggE9AgEAAkEA\n-----END KEY-----";
        SecretMask m = SecretMask.of(List.of(pem, "ab"));
        assertEquals("***", m.apply("MIIBVwIBADANBgkqhkiG9w0BAQEFAASCAUEwggE9AgEAAkEA"));
        assertEquals("*** x", m.apply("-----END KEY----- x"));
        assertEquals("c*** ***", m.apply("cab ab"));
        assertEquals("YWJj", m.apply("YWJj"), "base64 of abc: the embedded forms of a 2-byte secret are too short to use");
        assertEquals("***", m.apply(b64("ab")));
    }

    @Test
    @DisplayName("leftmost-longest: a secret inside another is not half-masked")
    void overlapping() {
        SecretMask m = SecretMask.of(List.of("abcdef", "cd"));
        assertEquals("x***y", m.apply("xabcdefy"));
        assertEquals("ab***", m.apply("abcd"));
    }

    @Test
    @DisplayName("no secrets, empty values: the identity, and the same string comes back")
    void none() {
        assertTrue(SecretMask.of(List.of("", "")).isEmpty());
        String line = "plain";
        assertSame(line, SecretMask.of(List.of("zzz")).apply(line));
        assertSame(line, SecretMask.none().apply(line));
    }

    @Test
    @DisplayName("a value split across two provider chunks is masked once the chunks are assembled into lines")
    void acrossChunks() {
        SecretMask m = SecretMask.of(List.of(S));
        List<String> stored = new ArrayList<>();
        LineAssembler lines = new LineAssembler(l -> stored.add(m.apply(l)));
        String log = "start\r\ndeploying with " + S + " now\nbase64 " + b64(S) + "\nend";
        // every split point, as a backend serving byte ranges might cut
        for (int cut = 1; cut < log.length(); cut++) {
            stored.clear();
            lines.accept(log.substring(0, cut));
            lines.accept(log.substring(cut));
            lines.flush();
            assertEquals(List.of("start", "deploying with *** now", "base64 ***", "end"), stored, "cut at " + cut);
        }
        // Masking chunks directly (what weft does not do) would leak: the reason for the line rule.
        String chunk1 = "deploying with " + S.substring(0, 10);
        assertEquals(chunk1, m.apply(chunk1));
    }
}
