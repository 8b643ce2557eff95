package dev.weft.xrpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.auth.DidDocument;
import dev.weft.auth.DidResolver;
import dev.weft.model.AtSyntax;
import dev.weft.model.RepoRef;
import dev.weft.net.BoundedFetch;
import dev.weft.net.Deadline;
import dev.weft.store.RegistryStore;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a repo at-uri ({@code at://<did>/sh.tangled.repo/<rkey>}, what the appview sends) into the
 * repository weft knows: (knot, did, name), or, when the record carries a {@code repoDid}
 * (upgraded knots, spec tangled-ci 3.7), that repo DID with (knot, did, record key), the key
 * triggers and registrations name such a repository by. First from the repo records the Jetstream delivered;
 * otherwise (static mode, or a record older than weft's subscription) by reading the record from
 * the owner's PDS ({@code com.atproto.repo.getRecord}, the PDS found in the DID document), cached
 * for the resolver's TTL. The PDS is named by a DID document, so it is fetched like the document:
 * within the timeout (body included) and the caller's {@link Deadline}, and at most 256 KiB.
 * Thread-safe.
 */
public final class RepoResolver implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern AT_URI = Pattern.compile("at://(did:[a-z]+:[A-Za-z0-9._:%\\-]+)/sh\\.tangled\\.repo/([A-Za-z0-9._:~\\-]{1,512})");
    private static final int MAX_BYTES = 256 * 1024;

    private final RegistryStore store;
    private final DidResolver dids;
    private final Duration ttl;
    private final Clock clock;
    private final BoundedFetch fetcher;
    private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();

    private record Cached(RepoRef repo, Instant until) {
    }

    /** A parsed repo at-uri. */
    public record RepoUri(String did, String rkey) {
        public String uri() {
            return "at://" + did + "/sh.tangled.repo/" + rkey;
        }
    }

    public RepoResolver(RegistryStore store, DidResolver dids, Duration ttl, Duration timeout, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.dids = Objects.requireNonNull(dids, "dids");
        this.ttl = Objects.requireNonNull(ttl, "ttl");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.fetcher = new BoundedFetch(Objects.requireNonNull(timeout, "timeout"), MAX_BYTES);
    }

    /** Ends the HTTP client (and any fetch under way); the resolver is not used after this. */
    @Override
    public void close() {
        fetcher.close();
    }

    /** Parses a repo at-uri; empty when it is not one. */
    public static Optional<RepoUri> parse(String uri) {
        if (uri == null) return Optional.empty();
        Matcher m = AT_URI.matcher(uri);
        return m.matches() ? Optional.of(new RepoUri(m.group(1), m.group(2))) : Optional.empty();
    }

    /**
     * The repository a record names.
     *
     * @return empty when the record does not exist
     * @throws DidResolver.ResolutionException when the owner's DID or PDS cannot be reached
     */
    public Optional<RepoRef> resolve(RepoUri uri) throws DidResolver.ResolutionException {
        return resolve(uri, Deadline.none());
    }

    /** {@link #resolve(RepoUri)}, reaching the owner's DID and PDS only until {@code deadline}. */
    public Optional<RepoRef> resolve(RepoUri uri, Deadline deadline) throws DidResolver.ResolutionException {
        Optional<RepoRef> known = store.repoRecord(uri.did(), uri.rkey());
        if (known.isPresent()) return known;
        Cached c = cache.get(uri.uri());
        if (c != null && clock.instant().isBefore(c.until())) return Optional.of(c.repo());
        Optional<RepoRef> fetched = fetch(uri, deadline);
        fetched.ifPresent(r -> cache.put(uri.uri(), new Cached(r, clock.instant().plus(ttl))));
        return fetched;
    }

    private Optional<RepoRef> fetch(RepoUri uri, Deadline deadline) throws DidResolver.ResolutionException {
        DidDocument doc = dids.resolve(uri.did(), deadline).doc();
        String pds = doc.pds().orElseThrow(() -> new DidResolver.ResolutionException(
                "DID document of " + uri.did() + " names no #atproto_pds service"));
        if (pds.endsWith("/")) pds = pds.substring(0, pds.length() - 1);
        URI u = URI.create(pds + "/xrpc/com.atproto.repo.getRecord?repo=" + enc(uri.did())
                + "&collection=sh.tangled.repo&rkey=" + enc(uri.rkey()));
        BoundedFetch.Response resp;
        try {
            resp = fetcher.get(u, "application/json", deadline);
        } catch (BoundedFetch.FetchException e) {
            throw new DidResolver.ResolutionException("reading " + uri.uri() + " from " + pds + ": " + e.getMessage());
        }
        if (resp.status() == 400 || resp.status() == 404) return Optional.empty(); // RecordNotFound
        if (resp.status() != 200) {
            throw new DidResolver.ResolutionException("reading " + uri.uri() + " from " + pds + ": status " + resp.status());
        }
        try {
            JsonNode value = JSON.readTree(resp.body()).path("value");
            String knot = value.path("knot").asText("");
            String name = value.path("name").asText("");
            String repoDid = value.path("repoDid").asText("");
            if (!knot.isEmpty() && !repoDid.isEmpty() && AtSyntax.did(repoDid).isEmpty()) {
                // As the Jetstream's records are kept (NetworkRecords): named by the record key.
                return Optional.of(new RepoRef(knot, uri.did(), uri.rkey(), "", repoDid));
            }
            if (knot.isEmpty() || name.isEmpty()) return Optional.empty();
            return Optional.of(new RepoRef(knot, uri.did(), name));
        } catch (IOException e) {
            throw new DidResolver.ResolutionException("reading " + uri.uri() + " from " + pds + ": " + e.getMessage());
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
