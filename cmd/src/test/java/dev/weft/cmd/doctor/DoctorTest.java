package dev.weft.cmd.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.weft.config.DatabaseLocation;
import dev.weft.daemon.Databases;
import dev.weft.knot.KnotEventServer;
import dev.weft.knot.PipelineRecordJson;
import dev.weft.knot.UpgradedKnot;
import dev.weft.spi.Check;
import dev.weft.spi.CheckContext;
import dev.weft.spi.Provider;
import dev.weft.spi.ProviderContext;
import dev.weft.spi.ProviderFactory;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** weft doctor against loopback fakes: every check's passing and failing cases. */
class DoctorTest {
    static final String OWNER = "did:plc:doctorowner";
    static final Duration TIMEOUT = Duration.ofSeconds(2);
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    final List<AutoCloseable> closers = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closers) c.close();
    }

    /** An HTTP fake on loopback: path → (status, JSON body). */
    String http(Map<String, Map.Entry<Integer, String>> routes) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            Map.Entry<Integer, String> r = routes.getOrDefault(ex.getRequestURI().getPath(), Map.entry(404, "{\"error\":\"NotFound\"}"));
            byte[] body = r.getValue().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(r.getKey(), body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        closers.add(() -> server.stop(0));
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /** A loopback port nothing listens on. */
    static String closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + s.getLocalPort();
        }
    }

    /** A base environment: valid, dev (plain http/ws), static mode, nothing reachable configured. */
    Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("WEFT_HOSTNAME", "127.0.0.1:1");
        env.put("WEFT_OWNER_DID", OWNER);
        env.put("WEFT_DEV", "true");
        env.put("WEFT_DB", dir.resolve("weft.db").toString());
        env.put("WEFT_JETSTREAM", "off");
        env.put("WEFT_PLC_URL", "http://127.0.0.1:1");
        return env;
    }

    List<Check> doctor(Map<String, String> env, ProviderFactory... factories) {
        return new Doctor(env, List.of(factories), TIMEOUT, Clock.systemUTC()).run();
    }

    static Check check(List<Check> checks, String name) {
        return checks.stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no check " + name + " in " + checks));
    }

    static void assertStatus(Check.Status expected, Check c) {
        assertEquals(expected, c.status(), c.toString());
        if (expected == Check.Status.FAIL || expected == Check.Status.WARN) assertFalse(c.fix().isBlank(), "no fix: " + c);
    }

    @Nested
    @DisplayName("configuration")
    class Configuration {
        @Test
        @DisplayName("an invalid configuration fails with every problem; what depends on it is skipped")
        void invalid() {
            Map<String, String> env = env();
            env.remove("WEFT_OWNER_DID");
            env.put("WEFT_LISTEN", "nope");
            List<Check> checks = doctor(env);
            Check c = check(checks, "configuration");
            assertStatus(Check.Status.FAIL, c);
            assertTrue(c.detail().contains("WEFT_OWNER_DID") && c.detail().contains("WEFT_LISTEN"), c.detail());
            for (String n : List.of("database", "knots", "clock", "jetstream", "plc", "public url")) {
                assertStatus(Check.Status.SKIP, check(checks, n));
            }
        }

        @Test
        @DisplayName("--json prints {ok, checks[name,status,detail,fix]}; the exit status is 1 exactly when a check failed")
        void jsonAndExit() throws Exception {
            Map<String, String> env = env();
            env.remove("WEFT_HOSTNAME");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int code = DoctorCommand.run(List.of("--json", "--timeout", "1s"), env, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            assertEquals(1, code);
            JsonNode doc = JSON.readTree(out.toString(StandardCharsets.UTF_8));
            assertFalse(doc.path("ok").asBoolean(true));
            JsonNode first = doc.path("checks").get(0);
            assertEquals("configuration", first.path("name").asText());
            assertEquals("fail", first.path("status").asText());
            assertTrue(first.path("detail").asText().contains("WEFT_HOSTNAME"));
            assertFalse(first.path("fix").asText().isBlank());
            for (JsonNode c : doc.path("checks")) {
                assertTrue(List.of("ok", "warn", "fail", "skip").contains(c.path("status").asText()), c.toString());
            }
        }

        @Test
        @DisplayName("no failures: exit 0 and ok true, warnings and skips included; flags override the environment")
        void passing() throws Exception {
            String plc = http(Map.of("/" + OWNER, Map.entry(200, "{\"id\":\"" + OWNER + "\"}")));
            Databases.open(DatabaseLocation.parse(dir.resolve("weft.db").toString(), new StringBuilder()).orElseThrow()).close();
            Map<String, String> env = env();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int code = DoctorCommand.run(List.of("--json", "--plc-url", "http://" + plc), env,
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            JsonNode doc = JSON.readTree(out.toString(StandardCharsets.UTF_8));
            assertEquals(0, code, doc.toPrettyString());
            assertTrue(doc.path("ok").asBoolean(false));
            List<String> statuses = new ArrayList<>();
            doc.path("checks").forEach(c -> statuses.add(c.path("name").asText() + "=" + c.path("status").asText()));
            assertTrue(statuses.contains("plc=ok") && statuses.contains("database=ok") && statuses.contains("public url=warn")
                    && statuses.contains("jetstream=skip"), statuses.toString());
        }

        @Test
        @DisplayName("text output: one line per check, and the fix under what failed or warned")
        void text() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            DoctorCommand.print(List.of(Check.ok("database", "fine"), Check.fail("plc", "down", "check WEFT_PLC_URL")),
                    new PrintStream(out, true, StandardCharsets.UTF_8));
            String text = out.toString(StandardCharsets.UTF_8);
            assertTrue(text.contains("ok    database  fine"), text);
            assertTrue(text.contains("fail  plc       down"), text);
            assertTrue(text.contains("fix: check WEFT_PLC_URL"), text);
            assertTrue(text.contains("1 check(s) failed"), text);
        }
    }

    @Nested
    @DisplayName("database")
    class Database {
        Path db() {
            return dir.resolve("weft.db");
        }

        @Test
        @DisplayName("migrated SQLite: ok with its version, and read without writing")
        void current() throws Exception {
            Databases.open(new DatabaseLocation.Sqlite(db())).close();
            long size = Files.size(db());
            Check c = check(doctor(env()), "database");
            assertStatus(Check.Status.OK, c);
            assertTrue(c.detail().contains("(current)"), c.detail());
            assertEquals(size, Files.size(db()));
        }

        @Test
        @DisplayName("a SQLite file not created yet warns, and stays uncreated")
        void absent() {
            assertStatus(Check.Status.WARN, check(doctor(env()), "database"));
            assertFalse(Files.exists(db()));
        }

        @Test
        @DisplayName("pending migrations warn (serve applies them) and are not applied")
        void pending() throws Exception {
            String url = "jdbc:sqlite:" + db();
            Flyway.configure().dataSource(url, null, null).locations("classpath:db/sqlite").target("1").load().migrate();
            Check c = check(doctor(env()), "database");
            assertStatus(Check.Status.WARN, c);
            assertTrue(c.detail().contains("schema version 1") && c.detail().contains("pending"), c.detail());
            assertEquals("1", Flyway.configure().dataSource(url, null, null).locations("classpath:db/sqlite").load()
                    .info().current().getVersion().getVersion());
        }

        @Test
        @DisplayName("a schema newer than this weft fails")
        void newer() throws Exception {
            Databases.open(new DatabaseLocation.Sqlite(db())).close();
            try (var c = DriverManager.getConnection("jdbc:sqlite:" + db()); var s = c.createStatement()) {
                s.execute("INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, "
                        + "installed_by, execution_time, success) VALUES (999, '999', 'future', 'SQL', 'V999__future.sql', 0, 'x', 0, 1)");
            }
            Check c = check(doctor(env()), "database");
            assertStatus(Check.Status.FAIL, c);
            assertTrue(c.detail().contains("999"), c.detail());
        }

        @Test
        @DisplayName("a file that is not a database fails")
        void garbage() throws Exception {
            Files.writeString(db(), "not a database, just text that is long enough to have a header".repeat(20));
            assertStatus(Check.Status.FAIL, check(doctor(env()), "database"));
        }

        @Test
        @DisplayName("a PostgreSQL server that does not answer fails within the timeout")
        void postgresDown() throws Exception {
            Map<String, String> env = env();
            env.put("WEFT_DB", "postgresql://weft:secret@" + closedPort() + "/weft");
            env.put("WEFT_SECRETS_KEY_FILE", dir.resolve("k").toString());
            Check c = check(doctor(env), "database");
            assertStatus(Check.Status.FAIL, c);
            assertFalse(c.detail().contains("secret"), "the password must not show: " + c.detail());
        }
    }

    @Nested
    @DisplayName("knots and the clock")
    class Knots {
        @Test
        @DisplayName("an upgraded knot: HTTP and /events answer, refUpdate frames with created say upgraded; the clock is compared")
        void upgraded() throws Exception {
            UpgradedKnot knot = new UpgradedKnot(dir.resolve("knot")).start();
            closers.add(knot);
            knot.createRepo("did:plc:repo1");
            knot.commitAndPush("did:plc:repo1", OWNER, "main", Map.of(".tangled/workflows/ci.yml", "engine: stub\n"),
                    List.of());
            Map<String, String> env = env();
            env.put("WEFT_KNOTS", knot.host());
            List<Check> checks = doctor(env);
            Check c = check(checks, "knot " + knot.host());
            assertStatus(Check.Status.OK, c);
            assertTrue(c.detail().contains("upgraded"), c.detail());
            assertStatus(Check.Status.OK, check(checks, "clock"));
        }

        @Test
        @DisplayName("a legacy knot: sh.tangled.pipeline frames without created say legacy")
        void legacy() throws Exception {
            KnotEventServer knot = new KnotEventServer().start();
            closers.add(knot);
            knot.publishPipeline("3kabc", PipelineRecordJson.push(knot.host(), OWNER, "hello", "refs/heads/main",
                    "a".repeat(40), "0".repeat(40)).json());
            Map<String, String> env = env();
            env.put("WEFT_REPOS", knot.host() + "/" + OWNER + "/hello");
            Check c = check(doctor(env), "knot " + knot.host());
            assertStatus(Check.Status.OK, c);
            assertTrue(c.detail().contains("legacy"), c.detail());
        }

        @Test
        @DisplayName("knots of registered repositories are checked too")
        void registered() throws Exception {
            String dead = closedPort();
            try (var stores = dev.weft.store.sqlite.SqliteStores.open(dir.resolve("weft.db"))) {
                stores.registry().addRepo(new dev.weft.model.RepoRef.RepoKey(dead, OWNER, "hello"), "static", Instant.now());
            }
            assertStatus(Check.Status.FAIL, check(doctor(env()), "knot " + dead));
        }

        @Test
        @DisplayName("a knot nobody answers at fails; with no knot answering the clock is skipped")
        void unreachable() throws Exception {
            Map<String, String> env = env();
            String dead = closedPort();
            env.put("WEFT_KNOTS", dead);
            List<Check> checks = doctor(env);
            Check c = check(checks, "knot " + dead);
            assertStatus(Check.Status.FAIL, c);
            assertTrue(c.detail().contains("connection refused"), c.detail());
            assertStatus(Check.Status.SKIP, check(checks, "clock"));
        }

        @Test
        @DisplayName("a knot whose HTTP answers but whose /events refuses WebSocket fails")
        void noWebSocket() throws Exception {
            String host = http(Map.of("/xrpc/sh.tangled.knot.version", Map.entry(200, "{\"version\":\"v1.15.0\"}")));
            Map<String, String> env = env();
            env.put("WEFT_KNOTS", host);
            Check c = check(doctor(env), "knot " + host);
            assertStatus(Check.Status.FAIL, c);
            assertTrue(c.detail().contains("version v1.15.0") && c.detail().contains("WebSocket"), c.detail());
        }

        @Test
        @DisplayName("a knot that accepts and never answers fails within the timeout")
        void silent() throws Exception {
            ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
            closers.add(silent);
            List<Socket> held = new CopyOnWriteArrayList<>();
            Thread acceptor = Thread.ofVirtual().start(() -> {
                try {
                    while (true) held.add(silent.accept());
                } catch (IOException e) {
                    // closed by the test
                }
            });
            closers.add(() -> {
                for (Socket s : held) s.close();
                acceptor.join();
            });
            Map<String, String> env = env();
            String host = "127.0.0.1:" + silent.getLocalPort();
            env.put("WEFT_KNOTS", host);
            long start = System.nanoTime();
            Check c = check(doctor(env), "knot " + host);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertStatus(Check.Status.FAIL, c);
            assertTrue(took.compareTo(TIMEOUT.multipliedBy(3).plusSeconds(3)) < 0, "took " + took);
        }

        @Test
        @DisplayName("no knot configured or registered: skipped")
        void none() {
            assertStatus(Check.Status.SKIP, check(doctor(env()), "knots"));
        }

        @Test
        @DisplayName("without frames the generation comes from sh.tangled.knot.version")
        void byVersion() {
            Doctor.FirstFrame none = new Doctor.FirstFrame(Optional.empty());
            assertTrue(Doctor.generation(none, "v1.15.0-alpha").startsWith("upgraded"));
            assertTrue(Doctor.generation(none, "1.13.2").startsWith("legacy"));
            assertTrue(Doctor.generation(none, null).startsWith("not known"));
            assertTrue(Doctor.generation(new Doctor.FirstFrame(Optional.of("{\"nsid\":\"sh.tangled.git.refUpdate\",\"created\":1}")), null)
                    .startsWith("upgraded"));
        }

        @Test
        @DisplayName("clock: within 5 s ok, within a minute a warning, beyond a failure")
        void clockSkew() {
            Instant sent = Instant.parse("2026-01-01T00:00:00Z");
            Instant received = sent.plusMillis(200);
            Duration skew = Doctor.skew("Thu, 01 Jan 2026 00:00:30 GMT", sent, received).orElseThrow();
            assertEquals(Duration.ofMillis(29_900), skew);
            assertTrue(Doctor.skew("yesterday", sent, received).isEmpty());
            assertStatus(Check.Status.OK, Doctor.clock(Optional.of(Duration.ofSeconds(-3)), "k", false));
            assertStatus(Check.Status.WARN, Doctor.clock(Optional.of(skew), "k", false));
            assertStatus(Check.Status.FAIL, Doctor.clock(Optional.of(Duration.ofMinutes(-5)), "k", false));
            assertTrue(Doctor.clock(Optional.of(Duration.ofMinutes(-5)), "k", false).detail().contains("behind"));
        }
    }

    @Nested
    @DisplayName("Jetstream, PLC and the public URL")
    class Network {
        @Test
        @DisplayName("Jetstream: a WebSocket that accepts is ok, a closed port fails, off is skipped")
        void jetstream() throws Exception {
            KnotEventServer ws = new KnotEventServer().start();
            closers.add(ws);
            Map<String, String> env = env();
            env.put("WEFT_JETSTREAM", "ws://" + ws.host() + "/events"); // the fake serves that path only
            assertStatus(Check.Status.OK, check(doctor(env), "jetstream"));
            env.put("WEFT_JETSTREAM", "ws://" + closedPort() + "/subscribe");
            assertStatus(Check.Status.FAIL, check(doctor(env), "jetstream"));
            assertStatus(Check.Status.SKIP, check(doctor(env()), "jetstream"));
        }

        @Test
        @DisplayName("PLC: resolving the owner is ok; an unknown owner or an unreachable directory fails")
        void plc() throws Exception {
            Map<String, String> env = env();
            env.put("WEFT_PLC_URL", "http://" + http(Map.of("/" + OWNER, Map.entry(200, "{}"))));
            assertStatus(Check.Status.OK, check(doctor(env), "plc"));
            env.put("WEFT_PLC_URL", "http://" + http(Map.of()));
            Check unknown = check(doctor(env), "plc");
            assertStatus(Check.Status.FAIL, unknown);
            assertTrue(unknown.detail().contains("does not know the owner"), unknown.detail());
            env.put("WEFT_PLC_URL", "http://" + closedPort());
            assertStatus(Check.Status.FAIL, check(doctor(env), "plc"));
        }

        @Test
        @DisplayName("public URL: our owner ok; another owner fails; nothing or not a spindle warns")
        void publicUrl() throws Exception {
            Map<String, String> env = env();
            env.put("WEFT_HOSTNAME", http(Map.of("/xrpc/sh.tangled.owner", Map.entry(200, "{\"owner\":\"" + OWNER + "\"}"))));
            assertStatus(Check.Status.OK, check(doctor(env), "public url"));
            env.put("WEFT_HOSTNAME", http(Map.of("/xrpc/sh.tangled.owner", Map.entry(200, "{\"owner\":\"did:plc:someoneelse\"}"))));
            Check other = check(doctor(env), "public url");
            assertStatus(Check.Status.FAIL, other);
            assertTrue(other.detail().contains("did:plc:someoneelse"), other.detail());
            env.put("WEFT_HOSTNAME", http(Map.of()));
            assertStatus(Check.Status.WARN, check(doctor(env), "public url"));
            env.put("WEFT_HOSTNAME", closedPort());
            assertStatus(Check.Status.WARN, check(doctor(env), "public url"));
        }
    }

    @Nested
    @DisplayName("providers")
    class Providers {
        /** A provider with a configurable configuration check and checks of its own. */
        record Fake(String engine, boolean badConfig, List<Check> checks, Duration hang) implements ProviderFactory {
            @Override
            public Provider create(ProviderContext context) throws dev.weft.spi.ProviderConfigException {
                if (badConfig) throw new dev.weft.spi.ProviderConfigException(List.of(context.config().variable("TOKEN") + ": malformed"));
                return new Provider() {
                    @Override
                    public void spawn(dev.weft.spi.Run run) {
                    }

                    @Override
                    public void close() {
                    }
                };
            }

            @Override
            public List<Check> checks(CheckContext context) {
                if (!hang.isZero()) {
                    try {
                        Thread.sleep(hang);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return checks;
            }
        }

        @Test
        @DisplayName("a provider's configuration problems fail its configuration check, and its own checks are not run")
        void badConfig() {
            List<Check> checks = doctor(env(), new Fake("acme", true, List.of(Check.ok("acme token", "fine")), Duration.ZERO));
            Check c = check(checks, "acme configuration");
            assertStatus(Check.Status.FAIL, c);
            assertTrue(c.detail().contains("WEFT_ACME_TOKEN: malformed"), c.detail());
            assertTrue(checks.stream().noneMatch(x -> x.name().equals("acme token")));
        }

        @Test
        @DisplayName("a provider's own checks are reported in its order, after its configuration")
        void own() {
            List<Check> checks = doctor(env(), new Fake("acme", false,
                    List.of(Check.ok("acme token", "fine"), Check.warn("acme webhook secret", "unset", "set it")), Duration.ZERO));
            List<String> names = checks.stream().map(Check::name).toList();
            int at = names.indexOf("acme configuration");
            assertEquals(List.of("acme configuration", "acme token", "acme webhook secret"), names.subList(at, at + 3));
        }

        @Test
        @DisplayName("a provider whose checks throw is reported failed, not a crash of the doctor")
        void throwing() {
            ProviderFactory broken = new Fake("broken", false, List.of(), Duration.ZERO);
            List<Check> checks = doctor(env(), new ProviderFactory() {
                @Override
                public String engine() {
                    return "broken";
                }

                @Override
                public Provider create(ProviderContext context) throws dev.weft.spi.ProviderConfigException {
                    return broken.create(context);
                }

                @Override
                public List<Check> checks(CheckContext context) {
                    throw new IllegalStateException("plugin bug");
                }
            });
            Check c = check(checks, "broken checks");
            assertStatus(Check.Status.FAIL, c);
            assertTrue(c.detail().contains("plugin bug"), c.detail());
        }

        @Test
        @DisplayName("a provider whose checks hang is reported failed at the deadline: the doctor does not hang")
        void hang() {
            long start = System.nanoTime();
            List<Check> checks = doctor(env(), new Fake("slow", false, List.of(), Duration.ofHours(1)));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertStatus(Check.Status.FAIL, check(checks, "slow checks"));
            assertTrue(took.compareTo(TIMEOUT.multipliedBy(3).plusSeconds(4)) < 0, "took " + took);
        }
    }
}
