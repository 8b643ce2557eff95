package dev.weft.cmd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.config.WeftConfig;
import dev.weft.daemon.Weft;
import dev.weft.provider.stub.StubProviderFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/grafana-dashboard.json cannot rot: it is valid JSON, has the panels operators look for, and
 * every metric it queries is one weft registers, either seen on a running weft's /metrics or (for
 * meters registered on first use, like a webhook's counter) registered by name in weft's sources
 * with the suffix the Prometheus registry gives its type.
 */
class GrafanaDashboardTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A metric in a PromQL expression: every query of the dashboard selects by instance. */
    private static final Pattern QUERIED = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\{");
    private static final Pattern REGISTERED = Pattern.compile(
            "(Counter|FunctionCounter|Timer|Gauge)\\.builder\\(\\s*\"(weft\\.[a-z_.]+)\"|\\.(counter|timer|gauge)\\(\\s*\"(weft\\.[a-z_.]+)\""
                    + "|\\bcount\\(\\s*\"(weft\\.[a-z_.]+)\"");

    @TempDir
    Path tmp;

    private static Path repo() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("docs/grafana-dashboard.json"))) dir = dir.getParent();
        if (dir == null) throw new IllegalStateException("no docs/grafana-dashboard.json above " + System.getProperty("user.dir"));
        return dir;
    }

    @Test
    @DisplayName("the dashboard is valid JSON with the operator's panels, and queries only metrics weft registers")
    void dashboard() throws Exception {
        JsonNode d = JSON.readTree(Files.readString(repo().resolve("docs/grafana-dashboard.json")));
        List<String> titles = new ArrayList<>();
        List<String> exprs = new ArrayList<>();
        for (JsonNode p : d.path("panels")) {
            titles.add(p.path("title").asText());
            for (JsonNode t : p.path("targets")) exprs.add(t.path("expr").asText());
        }
        for (String t : List.of("Triggers accepted", "Runs by status", "Dispatch latency", "Webhooks", "Pending work",
                "Log frames written", "Notifier failures", "JVM memory")) {
            assertTrue(titles.contains(t), "panel " + t + " in " + titles);
        }
        Set<String> scraped = scrape();
        Set<String> declared = declaredInSources();
        Set<String> unknown = new TreeSet<>();
        for (String e : exprs) {
            Matcher m = QUERIED.matcher(e);
            boolean any = false;
            while (m.find()) {
                any = true;
                String name = m.group(1);
                boolean known = scraped.contains(name) || (name.startsWith("weft_") && declared.contains(name));
                if (!known) unknown.add(name);
            }
            assertTrue(any, "a query with no metric: " + e);
        }
        assertEquals(Set.of(), unknown, "queried but never registered; scraped " + scraped.size()
                + " names, declared " + declared);
        // The scrape is a real one: weft's eager meters and the JVM's are on it.
        assertTrue(scraped.containsAll(Set.of("weft_runs", "weft_triggers_total", "weft_dispatch_latency_seconds_count",
                "weft_log_frames_total", "jvm_memory_used_bytes")), scraped.toString());
    }

    /** Metric names on /metrics of a weft with the stub provider. */
    private Set<String> scrape() throws Exception {
        WeftConfig config = WeftConfig.from(Map.of(
                "WEFT_HOSTNAME", "weft.test", "WEFT_OWNER_DID", "did:plc:dashboard", "WEFT_LISTEN", "127.0.0.1:0",
                "WEFT_DB", tmp.resolve("weft.db").toString(), "WEFT_JETSTREAM", "off"));
        try (Weft weft = Weft.builder(config).providers(List.of(new StubProviderFactory())).consumeKnots(false).start();
             HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(weft.baseUrl() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            Set<String> names = new TreeSet<>();
            for (String line : r.body().split("\n")) {
                if (line.isBlank() || line.startsWith("#")) continue;
                int end = line.indexOf('{') >= 0 ? line.indexOf('{') : line.indexOf(' ');
                names.add(line.substring(0, end));
            }
            return names;
        }
    }

    /** Prometheus names of the meters weft's main sources register by name, by their type's suffixes. */
    private static Set<String> declaredInSources() throws IOException {
        Set<String> out = new TreeSet<>();
        List<Path> sources;
        try (Stream<Path> s = Files.walk(repo(), 30)) {
            sources = s.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/java/")
                    && !p.toString().contains("/target/")).toList();
        }
        for (Path p : sources) {
            Matcher m = REGISTERED.matcher(Files.readString(p));
            while (m.find()) {
                String type = m.group(1) != null ? m.group(1) : m.group(3) != null ? m.group(3) : "counter";
                String dotted = m.group(2) != null ? m.group(2) : m.group(4) != null ? m.group(4) : m.group(5);
                String base = dotted.replace('.', '_');
                switch (type.toLowerCase()) {
                    case "counter", "functioncounter" -> out.add(base + "_total");
                    case "timer" -> {
                        for (String suffix : List.of("_seconds", "_seconds_count", "_seconds_sum", "_seconds_max")) {
                            out.add(base + suffix);
                        }
                    }
                    default -> out.add(base);
                }
            }
        }
        return out;
    }
}
