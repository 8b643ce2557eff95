package dev.weft.console;

import dev.weft.store.sqlite.SqliteStores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("console sessions and HTML escaping")
class SessionsTest {
    static final String TOKEN = "0123456789abcdef-token";

    @TempDir
    Path dir;
    SqliteStores stores;

    @BeforeEach
    void open() {
        stores = SqliteStores.open(dir.resolve("weft.db"));
    }

    @AfterEach
    void close() {
        stores.close();
    }

    Sessions sessions(String token, Duration lifetime, Clock clock) {
        return new Sessions(token, lifetime, clock, stores.operatorSessions());
    }

    /** A clock the test moves. */
    static final class Tick extends Clock {
        final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    }

    @Test
    @DisplayName("the token opens a session whose cookie is a random id, not the token; wrong tokens open none")
    void login() {
        Sessions s = sessions(TOKEN, Duration.ofHours(1), new Tick());
        assertTrue(s.login(TOKEN + "x").isEmpty());
        assertTrue(s.login("").isEmpty());
        assertTrue(s.login(null).isEmpty());
        Sessions.Session a = s.login(TOKEN).orElseThrow();
        Sessions.Session b = s.login(TOKEN).orElseThrow();
        assertNotEquals(a.id(), b.id());
        assertNotEquals(a.csrf(), b.csrf());
        assertFalse(a.id().contains(TOKEN));
        assertFalse(s.setCookie(a, false).contains(TOKEN));
        assertEquals(a, s.find("other=1; " + Sessions.COOKIE + "=" + a.id()).orElseThrow());
        assertTrue(s.find(Sessions.COOKIE + "=" + a.csrf()).isEmpty(), "the CSRF token is not a session id");
        assertTrue(Sessions.csrfMatches(a, a.csrf()));
        assertFalse(Sessions.csrfMatches(a, b.csrf()));
        assertFalse(Sessions.csrfMatches(a, null));
        assertEquals(12, a.tag().length());
        assertFalse(a.id().startsWith(a.tag()));
    }

    @Test
    @DisplayName("without a token nobody logs in")
    void readOnly() {
        Sessions s = sessions(null, Duration.ofHours(1), new Tick());
        assertFalse(s.loginPossible());
        assertTrue(s.login("anything").isEmpty());
    }

    @Test
    @DisplayName("sessions expire, and at most MAX live at once, the oldest dropped first")
    void expiryAndBound() {
        Tick clock = new Tick();
        Sessions s = sessions(TOKEN, Duration.ofMinutes(10), clock);
        Sessions.Session first = s.login(TOKEN).orElseThrow();
        clock.now.set(clock.now.get().plus(Duration.ofMinutes(10)));
        assertTrue(s.find(Sessions.COOKIE + "=" + first.id()).isEmpty(), "expired");
        Set<String> ids = new HashSet<>();
        Sessions.Session oldest = s.login(TOKEN).orElseThrow();
        for (int i = 0; i < Sessions.MAX; i++) {
            clock.now.set(clock.now.get().plusMillis(1)); // age is by login time
            ids.add(s.login(TOKEN).orElseThrow().id());
        }
        assertTrue(s.find(Sessions.COOKIE + "=" + oldest.id()).isEmpty(), "dropped when full");
        assertEquals(Sessions.MAX, ids.size());
    }

    @Test
    @DisplayName("instances on one database share sessions: a login on one holds on the other, a logout on either ends it")
    void sharedAcrossInstances() {
        Tick clock = new Tick();
        Sessions a = sessions(TOKEN, Duration.ofHours(1), clock);
        Sessions b = sessions(TOKEN, Duration.ofHours(1), clock);
        Sessions.Session s = a.login(TOKEN).orElseThrow();
        Sessions.Session seen = b.find(Sessions.COOKIE + "=" + s.id()).orElseThrow();
        assertEquals(s, seen, "same id, same CSRF token, same expiry");
        assertTrue(Sessions.csrfMatches(seen, s.csrf()));
        b.logout(seen);
        assertTrue(a.find(Sessions.COOKIE + "=" + s.id()).isEmpty(), "logged out everywhere");
    }

    @Test
    @DisplayName("the database holds no session: only hashes of ids, and nothing a CSRF token comes from")
    void nothingSecretStored() throws Exception {
        Sessions s = sessions(TOKEN, Duration.ofHours(1), new Tick());
        Sessions.Session a = s.login(TOKEN).orElseThrow();
        stores.close();
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("weft.db"));
             var st = c.createStatement(); var rs = st.executeQuery("SELECT * FROM operator_sessions")) {
            assertTrue(rs.next());
            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                String v = rs.getString(i);
                assertFalse(v.contains(a.id()) || v.contains(a.csrf()), rs.getMetaData().getColumnName(i) + " = " + v);
            }
            assertFalse(rs.getString("id_hash").equals(Sessions.sha256(a.id())), "keyed by the token, not a plain hash");
            assertFalse(rs.next());
        }
        stores = SqliteStores.open(dir.resolve("weft.db"));
    }

    @Test
    @DisplayName("a new operator token ends every session opened with the old one; a read-only console has none")
    void tokenRotation() {
        Tick clock = new Tick();
        Sessions.Session old = sessions(TOKEN, Duration.ofHours(1), clock).login(TOKEN).orElseThrow();
        assertTrue(sessions(TOKEN, Duration.ofHours(1), clock).find(Sessions.COOKIE + "=" + old.id()).isPresent(),
                "same token: another instance, or a restart, accepts it");
        assertTrue(sessions("a-new-token-after-a-leak", Duration.ofHours(1), clock).find(Sessions.COOKIE + "=" + old.id()).isEmpty());
        assertTrue(sessions(null, Duration.ofHours(1), clock).find(Sessions.COOKIE + "=" + old.id()).isEmpty());
    }

    @Test
    @DisplayName("escaping covers text and both attribute quotes, and drops control characters")
    void escaping() {
        assertEquals("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;",
                Html.esc("<script>alert('x')</script> & \"q\""));
        assertEquals("plain", Html.esc("plain"));
        assertEquals("a\uFFFDb", Html.esc("a\u001bb"));
        assertEquals("", Html.esc(null));
        assertTrue(PipelineView.isWebLink("https://ci.example/b/1"));
        assertFalse(PipelineView.isWebLink("javascript:alert(1)"));
        assertFalse(PipelineView.isWebLink(" JavaScript:alert(1)"));
        assertEquals("red", Ansi.strip("\u001b[31mred\u001b[0m"));
    }
}
