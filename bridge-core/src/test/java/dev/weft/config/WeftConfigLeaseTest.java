package dev.weft.config;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WeftConfigLeaseTest {
    private static WeftConfig config(String... kv) throws WeftConfig.InvalidConfigException {
        Map<String, String> env = new HashMap<>(WeftConfigTest.MINIMAL);
        for (int i = 0; i < kv.length; i += 2) env.put(kv[i], kv[i + 1]);
        return WeftConfig.from(env);
    }

    @Test
    @DisplayName("lease timings: 15s and 3s by default, set by WEFT_LEASE_TTL and WEFT_LEASE_RENEW, shown by --print-config")
    void timings() throws Exception {
        assertEquals(Duration.ofSeconds(15), config().leaseTtl());
        assertEquals(Duration.ofSeconds(3), config().leaseRenew());
        WeftConfig c = config("WEFT_LEASE_TTL", "30s", "WEFT_LEASE_RENEW", "5s");
        assertEquals(Duration.ofSeconds(30), c.leaseTtl());
        assertEquals(Duration.ofSeconds(5), c.leaseRenew());
        assertTrue(c.describe().contains("WEFT_LEASE_TTL=30s  (WEFT_LEASE_TTL)"), c.describe().toString());
    }

    @Test
    @DisplayName("a renewal interval over a third of the lease, or a lease of zero, is refused by name")
    void refused() {
        var e = assertThrows(WeftConfig.InvalidConfigException.class, () -> config("WEFT_LEASE_TTL", "6s", "WEFT_LEASE_RENEW", "3s"));
        assertTrue(e.problems().get(0).startsWith("WEFT_LEASE_RENEW: 3s is more than a third of WEFT_LEASE_TTL (6s)"), e.problems().toString());
        e = assertThrows(WeftConfig.InvalidConfigException.class, () -> config("WEFT_LEASE_TTL", "0s"));
        assertTrue(e.problems().get(0).startsWith("WEFT_LEASE_TTL: must be positive"), e.problems().toString());
    }
}
