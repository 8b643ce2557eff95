package dev.weft.daemon;

import dev.weft.config.WeftConfig;
import dev.weft.jetstream.JetstreamOptions;
import dev.weft.jetstream.TestJetstream;
import dev.weft.knot.KnotEventServer;
import dev.weft.lease.InstanceId;
import dev.weft.model.RepoRef.RepoKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Jetstream on several instances: its two subscriptions (repository discovery and pull
 * requests) are each followed by one instance at a time, through leases; when that instance dies
 * another follows on from the stored cursor, and every instance knows the repositories it
 * registered.
 */
class JetstreamAcrossInstancesTest {
    private static final String OWNER = "did:plc:spindleoperator";

    @TempDir
    Path dir;
    private final List<AutoCloseable> closeLater = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closeLater.reversed()) c.close();
    }

    private Weft start(String name, String db, KnotEventServer knot, TestJetstream js) throws Exception {
        Map<String, String> env = HighAvailabilityTest.env(name, db, knot, dir);
        env.put("WEFT_JETSTREAM", js.url());
        Weft w = Weft.builder(WeftConfig.from(env)).providers(List.of(HaEngine.of(run -> { }, run -> { })))
                .instance(InstanceId.of(name)).jetstream(true)
                .jetstreamOptions(JetstreamOptions.defaults().withBackoff(Duration.ofMillis(20), Duration.ofMillis(200)))
                .leases(HighAvailabilityTest.TTL, HighAvailabilityTest.EVERY).stopWait(Duration.ofSeconds(2)).start();
        closeLater.add(w);
        return w;
    }

    private static Map<String, Object> repo(String name, String knot) {
        return Map.of("name", name, "knot", knot, "spindle", "ci.example.com", "createdAt", "2026-12-01T00:00:00Z");
    }

    private static boolean follows(Weft w) {
        return w.jetstream().map(j -> j.isConnected()).orElse(false);
    }

    @Test
    @DisplayName("one instance follows the Jetstream at a time; when it dies another follows on from the stored cursor")
    void oneFollowerAtATime() throws Exception {
        TestJetstream js = new TestJetstream().start();
        closeLater.add(js::close);
        KnotEventServer knot = new KnotEventServer().start();
        closeLater.add(knot);
        String db = HighAvailabilityTest.db();
        Weft a = start("a", db, knot, js);
        await().atMost(Duration.ofSeconds(20)).until(() -> js.openSubscriptions(true) == 1 && js.openSubscriptions(false) == 1);
        Weft b = start("b", db, knot, js);
        // b's rounds see a's leases and leave the Jetstream to it.
        await().during(HighAvailabilityTest.TTL).atMost(HighAvailabilityTest.TTL.multipliedBy(3))
                .until(() -> js.openSubscriptions(true) == 1 && js.openSubscriptions(false) == 1 && !follows(b));
        assertTrue(follows(a));

        js.put(OWNER, "sh.tangled.repo", "3kaaaaaaaaaa2", false, repo("hello2", knot.host()));
        RepoKey hello2 = new RepoKey(knot.host(), OWNER, "hello2");
        await().atMost(Duration.ofSeconds(20)).until(() -> a.registry().isRegistered(hello2) && b.registry().isRegistered(hello2));

        a.kill(); // no hand-back: b follows once a's leases expire
        await().atMost(HighAvailabilityTest.TTL.multipliedBy(5)).until(() -> follows(b)
                && js.openSubscriptions(true) == 1 && js.openSubscriptions(false) == 1);
        long last = js.put(OWNER, "sh.tangled.repo", "3kaaaaaaaaab2", false, repo("later", knot.host()));
        await().atMost(Duration.ofSeconds(20)).until(() -> b.registry().isRegistered(new RepoKey(knot.host(), OWNER, "later")));
        await().atMost(Duration.ofSeconds(20)).until(() ->
                b.store().registry().networkCursor(dev.weft.jetstream.JetstreamClient.CURSOR).orElse(0) >= last);

        assertEquals(1, js.peakSubscriptions(true), "never two instances on repository discovery at once");
        assertEquals(1, js.peakSubscriptions(false), "never two instances on pull requests at once");
        List<String> discovery = js.requests().stream().filter(r -> TestJetstream.query(r).containsKey("wantedDids")).toList();
        assertTrue(TestJetstream.query(discovery.getLast()).containsKey("cursor"), "b resumed from the cursor a stored");
    }
}
