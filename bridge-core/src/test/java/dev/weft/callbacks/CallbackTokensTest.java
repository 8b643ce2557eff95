package dev.weft.callbacks;

import dev.weft.spi.Variables;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CallbackTokensTest {
    private static byte[] key(int fill) {
        byte[] k = new byte[32];
        Arrays.fill(k, (byte) fill);
        return k;
    }

    @Test
    @DisplayName("a token is the same for the same key and run, and opens nothing else")
    void scoped() {
        CallbackTokens a = new CallbackTokens(key(1));
        assertEquals(a.tokenFor(42), new CallbackTokens(key(1)).tokenFor(42), "derived, so a restart or another instance agrees");
        assertTrue(a.verify(42, a.tokenFor(42)));
        assertFalse(a.verify(43, a.tokenFor(42)), "another run's token");
        assertFalse(a.verify(42, new CallbackTokens(key(2)).tokenFor(42)), "another key's token");
        assertFalse(a.verify(42, a.tokenFor(42).substring(1)));
        assertFalse(a.verify(42, ""));
        assertNotEquals(a.tokenFor(4), a.tokenFor(2));
    }

    @Test
    @DisplayName("a run's variables: the URL under WEFT_PUBLIC_URL and the token, read back through the SPI's accessors")
    void variables() {
        Callbacks c = new Callbacks("https://ci.example.com/", key(1), null, id -> Optional.empty(), Clock.systemUTC(), id -> true);
        Map<String, String> v = c.variables(42);
        assertEquals(Optional.of("https://ci.example.com/hooks/callback/42"), Variables.callbackUrl(v));
        assertEquals(Optional.of(new CallbackTokens(key(1)).tokenFor(42)), Variables.callbackToken(v));
        assertEquals(Optional.empty(), Variables.callbackToken(Map.of()));
    }

    @Test
    @DisplayName("only /hooks/callback/<digits> names a run")
    void paths() {
        assertEquals(42, CallbackReceiver.runId("/hooks/callback/42"));
        for (String p : new String[]{"/hooks/callback", "/hooks/callback/", "/hooks/callback/x", "/hooks/callback/4/2",
                "/hooks/callback/-4", "/hooks/callback/99999999999999999999", "/hooks/callback/0"}) {
            assertTrue(CallbackReceiver.runId(p) <= 0, p);
        }
    }
}
