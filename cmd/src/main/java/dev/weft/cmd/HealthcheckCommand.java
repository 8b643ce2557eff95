package dev.weft.cmd;

import dev.weft.config.WeftConfig;
import dev.weft.spi.GoDuration;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code weft healthcheck}: exit 0 when this machine's weft answers {@code /healthz} with 200, 1
 * otherwise, within a short timeout. For container health checks: the image has no curl. The port
 * (and host, unless weft listens on every address) come from {@code WEFT_LISTEN}, as serve reads it.
 */
final class HealthcheckCommand {
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(3);

    private HealthcheckCommand() {
    }

    static int run(List<String> args, Map<String, String> environment, PrintStream out, PrintStream err) {
        List<String> flags = new ArrayList<>(args);
        Duration timeout = DEFAULT_TIMEOUT;
        int t = flags.indexOf("--timeout");
        URI uri;
        try {
            if (t >= 0 && t + 1 < flags.size()) {
                timeout = GoDuration.parse(flags.get(t + 1));
                flags.remove(t + 1);
                flags.remove(t);
            }
            if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("--timeout must be positive");
            uri = healthz(WeftConfig.resolve(WeftConfig.applyFlags(environment, flags), "WEFT_LISTEN"));
        } catch (IllegalArgumentException | WeftConfig.InvalidConfigException e) {
            err.println("weft healthcheck: " + e.getMessage());
            err.println("usage: weft healthcheck [--timeout 3s] [--listen host:port]");
            return 2;
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).build();
        try {
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            String body;
            try (InputStream in = r.body()) {
                body = new String(in.readNBytes(4096), java.nio.charset.StandardCharsets.UTF_8).strip();
            }
            if (r.statusCode() == 200) {
                out.println("weft healthcheck: " + uri + " 200 " + body);
                return 0;
            }
            err.println("weft healthcheck: " + uri + " answered " + r.statusCode() + " " + body);
            return 1;
        } catch (IOException e) {
            err.println("weft healthcheck: " + uri + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } finally {
            http.shutdownNow();
        }
    }

    /** {@code http://<host>:<port>/healthz}, on loopback when weft listens on every address. */
    static URI healthz(String listen) {
        int colon = listen == null ? -1 : listen.lastIndexOf(':');
        if (colon < 0) throw new IllegalArgumentException("WEFT_LISTEN: expected host:port, got " + listen);
        String host = listen.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(listen.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("WEFT_LISTEN: port must be a number, got " + listen);
        }
        if (port < 1 || port > 65535) throw new IllegalArgumentException("WEFT_LISTEN: port must be 1..65535, got " + listen);
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (bare.isEmpty() || bare.equals("0.0.0.0") || bare.equals("::") || bare.equals("*")) host = "127.0.0.1";
        else if (bare.contains(":")) host = "[" + bare + "]";
        return URI.create("http://" + host + ":" + port + "/healthz");
    }
}
