package dev.weft.config;

import dev.weft.spi.GoDuration;

import dev.weft.model.AtSyntax;
import dev.weft.model.RepoRef.RepoKey;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The daemon's configuration, read from {@code WEFT_*} variables (and the stock spindle's and tack's
 * names as aliases), each also settable as a flag: {@code --owner-did x} or {@code --owner-did=x} sets
 * {@code WEFT_OWNER_DID}. Flags win over the environment.
 *
 * @param db       {@code WEFT_DB}: a SQLite file or a PostgreSQL database (its password read from
 *                 {@code WEFT_DB_PASSWORD_FILE} when that is set)
 * @param repos    static {@code knot/did/name} registrations
 * @param repoDids static {@code knot/<repo DID>} registrations (upgraded knots name repositories by DID)
 * @param workflowFetchTimeout how long weft keeps retrying to read a push's workflow files from a
 *                 knot that is down or failing before the push fails visibly
 * @param gitCacheDir where the per-repository git caches of upgraded knots' repositories live
 * @param publicUrl {@code WEFT_PUBLIC_URL}: where CI jobs reach this weft (their callback URLs), without
 *                 a trailing slash; {@code https://<hostname>} by default, {@code http://} in dev mode
 * @param console  whether the web console is served at {@code /console} ({@code WEFT_CONSOLE})
 * @param adminTokenFile the file holding the console's operator token ({@code WEFT_ADMIN_TOKEN_FILE});
 *                 null: the console is read-only
 * @param pluginsDir {@code WEFT_PLUGINS_DIR}: every jar in it is loaded for provider and notifier
 *                 lookups (see {@link dev.weft.providers.Plugins}); a missing directory loads none
 * @param leaseTtl {@code WEFT_LEASE_TTL}: how long a lease (a knot stream, the publisher, this
 *                 instance's liveness) lasts unrenewed on a shared database; a killed instance's work
 *                 moves within about this plus one renewal interval
 * @param leaseRenew {@code WEFT_LEASE_RENEW}: how often leases are renewed and free ones sought;
 *                 at most a third of {@code leaseTtl}, so two renewals can fail before expiry
 * @param env      the merged environment (flags applied), handed on to providers for their own keys
 */
public record WeftConfig(String hostname, String ownerDid, InetSocketAddress listen, DatabaseLocation db, boolean dev,
                         List<String> knots, List<RepoKey> repos, List<StaticRepoDid> repoDids, boolean acceptAllRepos,
                         Duration workflowTimeout,
                         Duration replayWindow, Duration eventsSkew, Duration firstStatusDelay, Duration statusGap,
                         String jetstream, String plcUrl, Path secretsKeyFile, Duration workflowFetchTimeout,
                         Path gitCacheDir, String publicUrl, boolean console, Path adminTokenFile, Path pluginsDir,
                         Duration leaseTtl, Duration leaseRenew, Map<String, String> env, Map<String, String> sources) {

    /** The stock spindle's Jetstream, weft's default ({@code WEFT_JETSTREAM}). */
    /** The shortest {@code WEFT_REPLAY_WINDOW} accepted; see {@link #replayWindow()}. */
    public static final Duration MIN_REPLAY_WINDOW = Duration.ofSeconds(1);

    public static final String DEFAULT_JETSTREAM = "wss://jetstream1.us-west.bsky.network/subscribe";

    /**
     * A static registration by repo DID ({@code WEFT_REPOS} entry {@code knot/<repo DID>}). Its owner
     * is not configured: the spindle owner stands in until a refUpdate or a repo record names the
     * real one.
     */
    public record StaticRepoDid(String knot, String repoDid) {
        @Override
        public String toString() {
            return knot + "/" + repoDid;
        }
    }

    /** One setting: its variable, default, meaning and aliases, as the README's table lists them. */
    public record Setting(String variable, String defaultValue, String meaning, List<String> aliases) {
    }

    public static final List<Setting> SETTINGS = List.of(
            new Setting("WEFT_HOSTNAME", null, "this spindle's hostname identity",
                    List.of("SPINDLE_SERVER_HOSTNAME", "TACK_HOSTNAME")),
            new Setting("WEFT_OWNER_DID", null, "the owner DID", List.of("SPINDLE_SERVER_OWNER", "TACK_OWNER_DID")),
            new Setting("WEFT_LISTEN", "0.0.0.0:6555", "HTTP/WebSocket listen address",
                    List.of("SPINDLE_SERVER_LISTEN_ADDR", "TACK_LISTEN_ADDR")),
            new Setting("WEFT_DB", "weft.db", "SQLite file, or a PostgreSQL database: postgresql://user[:password]@host[:port]/database[?params] "
                    + "or jdbc:postgresql:...", List.of("SPINDLE_SERVER_DB_PATH", "TACK_DB_PATH")),
            new Setting("WEFT_INSTANCE_ID", "", "this instance's name in logs, /healthz and lease rows when instances share a "
                    + "PostgreSQL WEFT_DB; default: host name and process id", List.of()),
            new Setting("WEFT_DB_PASSWORD_FILE", "", "file holding the PostgreSQL password (its first line), instead of in WEFT_DB",
                    List.of()),
            new Setting("WEFT_DEV", "false", "use ws:// (not wss://) for knots", List.of("SPINDLE_SERVER_DEV", "TACK_DEV")),
            new Setting("WEFT_KNOTS", "", "comma-separated knot hosts to consume statically", List.of()),
            new Setting("WEFT_REPOS", "", "comma-separated static repo registrations knot/did/name (legacy knots) or knot/<repo DID> (upgraded "
                    + "knots; owned by WEFT_OWNER_DID until a push or repo record names the owner); * accepts every repo on the static knots", List.of()),
            new Setting("WEFT_WORKFLOW_TIMEOUT", "1h", "a workflow still running after this is cancelled and ends timeout",
                    List.of("SPINDLE_PIPELINES_WORKFLOW_TIMEOUT")),
            new Setting("WEFT_REPLAY_WINDOW", "10m", "knot reconnect rewind", List.of()),
            new Setting("WEFT_EVENTS_SKEW", "2m", "/events cursor allowance", List.of()),
            new Setting("WEFT_FIRST_STATUS_DELAY", "1s", "no status sooner than this after the trigger", List.of()),
            new Setting("WEFT_STATUS_GAP", "1s", "minimum gap between statuses of one workflow", List.of()),
            new Setting("WEFT_JETSTREAM", DEFAULT_JETSTREAM,
                    "Jetstream subscribe URL for discovery; empty or off = static mode only",
                    List.of("SPINDLE_SERVER_JETSTREAM_ENDPOINT", "TACK_JETSTREAM_URL")),
            new Setting("WEFT_PLC_URL", "https://plc.directory", "PLC directory for resolving did:plc (service auth)",
                    List.of("SPINDLE_SERVER_PLC_URL")),
            new Setting("WEFT_SECRETS_KEY_FILE", "", "AES-256 key of the repo secrets; generated (0600) when absent; "
                    + "default: weft-secrets.key beside a SQLite WEFT_DB; required with PostgreSQL (the same file on every instance)", List.of()),
            new Setting("WEFT_LEASE_TTL", "15s", "with PostgreSQL: how long a lease (knot stream, publisher, "
                    + "an instance's liveness) lasts unrenewed; a dead instance's work moves within about this", List.of()),
            new Setting("WEFT_LEASE_RENEW", "3s", "with PostgreSQL: how often leases are renewed; at most a third of "
                    + "WEFT_LEASE_TTL", List.of()),
            new Setting("WEFT_WORKFLOW_FETCH_TIMEOUT", "10m", "an upgraded knot's push whose .tangled/workflows cannot be "
                    + "read for this long (knot down, failing) fails with an error in weft repos and the metrics", List.of()),
            new Setting("WEFT_GIT_CACHE_DIR", "", "bounded git cache of upgraded knots' repositories (workflow files only); "
                    + "default: weft-git beside a SQLite WEFT_DB, else in the working directory", List.of("SPINDLE_SERVER_REPO_DIR")),
            new Setting("WEFT_PUBLIC_URL", "", "where CI jobs reach this weft: the base of each run's WEFT_CALLBACK_URL; "
                    + "default: https://<WEFT_HOSTNAME> (http:// with WEFT_DEV)", List.of()),
            new Setting("WEFT_CONSOLE", "on", "the web console at /console; off answers 404 there", List.of()),
            new Setting("WEFT_ADMIN_TOKEN_FILE", "", "file whose first line is the console's operator token (at least 16 characters); "
                    + "unset: the console is read-only", List.of()),
            new Setting("WEFT_PLUGINS_DIR", "", "provider and notifier plugin jars, all loaded at start; "
                    + "default: plugins beside a SQLite WEFT_DB, else in the working directory", List.of()));

    /** Variable names whose values --print-config never shows. */
    private static final java.util.regex.Pattern SECRET_NAME =
            java.util.regex.Pattern.compile(".*(TOKEN|SECRET|PASSWORD|PRIVATE|CREDENTIAL|_KEY$|_PEM$).*");

    /** Every problem of a configuration, each naming its variable. */
    public static final class InvalidConfigException extends Exception {
        private final List<String> problems;

        public InvalidConfigException(List<String> problems) {
            super("invalid configuration:\n  " + String.join("\n  ", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    /** Applies {@code --name value} / {@code --name=value} / {@code --flag} arguments over {@code env}. */
    public static Map<String, String> applyFlags(Map<String, String> env, List<String> args) throws InvalidConfigException {
        Map<String, String> out = new LinkedHashMap<>(env);
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("--") || a.length() == 2) {
                problems.add("unexpected argument " + a);
                continue;
            }
            String name = a.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                value = args.get(++i);
            } else {
                value = "true";
            }
            out.put("WEFT_" + name.toUpperCase(Locale.ROOT).replace('-', '_'), value);
        }
        if (!problems.isEmpty()) throw new InvalidConfigException(problems);
        return out;
    }

    /** Reads and validates everything; throws with every problem at once. */
    public static WeftConfig from(Map<String, String> env) throws InvalidConfigException {
        List<String> problems = new ArrayList<>();
        Map<String, String> sources = new LinkedHashMap<>();
        Map<String, String> v = new LinkedHashMap<>();
        for (Setting s : SETTINGS) {
            String value = env.get(s.variable());
            String source = s.variable();
            if (value == null || value.isBlank()) {
                value = null;
                for (String alias : s.aliases()) {
                    String a = env.get(alias);
                    if (a != null && !a.isBlank()) {
                        value = a;
                        source = alias;
                        break;
                    }
                }
            }
            if (value == null && s.variable().equals("WEFT_JETSTREAM") && env.containsKey("WEFT_JETSTREAM")) {
                value = ""; // explicitly set empty: static mode only
            }
            if (value == null) {
                value = s.defaultValue();
                source = "default";
            }
            v.put(s.variable(), value == null ? null : value.strip());
            sources.put(s.variable(), source);
        }
        String hostname = v.get("WEFT_HOSTNAME");
        if (hostname == null || hostname.isEmpty()) problems.add("WEFT_HOSTNAME: required (this spindle's hostname, e.g. ci.example.com)");
        else if (hostname.contains("/") || hostname.contains(" ")) problems.add("WEFT_HOSTNAME: a bare host[:port], got " + hostname);
        String owner = v.get("WEFT_OWNER_DID");
        if (owner == null || owner.isEmpty()) problems.add("WEFT_OWNER_DID: required (the owner's did:plc:... or did:web:...)");
        else if (!owner.startsWith("did:plc:") && !owner.startsWith("did:web:")) problems.add("WEFT_OWNER_DID: must be a did:plc: or did:web: DID, got " + owner);
        InetSocketAddress listen = parseListen(v.get("WEFT_LISTEN"), problems);
        DatabaseLocation location = parseDatabase(v.get("WEFT_DB"), v.get("WEFT_DB_PASSWORD_FILE"), problems);
        // Defaults that live beside the database only have a "beside" with a SQLite file.
        Path db = location instanceof DatabaseLocation.Sqlite sqlite ? sqlite.file() : null;
        boolean dev = parseBool("WEFT_DEV", v.get("WEFT_DEV"), problems);
        List<String> knots = new ArrayList<>();
        for (String k : split(v.get("WEFT_KNOTS"))) {
            if (k.contains("/") || k.contains("://")) problems.add("WEFT_KNOTS: a knot is a host[:port], got " + k);
            else knots.add(k);
        }
        List<RepoKey> repos = new ArrayList<>();
        List<StaticRepoDid> repoDids = new ArrayList<>();
        boolean all = false;
        for (String r : split(v.get("WEFT_REPOS"))) {
            if (r.equals("*")) {
                all = true;
                continue;
            }
            String[] parts = r.split("/", -1);
            if (parts.length == 2 && !parts[0].isEmpty() && parts[1].startsWith("did:")) {
                Optional<String> bad = AtSyntax.did(parts[1]);
                if (bad.isPresent()) problems.add("WEFT_REPOS: in " + r + ": " + bad.get());
                else repoDids.add(new StaticRepoDid(parts[0], parts[1]));
            } else if (parts.length != 3 || parts[0].isEmpty() || !parts[1].startsWith("did:") || parts[2].isEmpty()) {
                problems.add("WEFT_REPOS: expected knot/did/name or knot/<repo DID>, got " + r);
            } else {
                repos.add(new RepoKey(parts[0], parts[1], parts[2]));
            }
        }
        if (all && knots.isEmpty()) problems.add("WEFT_REPOS: * needs static knots in WEFT_KNOTS");
        Duration timeout = parseDuration("WEFT_WORKFLOW_TIMEOUT", v.get("WEFT_WORKFLOW_TIMEOUT"), problems, true);
        int before = problems.size();
        Duration replay = parseDuration("WEFT_REPLAY_WINDOW", v.get("WEFT_REPLAY_WINDOW"), problems, false);
        // The rewind is what re-delivers the frames in flight at a disconnect and absorbs the
        // knot/spindle clock skew of legacy receive-time checkpoints: a soak with 0s lost 52 of 811
        // workflows across reconnects. Below a second it protects nothing, so it is refused.
        if (problems.size() == before && replay.compareTo(MIN_REPLAY_WINDOW) < 0) {
            problems.add("WEFT_REPLAY_WINDOW: must be at least 1s (the reconnect rewind that re-delivers "
                    + "events in flight; shorter loses triggers across reconnects), got " + v.get("WEFT_REPLAY_WINDOW"));
        }
        Duration skew = parseDuration("WEFT_EVENTS_SKEW", v.get("WEFT_EVENTS_SKEW"), problems, false);
        Duration first = parseDuration("WEFT_FIRST_STATUS_DELAY", v.get("WEFT_FIRST_STATUS_DELAY"), problems, false);
        Duration gap = parseDuration("WEFT_STATUS_GAP", v.get("WEFT_STATUS_GAP"), problems, false);
        String jetstream = v.get("WEFT_JETSTREAM");
        if (jetstream != null && (jetstream.equalsIgnoreCase("off") || jetstream.equalsIgnoreCase("none"))) jetstream = "";
        if (jetstream != null && !jetstream.isEmpty() && !jetstream.startsWith("ws://") && !jetstream.startsWith("wss://")) {
            problems.add("WEFT_JETSTREAM: a ws:// or wss:// URL (or empty/off for static mode), got " + jetstream);
        }
        String plc = v.get("WEFT_PLC_URL");
        if (plc == null || !(plc.startsWith("https://") || plc.startsWith("http://"))) {
            problems.add("WEFT_PLC_URL: an http(s):// URL, got " + plc);
        }
        String keyText = v.get("WEFT_SECRETS_KEY_FILE");
        Path keyFile = null;
        if (keyText != null && !keyText.isEmpty()) {
            keyFile = Path.of(keyText);
        } else if (location instanceof DatabaseLocation.Postgres) {
            // A generated key would differ per instance, and each would seal secrets the others
            // cannot open: the operator provides one file for all of them.
            problems.add("WEFT_SECRETS_KEY_FILE: required with a PostgreSQL WEFT_DB (the same key file on every instance; "
                    + "create one with: head -c 32 /dev/urandom | base64 > weft-secrets.key)");
        } else if (db != null) {
            Path parent = db.toAbsolutePath().getParent();
            keyFile = parent == null ? Path.of("weft-secrets.key") : parent.resolve("weft-secrets.key");
        }
        Duration fetchTimeout = parseDuration("WEFT_WORKFLOW_FETCH_TIMEOUT", v.get("WEFT_WORKFLOW_FETCH_TIMEOUT"), problems, true);
        Duration leaseTtl = parseDuration("WEFT_LEASE_TTL", v.get("WEFT_LEASE_TTL"), problems, true);
        Duration leaseRenew = parseDuration("WEFT_LEASE_RENEW", v.get("WEFT_LEASE_RENEW"), problems, true);
        if (leaseTtl != null && leaseRenew != null && leaseRenew.multipliedBy(3).compareTo(leaseTtl) > 0) {
            problems.add("WEFT_LEASE_RENEW: " + GoDuration.format(leaseRenew) + " is more than a third of WEFT_LEASE_TTL ("
                    + GoDuration.format(leaseTtl) + "): one failed renewal would let the lease expire");
        }
        Path gitCache = besideDatabase(v.get("WEFT_GIT_CACHE_DIR"), db, "weft-git");
        Path plugins = besideDatabase(v.get("WEFT_PLUGINS_DIR"), db, "plugins");
        String publicUrl = publicUrl(v.get("WEFT_PUBLIC_URL"), hostname, dev, problems);
        boolean console = parseBool("WEFT_CONSOLE", v.get("WEFT_CONSOLE"), problems);
        String tokenText = v.get("WEFT_ADMIN_TOKEN_FILE");
        Path tokenFile = null;
        if (tokenText != null && !tokenText.isEmpty()) {
            tokenFile = Path.of(tokenText);
            try {
                if (adminToken(tokenFile).length() < MIN_ADMIN_TOKEN) {
                    problems.add("WEFT_ADMIN_TOKEN_FILE: the token in " + tokenFile + " is shorter than " + MIN_ADMIN_TOKEN
                            + " characters (make one with: head -c 32 /dev/urandom | base64 > " + tokenFile + ")");
                }
            } catch (java.io.IOException e) {
                problems.add("WEFT_ADMIN_TOKEN_FILE: cannot read " + tokenFile + ": " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) throw new InvalidConfigException(problems);
        Set<String> allKnots = new LinkedHashSet<>(knots);
        return new WeftConfig(hostname, owner, listen, location, dev, List.copyOf(allKnots), List.copyOf(repos), List.copyOf(repoDids),
                all, timeout,
                replay, skew, first, gap, jetstream == null ? "" : jetstream, plc, keyFile, fetchTimeout, gitCache, publicUrl,
                console, tokenFile, plugins, leaseTtl, leaseRenew, Map.copyOf(nonNull(env)),
                Map.copyOf(sources));
    }

    /** The shortest operator token {@code WEFT_ADMIN_TOKEN_FILE} may hold. */
    public static final int MIN_ADMIN_TOKEN = 16;

    /**
     * The operator token in {@code file}: its first line, surrounding white space removed (an
     * editor's trailing newline is not part of it).
     */
    public static String adminToken(Path file) throws java.io.IOException {
        String content = java.nio.file.Files.readString(file);
        int eol = content.indexOf('\n');
        return (eol < 0 ? content : content.substring(0, eol)).strip();
    }

    /**
     * The database alone ({@code WEFT_DB}, its aliases and {@code WEFT_DB_PASSWORD_FILE}), for
     * commands that need nothing else.
     */
    public static DatabaseLocation database(Map<String, String> env) throws InvalidConfigException {
        List<String> problems = new ArrayList<>();
        DatabaseLocation db = parseDatabase(resolve(env, "WEFT_DB"), resolve(env, "WEFT_DB_PASSWORD_FILE"), problems);
        if (!problems.isEmpty()) throw new InvalidConfigException(problems);
        return db;
    }

    /**
     * {@code WEFT_DB} and {@code WEFT_DB_PASSWORD_FILE}: what {@link DatabaseLocation#parse} makes of
     * the first, with the password read from the second (PostgreSQL only, and not both).
     */
    private static DatabaseLocation parseDatabase(String text, String passwordFile, List<String> problems) {
        if (text == null || text.isEmpty()) {
            problems.add("WEFT_DB: must not be empty");
            return null;
        }
        StringBuilder problem = new StringBuilder();
        Optional<DatabaseLocation> parsed = DatabaseLocation.parse(text, problem);
        if (parsed.isEmpty()) {
            problems.add("WEFT_DB: " + problem);
            return null;
        }
        if (passwordFile == null || passwordFile.isEmpty()) return parsed.get();
        if (!(parsed.get() instanceof DatabaseLocation.Postgres pg)) {
            problems.add("WEFT_DB_PASSWORD_FILE: only with a PostgreSQL WEFT_DB");
            return parsed.get();
        }
        if (pg.password() != null) {
            problems.add("WEFT_DB_PASSWORD_FILE: WEFT_DB already holds a password; give it in one place");
            return pg;
        }
        try {
            String content = java.nio.file.Files.readString(Path.of(passwordFile));
            int eol = content.indexOf('\n');
            // The first line, as written: only its line ending is not part of the password.
            String password = eol < 0 ? content : content.substring(0, eol);
            if (password.endsWith("\r")) password = password.substring(0, password.length() - 1);
            if (password.isEmpty()) problems.add("WEFT_DB_PASSWORD_FILE: " + passwordFile + " is empty");
            return pg.withPassword(password);
        } catch (java.io.IOException e) {
            problems.add("WEFT_DB_PASSWORD_FILE: cannot read " + passwordFile + ": " + e.getMessage());
            return pg;
        }
    }

    /** {@code WEFT_PUBLIC_URL}, or the hostname's URL; an http(s) URL with no query, fragment or trailing slash. */
    private static String publicUrl(String text, String hostname, boolean dev, List<String> problems) {
        if (text == null || text.isEmpty()) return hostname == null ? null : (dev ? "http://" : "https://") + hostname;
        String url = text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
        try {
            java.net.URI u = new java.net.URI(url);
            if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null
                    || u.getRawQuery() != null || u.getRawFragment() != null) {
                throw new java.net.URISyntaxException(url, "not a plain http(s) URL");
            }
        } catch (java.net.URISyntaxException e) {
            problems.add("WEFT_PUBLIC_URL: an http:// or https:// URL without query or fragment (e.g. https://ci.example.com), got " + text);
        }
        return url;
    }

    private static Map<String, String> nonNull(Map<String, String> env) {
        Map<String, String> out = new LinkedHashMap<>();
        env.forEach((k, val) -> {
            if (k != null && val != null) out.put(k, val);
        });
        return out;
    }

    private static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        if (s == null) return out;
        for (String p : s.split(",")) if (!p.isBlank()) out.add(p.strip());
        return out;
    }

    private static InetSocketAddress parseListen(String s, List<String> problems) {
        if (s == null) return null;
        int colon = s.lastIndexOf(':');
        if (colon < 0) {
            problems.add("WEFT_LISTEN: expected host:port, got " + s);
            return null;
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        try {
            int port = Integer.parseInt(s.substring(colon + 1));
            if (port < 0 || port > 65535) throw new NumberFormatException();
            return new InetSocketAddress(host.isEmpty() ? "0.0.0.0" : host, port);
        } catch (NumberFormatException e) {
            problems.add("WEFT_LISTEN: port must be 0..65535, got " + s);
            return null;
        }
    }

    private static boolean parseBool(String name, String s, List<String> problems) {
        if (s == null) return false;
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off", "" -> false;
            default -> {
                problems.add(name + ": expected true or false, got " + s);
                yield false;
            }
        };
    }

    private static Duration parseDuration(String name, String s, List<String> problems, boolean positive) {
        try {
            Duration d = GoDuration.parse(s);
            if (d.isNegative() || (positive && d.isZero())) {
                problems.add(name + ": must be " + (positive ? "positive" : "zero or more") + ", got " + s);
                return Duration.ZERO;
            }
            return d;
        } catch (IllegalArgumentException e) {
            problems.add(name + ": " + e.getMessage());
            return Duration.ZERO;
        }
    }

    /**
     * A path setting: its value when set, else {@code name} beside a SQLite database file, else (a
     * PostgreSQL database has no "beside") {@code name} in the working directory.
     */
    private static Path besideDatabase(String value, Path db, String name) {
        if (value != null && !value.isEmpty()) return Path.of(value);
        Path parent = db == null ? null : db.toAbsolutePath().getParent();
        return parent == null ? Path.of(name) : parent.resolve(name);
    }

    /** Lines for {@code --print-config}: each setting, its value and where it came from. */
    public List<String> describe() {
        List<String> out = new ArrayList<>();
        Map<String, String> shown = new LinkedHashMap<>();
        shown.put("WEFT_HOSTNAME", hostname);
        shown.put("WEFT_OWNER_DID", ownerDid);
        shown.put("WEFT_LISTEN", listen.getHostString() + ":" + listen.getPort());
        shown.put("WEFT_DB", db.toString());
        shown.put("WEFT_INSTANCE_ID", env.getOrDefault("WEFT_INSTANCE_ID", "").isBlank()
                ? "(host name and process id)" : env.get("WEFT_INSTANCE_ID").strip());
        shown.put("WEFT_DB_PASSWORD_FILE", env.getOrDefault("WEFT_DB_PASSWORD_FILE", ""));
        shown.put("WEFT_DEV", Boolean.toString(dev));
        shown.put("WEFT_KNOTS", String.join(",", knots));
        List<String> r = new ArrayList<>();
        if (acceptAllRepos) r.add("*");
        for (RepoKey k : repos) r.add(k.toString());
        for (StaticRepoDid d : repoDids) r.add(d.toString());
        shown.put("WEFT_REPOS", String.join(",", r));
        shown.put("WEFT_WORKFLOW_TIMEOUT", GoDuration.format(workflowTimeout));
        shown.put("WEFT_REPLAY_WINDOW", GoDuration.format(replayWindow));
        shown.put("WEFT_EVENTS_SKEW", GoDuration.format(eventsSkew));
        shown.put("WEFT_FIRST_STATUS_DELAY", GoDuration.format(firstStatusDelay));
        shown.put("WEFT_STATUS_GAP", GoDuration.format(statusGap));
        shown.put("WEFT_JETSTREAM", jetstream.isEmpty() ? "(off: static mode only)" : jetstream);
        shown.put("WEFT_PLC_URL", plcUrl);
        shown.put("WEFT_SECRETS_KEY_FILE", secretsKeyFile.toString());
        shown.put("WEFT_WORKFLOW_FETCH_TIMEOUT", GoDuration.format(workflowFetchTimeout));
        shown.put("WEFT_LEASE_TTL", GoDuration.format(leaseTtl));
        shown.put("WEFT_LEASE_RENEW", GoDuration.format(leaseRenew));
        shown.put("WEFT_GIT_CACHE_DIR", gitCacheDir.toString());
        shown.put("WEFT_PUBLIC_URL", publicUrl);
        shown.put("WEFT_CONSOLE", console ? "on" : "off");
        shown.put("WEFT_ADMIN_TOKEN_FILE", adminTokenFile == null ? "(none: the console is read-only)" : adminTokenFile.toString());
        shown.put("WEFT_PLUGINS_DIR", pluginsDir.toString());
        shown.forEach((k, val) -> out.add(k + "=" + val + "  (" + sources.getOrDefault(k, "default") + ")"));
        // Everything else weft reads is a provider's (WEFT_<ENGINE>_*, tack's TACK_BUILDKITE_*).
        java.util.Set<String> core = new java.util.HashSet<>();
        for (Setting s : SETTINGS) {
            core.add(s.variable());
            core.addAll(s.aliases());
        }
        new java.util.TreeMap<>(env).forEach((k, val) -> {
            if (core.contains(k) || !(k.startsWith("WEFT_") || k.startsWith("TACK_"))) return;
            out.add(k + "=" + redact(k, val) + "  (provider setting)");
        });
        return out;
    }

    /** A value as --print-config shows it: secrets (by variable name) as {@code <redacted>}. */
    public static String redact(String variable, String value) {
        if (value == null || value.isEmpty()) return value;
        if (variable.endsWith("_FILE") || variable.endsWith("_PATH")) return value;
        return SECRET_NAME.matcher(variable).matches() ? "<redacted>" : value;
    }

    /**
     * One setting's effective value, by its variable, aliases and default, without validating the
     * rest (for commands that only need the database, say).
     */
    public static String resolve(Map<String, String> env, String variable) {
        for (Setting s : SETTINGS) {
            if (!s.variable().equals(variable)) continue;
            String v = env.get(variable);
            if (v != null && !v.isBlank()) return v.strip();
            for (String a : s.aliases()) {
                String av = env.get(a);
                if (av != null && !av.isBlank()) return av.strip();
            }
            return s.defaultValue();
        }
        throw new IllegalArgumentException("unknown setting " + variable);
    }
}
