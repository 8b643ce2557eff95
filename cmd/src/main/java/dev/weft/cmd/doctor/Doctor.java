package dev.weft.cmd.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.config.DatabaseLocation;
import dev.weft.config.WeftConfig;
import dev.weft.daemon.Databases;
import dev.weft.providers.ProviderChecks;
import dev.weft.spi.Check;
import dev.weft.spi.ProviderFactory;
import dev.weft.store.jdbc.Migrations;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs every check of {@code weft doctor} against one environment, as {@code weft serve} would read
 * it. Network checks run side by side on virtual threads this class starts and ends; each network
 * call is bounded by {@code timeout}, and the whole run by a few of them, after which what has not
 * answered is reported failed: the doctor never hangs.
 *
 * <p>A knot's generation (tangled-ci 1.1): an upgraded knot sends {@code sh.tangled.git.refUpdate}
 * frames carrying {@code created}; a legacy knot sends {@code sh.tangled.pipeline} records without
 * it. The doctor asks the knot's {@code /events} for the last day and reads the first frame; when
 * none comes it falls back on {@code sh.tangled.knot.version} (v1.14 changed refUpdate to key on
 * the repo DID, the shape weft's upgraded path reads).
 */
public final class Doctor {
    /** Clock skew below this is fine; service-auth tokens allow 5 s of leeway. */
    static final Duration SKEW_OK = Duration.ofSeconds(5);
    /** Skew above this fails: knot cursors and /events resumption assume roughly agreeing clocks. */
    static final Duration SKEW_FAIL = Duration.ofMinutes(1);

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Doctor.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern VERSION = Pattern.compile("v?(\\d+)\\.(\\d+)");

    private final Map<String, String> env;
    private final List<ProviderFactory> factories;
    private final Duration timeout;
    private final Clock clock;

    /**
     * @param env       the environment with flags applied, as {@code weft serve} reads it
     * @param factories the providers to check (the class path's, in the command)
     * @param timeout   the longest one network call may take
     */
    public Doctor(Map<String, String> env, List<ProviderFactory> factories, Duration timeout, Clock clock) {
        this.env = Map.copyOf(env);
        this.factories = List.copyOf(factories);
        this.timeout = timeout;
        this.clock = clock;
    }

    /** Every check, in a stable order. */
    public List<Check> run() {
        List<Check> out = new ArrayList<>();
        WeftConfig config;
        try {
            config = WeftConfig.from(env);
            out.add(Check.ok("configuration", "valid (" + config.hostname() + ", owner " + config.ownerDid() + ")"));
        } catch (WeftConfig.InvalidConfigException e) {
            config = null;
            out.add(Check.fail("configuration", String.join("; ", e.problems()),
                    "set the variables named (README, Configuration; weft serve --print-config shows what is read)"));
        }
        ExecutorService threads = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("weft-doctor-", 0).factory());
        try {
            Instant deadline = clock.instant().plus(timeout.multipliedBy(3)).plusSeconds(1);
            Future<Check> database = null;
            List<Future<KnotProbe>> knots = new ArrayList<>();
            List<String> knotNames = new ArrayList<>();
            Future<Check> jetstream = null;
            Future<Check> plc = null;
            Future<Check> publicUrl = null;
            if (config != null) {
                WeftConfig c = config;
                database = threads.submit(() -> database(c.db()));
                Set<String> knotHosts = knots(c);
                for (String knot : knotHosts) {
                    knotNames.add(knot);
                    knots.add(threads.submit(() -> knot(knot, c.dev())));
                }
                jetstream = threads.submit(() -> jetstream(c.jetstream()));
                plc = threads.submit(() -> plc(c.plcUrl(), c.ownerDid()));
                publicUrl = threads.submit(() -> publicUrl(c));
            }
            List<Future<List<Check>>> providers = new ArrayList<>();
            String hostname = config == null ? env.getOrDefault("WEFT_HOSTNAME", "") : config.hostname();
            for (ProviderFactory f : factories) {
                providers.add(threads.submit(() -> {
                    List<Check> checks = new ArrayList<>();
                    checks.add(ProviderChecks.configuration(f, env, hostname));
                    if (checks.get(0).status() == Check.Status.OK) {
                        checks.addAll(f.checks(ProviderChecks.context(f.engine(), env, timeout, hostname)));
                    }
                    return checks;
                }));
            }
            if (config == null) {
                for (String name : List.of("database", "knots", "clock", "jetstream", "plc", "public url")) {
                    out.add(Check.skip(name, "configuration invalid"));
                }
            } else {
                out.add(await(database, deadline, "database"));
                if (knots.isEmpty()) out.add(Check.skip("knots", "no knot configured (WEFT_KNOTS, WEFT_REPOS) or registered yet"));
                Optional<Duration> skew = Optional.empty();
                String skewKnot = null;
                for (int i = 0; i < knots.size(); i++) {
                    String knotName = "knot " + knotNames.get(i);
                    KnotProbe p = await(knots.get(i), deadline,
                            detail -> new KnotProbe(Check.fail(knotName, detail, FIX_LATE), Optional.empty()));
                    out.add(p.check());
                    if (skew.isEmpty() && p.skew().isPresent()) {
                        skew = p.skew();
                        skewKnot = knotNames.get(i);
                    }
                }
                out.add(clock(skew, skewKnot, knots.isEmpty()));
                out.add(await(jetstream, deadline, "jetstream"));
                out.add(await(plc, deadline, "plc"));
                out.add(await(publicUrl, deadline, "public url"));
            }
            for (int i = 0; i < providers.size(); i++) {
                String engine = factories.get(i).engine();
                out.addAll(await(providers.get(i), deadline, detail -> List.of(Check.fail(engine + " checks", detail,
                        "the " + engine + " provider's checks did not finish: check the network path to its backend, or "
                                + "report it to the provider's author"))));
            }
        } finally {
            // Whatever still runs missed the deadline and was reported so: interrupt it and wait a
            // moment, but not on a check that ignores interrupts (closing the executor would).
            threads.shutdownNow();
            try {
                if (!threads.awaitTermination(1, TimeUnit.SECONDS)) {
                    log.warn("a doctor check ignored its interrupt and is left behind");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return out;
    }

    /** Whether any check failed: the exit status of {@code weft doctor}. */
    public static boolean ok(List<Check> checks) {
        return checks.stream().noneMatch(c -> c.status() == Check.Status.FAIL);
    }

    // ---- waiting ----

    private Check await(Future<Check> f, Instant deadline, String name) {
        return await(f, deadline, detail -> Check.fail(name, detail, FIX_LATE));
    }

    /** Fix for a check that did not answer in time or broke. */
    private static final String FIX_LATE = "check the network path to it; weft doctor --timeout 10s allows slower answers";

    /**
     * The result, or {@code failed} with why there is none: the deadline passed (the task is
     * interrupted) or the check threw (a plugin's, say: reported, never a crash of the doctor).
     */
    private <T> T await(Future<T> f, Instant deadline, java.util.function.Function<String, T> failed) {
        long left = Math.max(0, Duration.between(clock.instant(), deadline).toMillis());
        try {
            return f.get(left, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            return failed.apply("no answer within " + timeout.multipliedBy(3).plusSeconds(1).toSeconds() + " s");
        } catch (ExecutionException e) {
            return failed.apply("the check itself failed: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            return failed.apply("interrupted");
        }
    }

    private Check timedOut(String name) {
        return Check.fail(name, "no answer within " + timeout.multipliedBy(3).plusSeconds(1).toSeconds() + " s", FIX_LATE);
    }

    // ---- database ----

    Check database(DatabaseLocation db) {
        String name = "database";
        if (db instanceof DatabaseLocation.Sqlite s && !Files.exists(s.file())) {
            Path parent = s.file().toAbsolutePath().getParent();
            if (parent != null && Files.isDirectory(parent) && !Files.isWritable(parent)) {
                return Check.fail(name, "SQLite " + s.file() + " does not exist and " + parent + " is not writable",
                        "make " + parent + " writable by the user weft runs as, or point WEFT_DB elsewhere");
            }
            return Check.warn(name, "SQLite " + s.file() + " does not exist yet",
                    "nothing to do if this is the first start (weft serve creates it); otherwise WEFT_DB points at the wrong file");
        }
        Migrations.SchemaState state;
        try {
            state = Databases.inspect(db, timeout);
        } catch (Exception e) {
            return Check.fail(name, "cannot read " + db + ": " + rootMessage(e),
                    db instanceof DatabaseLocation.Postgres
                            ? "check that PostgreSQL runs and WEFT_DB's host, database, user and password (WEFT_DB_PASSWORD_FILE)"
                            : "check that WEFT_DB is a weft SQLite file readable by this user");
        }
        String where = (db instanceof DatabaseLocation.Sqlite ? "SQLite " : "PostgreSQL ") + db;
        if (state.newer()) {
            return Check.fail(name, where + " has schema version " + state.current() + ", newer than this weft's "
                    + state.latest(), "run the weft release that wrote it (or newer); this one refuses to start on it");
        }
        if (state.pending() > 0) {
            return Check.warn(name, where + " at schema version " + state.current() + (state.legacy() ? " (weft 0.1)" : "")
                            + "; " + state.pending() + " migration(s) to " + state.latest() + " pending",
                    "weft serve applies them at start; back the database up first");
        }
        return Check.ok(name, where + " reachable, schema version " + state.current() + " (current)");
    }

    /** WEFT_KNOTS, the static repositories' knots and the registered repositories' knots. */
    private Set<String> knots(WeftConfig c) {
        Set<String> knots = new LinkedHashSet<>(c.knots());
        c.repos().forEach(r -> knots.add(r.knot()));
        c.repoDids().forEach(r -> knots.add(r.knot()));
        boolean exists = !(c.db() instanceof DatabaseLocation.Sqlite s) || Files.exists(s.file());
        if (exists) {
            try {
                knots.addAll(Databases.registeredKnots(c.db(), timeout));
            } catch (Exception e) {
                // The database check reports why it cannot be read; the configured knots still are checked.
            }
        }
        return knots;
    }

    // ---- knots ----

    /** A knot's check and, when it answered over HTTP with a Date header, the clock skew against it. */
    record KnotProbe(Check check, Optional<Duration> skew) {
    }

    KnotProbe knot(String knot, boolean dev) {
        HttpClient http = http();
        try {
            return knot(http, knot, dev);
        } finally {
            http.shutdownNow();
        }
    }

    private KnotProbe knot(HttpClient http, String knot, boolean dev) {
        String name = "knot " + knot;
        String version = null;
        Optional<Duration> skew = Optional.empty();
        String httpDetail;
        URI versionUri = URI.create((dev ? "http://" : "https://") + knot + "/xrpc/sh.tangled.knot.version");
        try {
            Instant sent = clock.instant();
            Answer r = send(http, versionUri);
            Instant received = clock.instant();
            skew = r.headers().firstValue("Date").flatMap(d -> skew(d, sent, received));
            if (r.statusCode() == 200) {
                try {
                    version = JSON.readTree(r.body()).path("version").asText(null);
                } catch (IOException e) {
                    version = null; // not the XRPC answer: the generation comes from /events alone
                }
            }
            httpDetail = "HTTP " + r.statusCode() + (version == null ? "" : ", version " + version);
            if (r.statusCode() >= 500) {
                return new KnotProbe(Check.fail(name, "HTTP answers " + r.statusCode() + " at " + versionUri,
                        "the knot is failing: ask its operator, or remove it from WEFT_KNOTS/WEFT_REPOS"), skew);
            }
        } catch (IOException e) {
            return new KnotProbe(Check.fail(name, "HTTP: cannot reach " + versionUri + ": " + rootMessage(e),
                    "check the host name (WEFT_KNOTS, WEFT_REPOS), DNS and firewall"
                            + (dev ? "" : "; a knot without TLS needs WEFT_DEV=true")), skew);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new KnotProbe(timedOut(name), skew);
        }
        long since = clock.instant().minus(Duration.ofDays(1)).toEpochMilli() * 1_000_000L;
        URI events = URI.create((dev ? "ws://" : "wss://") + knot + "/events?cursor=" + since);
        FirstFrame first;
        // A client of its own: the JDK's client may hand the WebSocket handshake a connection its
        // GET left open (an HTTP/1.1 keep-alive), which a knot behind a routing proxy has bound to
        // its HTTP side.
        HttpClient wsClient = http();
        try {
            first = firstFrame(wsClient, events);
        } catch (IOException e) {
            return new KnotProbe(Check.fail(name, httpDetail + "; WebSocket " + events + " refused: " + rootMessage(e),
                    "the knot's /events must accept WebSocket upgrades (a proxy in front of it may drop them)"), skew);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new KnotProbe(timedOut(name), skew);
        } finally {
            wsClient.shutdownNow();
        }
        return new KnotProbe(Check.ok(name, httpDetail + "; /events open; " + generation(first, version)), skew);
    }

    /** The first text frame of a knot's /events, if one came within the timeout. */
    record FirstFrame(Optional<String> text) {
    }

    private FirstFrame firstFrame(HttpClient http, URI uri) throws IOException, InterruptedException {
        CompletableFuture<String> frame = new CompletableFuture<>();
        WebSocket ws;
        try {
            ws = http.newWebSocketBuilder().connectTimeout(timeout).buildAsync(uri, new WebSocket.Listener() {
                private final StringBuilder text = new StringBuilder();

                @Override
                public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                    text.append(data);
                    // A first frame can be megabytes (a legacy pipeline record): its head is enough.
                    if (last || text.length() > MAX_BODY) frame.complete(text.toString());
                    else socket.request(1);
                    return null;
                }
            }).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IOException(rootMessage(e), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("no WebSocket handshake within " + timeout.toSeconds() + " s");
        }
        try {
            // A knot sends its backlog at once; waiting the call timeout for it also covers a slow link.
            return new FirstFrame(Optional.of(frame.get(timeout.toMillis(), TimeUnit.MILLISECONDS)));
        } catch (TimeoutException | ExecutionException e) {
            return new FirstFrame(Optional.empty());
        } finally {
            ws.abort();
        }
    }

    static String generation(FirstFrame first, String version) {
        if (first.text().isPresent()) {
            try {
                JsonNode f = JSON.readTree(first.text().get());
                String nsid = f.path("nsid").asText("");
                if (nsid.equals("sh.tangled.pipeline") && !f.has("created")) {
                    return "legacy (it sends sh.tangled.pipeline records: pushes need nothing else)";
                }
                if (f.has("created") || nsid.equals("sh.tangled.git.refUpdate")) {
                    return "upgraded (its events carry created" + (nsid.isEmpty() ? "" : ", latest " + nsid)
                            + ": weft reads pushes as sh.tangled.git.refUpdate and fetches workflows over git)";
                }
            } catch (IOException e) {
                return "not known (its first frame is not JSON)";
            }
        }
        if (version != null) {
            Matcher m = VERSION.matcher(version);
            if (m.find()) {
                int major = Integer.parseInt(m.group(1));
                int minor = Integer.parseInt(m.group(2));
                boolean upgraded = major > 1 || (major == 1 && minor >= 14);
                return (upgraded ? "upgraded" : "legacy") + " (by its version; no events in the last day)";
            }
        }
        return "not known (no events in the last day and no sh.tangled.knot.version)";
    }

    static Optional<Duration> skew(String dateHeader, Instant sent, Instant received) {
        try {
            Instant theirs = ZonedDateTime.parse(dateHeader, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            Instant ours = sent.plus(Duration.between(sent, received).dividedBy(2));
            return Optional.of(Duration.between(ours, theirs));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    static Check clock(Optional<Duration> skew, String knot, boolean noKnots) {
        if (skew.isEmpty()) {
            return Check.skip("clock", noKnots ? "no knot to compare with" : "no knot answered with a Date header");
        }
        Duration d = skew.get();
        Duration abs = d.abs();
        // The Date header has whole seconds: a second either way is noise.
        String detail = "knot " + knot + "'s clock is " + abs.toMillis() / 1000.0 + " s " + (d.isNegative() ? "behind" : "ahead of")
                + " this machine's";
        String fix = "run NTP (chrony, systemd-timesyncd) on this machine; if it is the knot's clock, tell its operator";
        if (abs.compareTo(SKEW_OK.plusSeconds(1)) <= 0) return Check.ok("clock", detail);
        if (abs.compareTo(SKEW_FAIL) <= 0) return Check.warn("clock", detail, fix);
        return Check.fail("clock", detail, fix);
    }

    // ---- network ----

    Check jetstream(String url) {
        String name = "jetstream";
        if (url.isEmpty()) return Check.skip(name, "WEFT_JETSTREAM off: static mode only");
        URI uri = URI.create(url + (url.contains("?") ? "&" : "?") + "wantedCollections=sh.tangled.spindle.member");
        HttpClient http = http();
        try {
            WebSocket ws = http.newWebSocketBuilder().connectTimeout(timeout).buildAsync(uri, new WebSocket.Listener() { })
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            ws.abort();
            return Check.ok(name, url + " accepts the subscription");
        } catch (ExecutionException | TimeoutException e) {
            return Check.fail(name, "cannot subscribe to " + url + ": " + (e instanceof TimeoutException
                            ? "no WebSocket handshake within " + timeout.toSeconds() + " s" : rootMessage(e)),
                    "check WEFT_JETSTREAM and outbound wss:// access; or set WEFT_JETSTREAM=off for static mode");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return timedOut(name);
        } finally {
            http.shutdownNow();
        }
    }

    Check plc(String plcUrl, String owner) {
        String name = "plc";
        boolean plcOwner = owner.startsWith("did:plc:");
        String base = plcUrl.endsWith("/") ? plcUrl.substring(0, plcUrl.length() - 1) : plcUrl;
        URI uri = URI.create(base + "/" + (plcOwner ? URLEncoder.encode(owner, StandardCharsets.UTF_8) : "_health"));
        try {
            Answer r = send(uri);
            if (r.statusCode() == 200) {
                return Check.ok(name, plcUrl + " answers" + (plcOwner ? " and resolves the owner " + owner : ""));
            }
            if (plcOwner && (r.statusCode() == 404 || r.statusCode() == 410)) {
                return Check.fail(name, plcUrl + " does not know the owner " + owner + " (" + r.statusCode() + ")",
                        "check WEFT_OWNER_DID (the DID of your Tangled account) and WEFT_PLC_URL");
            }
            return Check.fail(name, "GET " + uri + " answered " + r.statusCode(), "check WEFT_PLC_URL");
        } catch (IOException e) {
            return Check.fail(name, "cannot reach " + plcUrl + ": " + rootMessage(e),
                    "check WEFT_PLC_URL and outbound https:// access (service auth resolves DIDs there)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return timedOut(name);
        }
    }

    /**
     * What answers {@code sh.tangled.owner} at this spindle's public address: the appview's
     * verification handshake. Nothing answering is a warning (weft may not run yet, or the proxy is
     * not set up); another owner is a failure (the name points at someone else's spindle).
     */
    Check publicUrl(WeftConfig c) {
        String name = "public url";
        URI uri = URI.create((c.dev() ? "http://" : "https://") + c.hostname() + "/xrpc/sh.tangled.owner");
        String fix = "point " + c.hostname() + " (DNS, TLS reverse proxy) at weft's WEFT_LISTEN, and start weft serve";
        try {
            Answer r = send(uri);
            if (r.statusCode() != 200) {
                return Check.warn(name, "GET " + uri + " answered " + r.statusCode() + ", not weft", fix);
            }
            String owner;
            try {
                owner = JSON.readTree(r.body()).path("owner").asText("");
            } catch (IOException e) {
                return Check.warn(name, "GET " + uri + " answered 200 without JSON: not a spindle", fix);
            }
            if (owner.equals(c.ownerDid())) return Check.ok(name, uri + " answers with our owner " + owner);
            return Check.fail(name, uri + " answers with owner \"" + owner + "\", not " + c.ownerDid(),
                    "another spindle answers at " + c.hostname() + ": fix WEFT_HOSTNAME or WEFT_OWNER_DID, or the proxy's target");
        } catch (IOException e) {
            return Check.warn(name, "nothing answers at " + uri + ": " + rootMessage(e), fix);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return timedOut(name);
        }
    }

    /** An answer: its status, headers and the first {@link #MAX_BODY} bytes of its body. */
    record Answer(int statusCode, java.net.http.HttpHeaders headers, String body) {
    }

    /** The most of an answer's body the doctor reads: the JSON it wants is tiny, a hostile answer is not. */
    static final int MAX_BODY = 64 * 1024;

    /** One GET on a client of its own, shut down after. */
    private Answer send(URI uri) throws IOException, InterruptedException {
        HttpClient http = http();
        try {
            return send(http, uri);
        } finally {
            http.shutdownNow();
        }
    }

    private Answer send(HttpClient http, URI uri) throws IOException, InterruptedException {
        HttpResponse<java.io.InputStream> r = http.send(get(uri), HttpResponse.BodyHandlers.ofInputStream());
        try (java.io.InputStream in = r.body()) {
            return new Answer(r.statusCode(), r.headers(), new String(in.readNBytes(MAX_BODY), StandardCharsets.UTF_8));
        }
    }

    private HttpClient http() {
        return HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    private HttpRequest get(URI uri) {
        return HttpRequest.newBuilder(uri).timeout(timeout).header("User-Agent", "weft-doctor").GET().build();
    }

    /**
     * What went wrong, in words: the JDK's HTTP client reports a refused connection as a
     * {@code ConnectException} without a message around a {@code ClosedChannelException}.
     */
    static String rootMessage(Throwable e) {
        String message = null;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.net.ConnectException) return "connection refused";
            if (t instanceof java.nio.channels.UnresolvedAddressException || t instanceof java.net.UnknownHostException) {
                return "unknown host";
            }
            if (t instanceof java.net.http.HttpTimeoutException) return "no answer within the timeout";
            if (message == null && t.getMessage() != null && !t.getMessage().isBlank()) message = t.getMessage();
        }
        return message != null ? message : e.getClass().getSimpleName();
    }
}
