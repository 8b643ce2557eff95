package dev.weft.pulls;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.auth.DidDocument;
import dev.weft.auth.DidResolver;
import dev.weft.net.BoundedFetch;
import dev.weft.net.Deadline;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@link PatchSource} over the network: finds the author's PDS in their DID document (the
 * {@code #atproto_pds} service, through the shared {@link DidResolver}, as
 * {@link dev.weft.xrpc.RepoResolver} does) and reads from it with {@link BoundedFetch}.
 *
 * <p>Everything here is chosen by the PR's author: the DID document, so the PDS host, and what that
 * host answers. Hence: one {@link Deadline} per call over the DID lookup, the host lookup and the
 * fetch; a cap on the compressed blob and a separate one on what it inflates to (a gzip bomb stops
 * there); the PDS must resolve only to global unicast addresses ({@link AddressPolicy}: no private,
 * link-local, multicast or other special-purpose ones, loopback only in dev) and use {@code https}
 * ({@code http} only in dev); redirects are not followed. Every failure is a {@link PatchException}
 * naming what went wrong.
 *
 * <p>The address check and the fetch each look the host up, so a PDS host whose DNS answers
 * differently within the JVM's DNS cache lifetime could still pass one address and connect to
 * another; the cache (30 s by default) makes the second lookup answer like the first in practice.
 *
 * <p>Thread-safe.
 */
public final class PdsPatchSource implements PatchSource, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param budget         the most one call may take: DID document, host lookup and fetch together
     * @param maxBlobBytes   the largest compressed patch blob read
     * @param maxPatchBytes  the most a blob may inflate to (the spindle's own limit is 15 MiB)
     * @param maxRecordBytes the largest pull record read
     */
    public record Limits(Duration budget, int maxBlobBytes, long maxPatchBytes, int maxRecordBytes) {
        public Limits {
            Objects.requireNonNull(budget, "budget");
            if (budget.isNegative() || budget.isZero()) throw new IllegalArgumentException("budget " + budget);
            if (maxBlobBytes <= 0 || maxPatchBytes <= 0 || maxRecordBytes <= 0) {
                throw new IllegalArgumentException("limits must be positive");
            }
        }

        /** 15 s a call, 4 MiB compressed, 15 MiB inflated, 256 KiB a record. */
        public static Limits defaults() {
            return new Limits(Duration.ofSeconds(15), 4 << 20, 15L << 20, 256 << 10);
        }
    }

    private final DidResolver dids;
    private final boolean dev;
    private final Limits limits;
    private final BoundedFetch blobs;
    private final BoundedFetch records;

    /**
     * @param dids   the shared resolver (this source does not close it)
     * @param dev    dev mode: a PDS on loopback and over plain {@code http} is accepted
     */
    public PdsPatchSource(DidResolver dids, boolean dev, Limits limits) {
        this.dids = Objects.requireNonNull(dids, "dids");
        this.dev = dev;
        this.limits = Objects.requireNonNull(limits, "limits");
        this.blobs = new BoundedFetch(limits.budget(), limits.maxBlobBytes());
        this.records = new BoundedFetch(limits.budget(), limits.maxRecordBytes());
    }

    @Override
    public Optional<JsonNode> pullRecord(String authorDid, String rkey) throws PatchException {
        Deadline deadline = Deadline.after(limits.budget());
        String what = "at://" + authorDid + "/" + PullRecords.PULL + "/" + rkey;
        URI pds = pds(authorDid, deadline);
        URI uri = URI.create(pds + "/xrpc/com.atproto.repo.getRecord?repo=" + enc(authorDid)
                + "&collection=" + PullRecords.PULL + "&rkey=" + enc(rkey));
        BoundedFetch.Response resp = get(records, uri, "application/json", deadline, what);
        if (resp.status() == 400 || resp.status() == 404) return Optional.empty(); // RecordNotFound
        if (resp.status() != 200) {
            throw new PatchException(PatchException.Reason.UNREACHABLE, "reading " + what + " from " + pds
                    + ": status " + resp.status());
        }
        try {
            JsonNode value = JSON.readTree(resp.body()).path("value");
            if (!value.isObject()) {
                throw new PatchException(PatchException.Reason.UNREACHABLE, "reading " + what + " from " + pds
                        + ": the answer holds no record value");
            }
            return Optional.of(value);
        } catch (IOException e) {
            throw new PatchException(PatchException.Reason.UNREACHABLE, "reading " + what + " from " + pds
                    + ": not JSON: " + e.getMessage());
        }
    }

    @Override
    public String lastPatchSha(String authorDid, String blobCid) throws PatchException {
        Deadline deadline = Deadline.after(limits.budget());
        String what = "blob " + blobCid + " of " + authorDid;
        URI pds = pds(authorDid, deadline);
        URI uri = URI.create(pds + "/xrpc/com.atproto.sync.getBlob?did=" + enc(authorDid) + "&cid=" + enc(blobCid));
        BoundedFetch.Response resp = get(blobs, uri, "*/*", deadline, what);
        if (resp.status() != 200) {
            throw new PatchException(PatchException.Reason.UNREACHABLE, "reading " + what + " from " + pds
                    + ": status " + resp.status());
        }
        try {
            return PatchBlobs.lastPatchSha(resp.body(), limits.maxPatchBytes());
        } catch (PatchException e) {
            throw new PatchException(e.reason(), what + " from " + pds + ": " + e.getMessage());
        }
    }

    /** The author's PDS base URL (no trailing slash), once its scheme and addresses pass. */
    private URI pds(String did, Deadline deadline) throws PatchException {
        DidDocument doc;
        try {
            doc = dids.resolve(did, deadline).doc();
        } catch (DidResolver.ResolutionException e) {
            throw new PatchException(PatchException.Reason.UNREACHABLE, e.getMessage());
        }
        String endpoint = doc.pds().orElseThrow(() -> new PatchException(PatchException.Reason.UNREACHABLE,
                "DID document of " + did + " names no #atproto_pds service"));
        URI pds = checkedUrl(did, endpoint);
        for (InetAddress a : lookup(pds.getHost(), deadline)) {
            Optional<String> why = AddressPolicy.refusal(a, dev);
            if (why.isPresent()) {
                throw new PatchException(PatchException.Reason.REFUSED_ADDRESS, "PDS " + endpoint + " of " + did
                        + " resolves to " + a.getHostAddress() + ": " + why.get());
            }
        }
        if (!pds.getScheme().equals("https") && !dev) {
            throw new PatchException(PatchException.Reason.REFUSED_ADDRESS, "PDS " + endpoint + " of " + did
                    + " is not https (plain http only in dev mode)");
        }
        return pds;
    }

    private static URI checkedUrl(String did, String endpoint) throws PatchException {
        try {
            URI u = new URI(endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint);
            boolean web = "https".equals(u.getScheme()) || "http".equals(u.getScheme());
            if (web && u.getHost() != null && u.getRawUserInfo() == null && u.getRawQuery() == null
                    && u.getRawFragment() == null) {
                return u;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        throw new PatchException(PatchException.Reason.REFUSED_ADDRESS,
                "DID document of " + did + " names an unusable PDS URL: " + endpoint);
    }

    /** The host's addresses, within the deadline: a lookup can hang as long as a fetch. */
    private static InetAddress[] lookup(String host, Deadline deadline) throws PatchException {
        // URI keeps IPv6 literals bracketed; the resolver wants them bare.
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        FutureTask<InetAddress[]> task = new FutureTask<>(() -> InetAddress.getAllByName(bare));
        Thread.ofVirtual().name("pulls-dns").start(task);
        try {
            return task.get(deadline.remaining(Duration.ofDays(1)).toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            task.cancel(true);
            throw new PatchException(PatchException.Reason.UNREACHABLE, "looking up " + host + " timed out");
        } catch (ExecutionException e) {
            String why = e.getCause() instanceof UnknownHostException ? "unknown host" : String.valueOf(e.getCause());
            throw new PatchException(PatchException.Reason.UNREACHABLE, "looking up " + host + ": " + why);
        } catch (InterruptedException e) {
            task.cancel(true);
            Thread.currentThread().interrupt();
            throw new PatchException(PatchException.Reason.UNREACHABLE, "interrupted looking up " + host);
        }
    }

    private static BoundedFetch.Response get(BoundedFetch fetch, URI uri, String accept, Deadline deadline, String what)
            throws PatchException {
        try {
            return fetch.get(uri, accept, deadline);
        } catch (BoundedFetch.FetchException e) {
            PatchException.Reason r = e.kind() == BoundedFetch.FetchException.Kind.TOO_LARGE
                    ? PatchException.Reason.TOO_LARGE : PatchException.Reason.UNREACHABLE;
            throw new PatchException(r, "reading " + what + ": " + e.getMessage());
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Ends the HTTP clients (and fetches under way); the DID resolver is its owner's to close. */
    @Override
    public void close() {
        blobs.close();
        records.close();
    }
}
