package dev.weft.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.net.BoundedFetch;
import dev.weft.net.Deadline;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Resolves DIDs to their documents: {@code did:plc} from the PLC directory
 * ({@code <plcUrl>/<did>}), {@code did:web} from {@code https://<host>/.well-known/did.json} (only
 * host-level did:web, as atproto allows; {@code http} in dev mode). Documents are cached for a TTL;
 * {@link #resolveFresh} bypasses the cache (after a key rotation). A fetch ends by its timeout
 * (body included) or the caller's {@link Deadline}, and reads at most 256 KiB: the DID to resolve
 * comes from an unauthenticated token, so its host must not be able to hold a request. Thread-safe.
 */
public final class DidResolver implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PLC = Pattern.compile("did:plc:[a-z2-7]{24}");
    private static final Pattern WEB_HOST = Pattern.compile("[A-Za-z0-9.\\-]+(:[0-9]{1,5})?");
    private static final int MAX_BYTES = 256 * 1024;

    private final String plcUrl;
    private final String webScheme;
    private final Duration ttl;
    private final Clock clock;
    private final BoundedFetch http;
    private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();

    private record Cached(DidDocument doc, Instant until) {
    }

    /** A resolved document and whether it came from the cache. */
    public record Resolved(DidDocument doc, boolean cached) {
    }

    /**
     * @param plcUrl    the PLC directory ({@code WEFT_PLC_URL}, default {@code https://plc.directory})
     * @param webScheme {@code https}, or {@code http} in dev mode
     * @param ttl       how long a resolved document is reused
     * @param timeout   the most one fetch may take, connect to the last body byte
     */
    public DidResolver(String plcUrl, String webScheme, Duration ttl, Duration timeout, Clock clock) {
        this.plcUrl = stripSlash(Objects.requireNonNull(plcUrl, "plcUrl"));
        this.webScheme = Objects.requireNonNull(webScheme, "webScheme");
        this.ttl = Objects.requireNonNull(ttl, "ttl");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.http = new BoundedFetch(Objects.requireNonNull(timeout, "timeout"), MAX_BYTES);
    }

    /** The document of {@code did}, from the cache while fresh. */
    public Resolved resolve(String did) throws ResolutionException {
        return resolve(did, Deadline.none());
    }

    /** {@link #resolve(String)}, fetching only until {@code deadline} (the caller's request budget). */
    public Resolved resolve(String did, Deadline deadline) throws ResolutionException {
        Cached c = cache.get(did);
        if (c != null && clock.instant().isBefore(c.until())) return new Resolved(c.doc(), true);
        return new Resolved(resolveFresh(did, deadline), false);
    }

    /** The document of {@code did}, fetched now (and cached). */
    public DidDocument resolveFresh(String did) throws ResolutionException {
        return resolveFresh(did, Deadline.none());
    }

    /** {@link #resolveFresh(String)}, fetching only until {@code deadline}. */
    public DidDocument resolveFresh(String did, Deadline deadline) throws ResolutionException {
        URI uri = documentUri(did);
        DidDocument doc = new DidDocument(did, fetch(did, uri, deadline));
        String id = doc.json().path("id").asText("");
        if (!id.equals(did)) throw new ResolutionException("DID document at " + uri + " is for " + id + ", not " + did);
        cache.put(did, new Cached(doc, clock.instant().plus(ttl)));
        return doc;
    }

    /** Forgets a cached document. */
    public void evict(String did) {
        cache.remove(did);
    }

    URI documentUri(String did) throws ResolutionException {
        if (did == null) throw new ResolutionException("no DID");
        if (did.startsWith("did:plc:")) {
            if (!PLC.matcher(did).matches()) throw new ResolutionException("malformed did:plc: " + did);
            return URI.create(plcUrl + "/" + did);
        }
        if (did.startsWith("did:web:")) {
            String host = did.substring("did:web:".length()).replace("%3A", ":").replace("%3a", ":");
            if (!WEB_HOST.matcher(host).matches()) {
                throw new ResolutionException("unsupported did:web (atproto allows a bare host[:port]): " + did);
            }
            return URI.create(webScheme + "://" + host + "/.well-known/did.json");
        }
        throw new ResolutionException("unsupported DID method: " + did);
    }

    private JsonNode fetch(String did, URI uri, Deadline deadline) throws ResolutionException {
        BoundedFetch.Response resp;
        try {
            resp = http.get(uri, "application/json", deadline);
        } catch (BoundedFetch.FetchException e) {
            throw new ResolutionException("resolving " + did + " at " + uri + ": " + e.getMessage());
        }
        if (resp.status() == 404 || resp.status() == 410) {
            throw new ResolutionException("unknown DID " + did + " (" + uri + " answered " + resp.status() + ")");
        }
        if (resp.status() != 200) {
            throw new ResolutionException("resolving " + did + ": " + uri + " answered " + resp.status());
        }
        try {
            JsonNode n = JSON.readTree(resp.body());
            if (n == null || !n.isObject()) throw new ResolutionException("DID document of " + did + " is not a JSON object");
            return n;
        } catch (IOException e) {
            throw new ResolutionException("DID document of " + did + " at " + uri + " is not JSON: " + e.getMessage());
        }
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    /** A DID that cannot be resolved: unknown, malformed, or its host failed. */
    public static final class ResolutionException extends Exception {
        public ResolutionException(String message) {
            super(message);
        }
    }

    /** Ends the HTTP client (and any fetch under way); the resolver is not used after this. */
    @Override
    public void close() {
        http.close();
    }
}
