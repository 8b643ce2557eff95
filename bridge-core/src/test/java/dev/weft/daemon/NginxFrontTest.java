package dev.weft.daemon;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.config.WeftConfig;
import dev.weft.knot.KnotEventServer;
import dev.weft.lease.InstanceId;
import dev.weft.spi.ProviderFactory;
import dev.weft.testing.AptPackages;
import dev.weft.testing.WebSocketRecorder;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nginx example of {@code docs/ha.md}, read from the document itself, in front of three
 * instances on one PostgreSQL: only the upstream addresses and the listen line are changed (to
 * loopback ports, without TLS). Through it: plain requests reach every instance in turn, the
 * {@code /events} and {@code /logs} WebSockets are upgraded and stream, and when an instance is
 * killed nginx passes requests to the others and a viewer that reconnects through it gets new events.
 * nginx is Debian's, installed with apt when absent.
 */
class NginxFrontTest {
    private static final Path NGINX = Path.of("/usr/sbin/nginx");
    private static final Duration TIMELY = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private final List<AutoCloseable> closeLater = new ArrayList<>();
    private final CountDownLatch finish = new CountDownLatch(1);

    @AfterEach
    void tearDown() throws Exception {
        finish.countDown();
        for (AutoCloseable c : closeLater.reversed()) c.close();
    }

    private Weft start(String name, String db, KnotEventServer knot) throws Exception {
        ProviderFactory engine = HaEngine.of(run -> HaEngine.helloBye(run, name, finish), run -> { });
        Weft w = Weft.builder(WeftConfig.from(HighAvailabilityTest.env(name, db, knot, dir)))
                .providers(List.of(engine)).instance(InstanceId.of(name))
                .leases(HighAvailabilityTest.TTL, HighAvailabilityTest.EVERY).stopWait(Duration.ofSeconds(2)).start();
        closeLater.add(w);
        return w;
    }

    /** The ```nginx block of docs/ha.md. */
    static String documentedConfig() throws IOException {
        Path doc = Path.of("..", "docs", "ha.md");
        String md = Files.readString(doc.toFile().exists() ? doc : Path.of("docs", "ha.md"));
        Matcher m = Pattern.compile("```nginx\\n(.*?)```", Pattern.DOTALL).matcher(md);
        assertTrue(m.find(), "docs/ha.md has no nginx example");
        return m.group(1);
    }

    /** The example with its three upstreams pointed at {@code ports} and listening on {@code listen}. */
    static String localConfig(String example, List<Integer> ports, int listen) {
        Matcher servers = Pattern.compile("server \\d+\\.\\d+\\.\\d+\\.\\d+:\\d+").matcher(example);
        StringBuilder b = new StringBuilder();
        int i = 0;
        while (servers.find()) servers.appendReplacement(b, "server 127.0.0.1:" + ports.get(i++));
        servers.appendTail(b);
        assertEquals(ports.size(), i, "the example names " + i + " upstream servers");
        String conf = b.toString().replace("listen 443 ssl;", "listen 127.0.0.1:" + listen + ";");
        assertTrue(conf.contains("listen 127.0.0.1:" + listen + ";"), "the example's listen line changed: " + example);
        return conf;
    }

    private Process nginx(String example, List<Integer> ports, int listen) throws Exception {
        AptPackages.ensure(List.of(NGINX), List.of("nginx"));
        Path root = dir.resolve("nginx");
        Files.createDirectories(root.resolve("temp"));
        String user = "root".equals(System.getProperty("user.name")) ? "user root;\n" : "";
        String conf = user + """
                worker_processes 1;
                daemon off;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events { worker_connections 512; }
                http {
                    access_log off;
                    client_body_temp_path %1$s/temp/body;
                    proxy_temp_path %1$s/temp/proxy;
                    fastcgi_temp_path %1$s/temp/fastcgi;
                    uwsgi_temp_path %1$s/temp/uwsgi;
                    scgi_temp_path %1$s/temp/scgi;
                %2$s
                }
                """.formatted(root, localConfig(example, ports, listen));
        Files.writeString(root.resolve("nginx.conf"), conf);
        Process p = new ProcessBuilder(NGINX.toString(), "-e", root.resolve("startup.log").toString(),
                "-p", root.toString(), "-c", root.resolve("nginx.conf").toString())
                .redirectErrorStream(true).redirectOutput(root.resolve("out.log").toFile()).start();
        closeLater.add(() -> {
            p.destroy(); // SIGTERM: nginx's fast shutdown
            if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
        });
        await().atMost(TIMELY).until(() -> {
            if (!p.isAlive()) {
                throw new AssertionError("nginx exited: " + Files.readString(root.resolve("out.log"))
                        + (Files.exists(root.resolve("error.log")) ? Files.readString(root.resolve("error.log")) : ""));
            }
            try (Socket s = new Socket("127.0.0.1", listen)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        });
        return p;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static int port(Weft w) {
        return URI.create(w.baseUrl()).getPort();
    }

    /** {@code /healthz} through nginx: the instance that answered. */
    private static String instanceBehind(HttpClient http, int front) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        Matcher m = Pattern.compile("\"instance\":\"([^\"]+)\"").matcher(r.body());
        assertTrue(m.find(), r.body());
        return m.group(1);
    }

    @Test
    @DisplayName("docs/ha.md's nginx example in front of three instances: balanced requests, WebSockets, an instance killed")
    void documentedNginxFront() throws Exception {
        String example = documentedConfig();
        String db = HighAvailabilityTest.db();
        KnotEventServer knot = new KnotEventServer().start();
        closeLater.add(knot);
        Weft a = start("a", db, knot);
        Weft b = start("b", db, knot);
        Weft c = start("c", db, knot);
        await().atMost(TIMELY).until(() -> a.knots().isConnected(knot.host()));
        int front = freePort();
        nginx(example, List.of(port(a), port(b), port(c)), front);
        URI ws = URI.create("ws://127.0.0.1:" + front);

        try (HttpClient http = HttpClient.newHttpClient()) {
            // Round robin: six requests reach all three instances.
            Set<String> answered = new HashSet<>();
            for (int i = 0; i < 6; i++) answered.add(instanceBehind(http, front));
            assertEquals(Set.of("a", "b", "c"), answered);

            // /events through nginx: upgraded, and a push's pipeline record, pending and running stream in.
            WebSocketRecorder events = WebSocketRecorder.connect(ws.resolve("/events"));
            closeLater.add(events);
            assertEquals(101, events.handshakeStatus());
            String rkey = HighAvailabilityTest.push(knot, 0);
            List<String> frames = events.awaitFrames(3, TIMELY);
            assertTrue(frames.get(0).contains(rkey), frames.toString());
            assertTrue(frames.stream().anyMatch(f -> f.contains("\"status\":\"running\"")), frames.toString());

            // /logs through nginx: the run's line, whichever instance serves the viewer.
            WebSocketRecorder logs = WebSocketRecorder.connect(ws.resolve("/logs/" + knot.host() + "/" + rkey + "/ci.yml"));
            closeLater.add(logs);
            await().atMost(TIMELY).until(() -> logs.frames().stream().anyMatch(f -> f.contains("hello from a")));

            // The instance holding the knot and the publisher dies: nginx passes requests to the others,
            // and a viewer that reconnects through nginx gets the next push from the survivors.
            a.kill();
            Set<String> after = new HashSet<>();
            for (int i = 0; i < 6; i++) after.add(instanceBehind(http, front));
            assertEquals(Set.of("b", "c"), after);
            await().atMost(Duration.ofSeconds(20)).until(() -> b.knots().isConnected(knot.host()) || c.knots().isConnected(knot.host()));
            WebSocketRecorder again = WebSocketRecorder.connect(ws.resolve("/events"));
            closeLater.add(again);
            assertEquals(101, again.handshakeStatus());
            String second = HighAvailabilityTest.push(knot, 1);
            await().atMost(Duration.ofSeconds(20)).until(() -> again.frames().stream()
                    .anyMatch(f -> f.contains(second) && f.contains("\"status\":\"running\"")));
        }
        assertTrue(new String(Files.readAllBytes(dir.resolve("nginx/nginx.conf")), StandardCharsets.UTF_8)
                .contains("proxy_set_header Upgrade $http_upgrade;"), "the example's WebSocket settings were used");
    }
}
