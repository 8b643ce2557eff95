package dev.weft.git;

import dev.weft.git.WorkflowFetchException.Failure;
import dev.weft.git.WorkflowFetchException.Limit;
import dev.weft.spi.Backoff;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import org.eclipse.jgit.errors.CorruptObjectException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.errors.NoRemoteRepositoryException;
import org.eclipse.jgit.errors.TransportException;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.EmptyProgressMonitor;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.FilterSpec;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.TagOpt;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the workflow files of one commit from a knot over git smart HTTP (spec 2.5).
 *
 * <p>The commit is fetched at depth 1 into a bare repository per repo DID under
 * {@link Options#cacheDir()}; a commit already there is read without contacting the knot. Only
 * regular files directly in {@code .tangled/workflows} are returned (no symlinks, submodules or
 * subdirectories), and {@link Limits} are checked against the object database's sizes before any
 * blob is loaded, so a hostile tree cannot make weft allocate more than the total limit.
 *
 * <p>Threads: {@link #fetch} blocks the calling thread and may be called from many at once. Calls
 * for one repo DID run one at a time; different repos run in parallel. A knot that is down, slow or
 * answering garbage is retried with backoff until {@link Options#fetchTimeout()}, each failure
 * logged; the call then fails with {@link Failure.TimedOut}. An interrupt ends the call with
 * {@link InterruptedException}: at once while waiting, and within one poll of the transfer or at
 * most {@link Options#transportTimeout()} while blocked on the network. The fetcher starts no
 * threads.
 *
 * <p>The per-repo locks live in the instance: use one fetcher per cache directory (two processes
 * or two fetchers sharing a directory would race on its repositories).
 *
 * <p>Constructing one makes JGit ignore the user's and system's git configuration process-wide
 * (see {@link IsolatedGitConfig}): fetches behave the same on every machine.
 */
public final class WorkflowFetcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkflowFetcher.class);

    /** Where workflow files live in a repo (spec 2.5). */
    public static final String WORKFLOW_DIR = ".tangled/workflows";

    private static final Pattern SHA = Pattern.compile("[0-9a-f]{40}");
    // The DID grammar of the AT Protocol; anything else would end up in a URL path and a file name.
    private static final Pattern DID = Pattern.compile("did:[a-z]+:[A-Za-z0-9._:%-]{1,2000}");

    /**
     * Bounds on what one commit's workflow directory may hold. Defaults: 500 files, 256 KiB per
     * file, 4 MiB in all; real workflow files are a few KiB.
     */
    public record Limits(int maxFiles, long maxFileBytes, long maxTotalBytes) {
        public static final Limits DEFAULTS = new Limits(500, 256 * 1024, 4 * 1024 * 1024);

        public Limits {
            if (maxFiles < 1 || maxFileBytes < 1 || maxTotalBytes < 1) {
                throw new IllegalArgumentException("limits must be positive: " + maxFiles + ", " + maxFileBytes + ", " + maxTotalBytes);
            }
            // Loaded whole into a byte[], so one file must fit in an array.
            if (maxFileBytes > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("maxFileBytes too large");
        }
    }

    /**
     * How the fetcher runs.
     *
     * @param cacheDir holds one bare repository per repo DID; created if absent
     * @param maxCachedRepos repos kept before the least recently used is deleted (default 200)
     * @param limits bounds on the workflow directory
     * @param fetchTimeout total time one {@link #fetch} call may spend retrying (default 10 min,
     *     {@code WEFT_WORKFLOW_FETCH_TIMEOUT})
     * @param transportTimeout connect and read timeout of one attempt (default 30 s; JGit takes
     *     whole seconds, so it is rounded up)
     * @param backoffInitial first wait after a retriable failure (default 1 s)
     * @param backoffMax longest wait between attempts (default 1 min)
     * @param partialFetch whether to try {@link PartialFetch} (git protocol v2, objects read in
     *     memory) before a depth-1 fetch into the cached repository (default on)
     */
    public record Options(Path cacheDir, int maxCachedRepos, Limits limits, Duration fetchTimeout,
                          Duration transportTimeout, Duration backoffInitial, Duration backoffMax, boolean partialFetch) {
        public Options {
            Objects.requireNonNull(cacheDir, "cacheDir");
            Objects.requireNonNull(limits, "limits");
            if (maxCachedRepos < 1) throw new IllegalArgumentException("maxCachedRepos must be at least 1");
            for (Duration d : List.of(fetchTimeout, transportTimeout, backoffInitial, backoffMax)) {
                if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("durations must be positive: " + d);
            }
        }

        public static Options defaults(Path cacheDir) {
            return new Options(cacheDir, 200, Limits.DEFAULTS, Duration.ofMinutes(10), Duration.ofSeconds(30),
                    Duration.ofSeconds(1), Duration.ofMinutes(1), true);
        }

        public Options withFetchTimeout(Duration d) {
            return new Options(cacheDir, maxCachedRepos, limits, d, transportTimeout, backoffInitial, backoffMax, partialFetch);
        }

        public Options withBackoff(Duration initial, Duration max) {
            return new Options(cacheDir, maxCachedRepos, limits, fetchTimeout, transportTimeout, initial, max, partialFetch);
        }

        public Options withLimits(Limits l) {
            return new Options(cacheDir, maxCachedRepos, l, fetchTimeout, transportTimeout, backoffInitial, backoffMax, partialFetch);
        }

        public Options withMaxCachedRepos(int n) {
            return new Options(cacheDir, n, limits, fetchTimeout, transportTimeout, backoffInitial, backoffMax, partialFetch);
        }

        /** Off: every fetch goes into the cached repository, as for a knot without protocol v2. */
        public Options withPartialFetch(boolean on) {
            return new Options(cacheDir, maxCachedRepos, limits, fetchTimeout, transportTimeout, backoffInitial, backoffMax, on);
        }

        public Options withTransportTimeout(Duration d) {
            return new Options(cacheDir, maxCachedRepos, limits, fetchTimeout, d, backoffInitial, backoffMax, partialFetch);
        }
    }

    private final Options options;
    private final RepoCache cache;
    private final MeterRegistry registry;
    private final Counter retries;
    /** Null when {@link Options#partialFetch()} is off. */
    private final PartialFetch partial;
    private final dev.weft.net.BoundedFetch partialHttp;
    /** Knots (host and port) that do not answer partial fetches, until when ({@link System#nanoTime()}). */
    private final java.util.concurrent.ConcurrentHashMap<String, Long> noPartial = new java.util.concurrent.ConcurrentHashMap<>();

    /** Partial fetches in a row that failed, by knot; cleared by a success. */
    private final java.util.concurrent.ConcurrentHashMap<String, Integer> partialFailures = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Failures in a row after which a knot is fetched from the full way for a while, whatever they
     * were: a server that answers a v2 request with an HTTP error rather than a v0 answer would
     * otherwise cost a wasted request on every push.
     */
    static final int PARTIAL_FAILURES_IN_A_ROW = 3;

    /** How long a knot that does not speak protocol v2 is fetched from the full way before trying again. */
    static final Duration PARTIAL_RETRY_AFTER = Duration.ofMinutes(10);

    /**
     * @param registry where {@code weft.workflow.fetches{outcome}} and {@code weft.workflow.fetch.retries}
     *     are counted, or null for none
     * @throws IOException when the cache directory cannot be created or listed
     */
    public WorkflowFetcher(Options options, MeterRegistry registry) throws IOException {
        this.options = Objects.requireNonNull(options, "options");
        IsolatedGitConfig.install();
        this.cache = new RepoCache(options.cacheDir(), options.maxCachedRepos());
        this.registry = registry;
        this.retries = registry == null ? null
                : Counter.builder("weft.workflow.fetch.retries")
                        .description("Workflow fetch attempts that failed and were retried").register(registry);
        if (options.partialFetch()) {
            this.partialHttp = new dev.weft.net.BoundedFetch(options.transportTimeout(), PartialFetch.maxAnswerBytes(options.limits()));
            this.partial = new PartialFetch(partialHttp, options.limits(), 32L << 20);
        } else {
            this.partialHttp = null;
            this.partial = null;
        }
    }

    /** Ends the HTTP client of partial fetches (its selector thread); fetches under way then fail. */
    @Override
    public void close() {
        if (partialHttp != null) partialHttp.close();
    }

    /** {@code https://<knot>}, or {@code http://<knot>} in dev mode ({@code WEFT_DEV}). */
    public static URI knotBase(String knotHost, boolean dev) {
        return URI.create((dev ? "http://" : "https://") + knotHost);
    }

    /** The clone URL of a repo on a knot: {@code <knot base>/<repo DID>}. */
    public static URI repoUrl(URI knotBase, String repoDid) {
        String base = knotBase.toString();
        return URI.create((base.endsWith("/") ? base : base + "/") + repoDid);
    }

    /**
     * The workflow files of {@code commit} in the repo {@code repoDid} served by the knot at
     * {@code knotBase}.
     *
     * @throws WorkflowFetchException with a {@link Failure} that is never retriable: the knot kept
     *     failing until the deadline ({@link Failure.TimedOut}), or the repo, the commit or the
     *     workflow directory is unusable and retrying cannot help
     * @throws InterruptedException when the calling thread is interrupted (weft is stopping)
     */
    public WorkflowFiles fetch(URI knotBase, String repoDid, String commit)
            throws WorkflowFetchException, InterruptedException {
        return fetch(knotBase, repoDid, commit, options.fetchTimeout(), failure -> { });
    }

    /**
     * {@link #fetch(URI, String, String)}, telling {@code onRetry} of each failed attempt that will
     * be retried, so that a caller can show the operator why a push is still waiting.
     */
    public WorkflowFiles fetch(URI knotBase, String repoDid, String commit, java.util.function.Consumer<Failure> onRetry)
            throws WorkflowFetchException, InterruptedException {
        return fetch(knotBase, repoDid, commit, options.fetchTimeout(), onRetry);
    }

    /**
     * {@link #fetch(URI, String, String)} within {@code within} when that is shorter than
     * {@link Options#fetchTimeout()}: for a caller that must answer sooner, such as an XRPC query
     * with a request budget of seconds. The bound covers waiting behind another fetch of the repo,
     * every attempt and every backoff; JGit's own timeout takes whole seconds, so one blocked read
     * may overrun it by less than a second.
     */
    public WorkflowFiles fetch(URI knotBase, String repoDid, String commit, Duration within)
            throws WorkflowFetchException, InterruptedException {
        return fetch(knotBase, repoDid, commit, within, failure -> { });
    }

    private WorkflowFiles fetch(URI knotBase, String repoDid, String commit, Duration within,
                                java.util.function.Consumer<Failure> onRetry)
            throws WorkflowFetchException, InterruptedException {
        Objects.requireNonNull(within, "within");
        Duration limit = within.compareTo(options.fetchTimeout()) < 0 ? within : options.fetchTimeout();
        String sha = commit == null ? "" : commit.toLowerCase(Locale.ROOT);
        try {
            if (repoDid == null || !DID.matcher(repoDid).matches()) {
                throw fail(new Failure.InvalidRequest("not a DID: " + repoDid), null);
            }
            if (!SHA.matcher(sha).matches()) {
                throw fail(new Failure.InvalidRequest("not a 40-hex commit id: " + commit), null);
            }
            URI url = repoUrl(Objects.requireNonNull(knotBase, "knotBase"), repoDid);
            // One deadline for the whole call, waiting behind another fetch of the repo included:
            // the caller was promised an answer within fetchTimeout.
            long start = System.nanoTime();
            long deadline = start + Math.max(0, limit.toNanos());
            RepoCache.Slot slot = cache.acquire(repoDid, deadline);
            if (slot == null) {
                throw fail(new Failure.TimedOut(limit, 0, new Failure.KnotUnreachable(
                        "another fetch of " + repoDid + " from " + url + " held the repo all along")), null);
            }
            try {
                WorkflowFiles files = partially(url, ObjectId.fromString(sha), deadline);
                if (files == null) files = fetchWithRetries(slot.dir, url, repoDid, sha, start, deadline, onRetry);
                count("ok");
                return files;
            } finally {
                cache.release(slot);
            }
        } catch (WorkflowFetchException e) {
            count(e.failure().kind());
            log.warn("workflow fetch failed: knot={} repo={} sha={}: {}", knotBase, repoDid, sha, e.getMessage());
            throw e;
        } catch (InterruptedException e) {
            count("interrupted");
            throw e;
        }
    }

    /**
     * The files by {@link PartialFetch}, or null when the knot did not answer that way (or the
     * fetcher does not try it): the caller then fetches into the cached repository, with retries.
     */
    private WorkflowFiles partially(URI url, ObjectId id, long deadline)
            throws WorkflowFetchException, InterruptedException {
        if (partial == null) return null;
        String knot = url.getAuthority();
        Long until = noPartial.get(knot);
        if (until != null) {
            if (System.nanoTime() - until < 0) return null;
            noPartial.remove(knot, until);
        }
        try {
            WorkflowFiles files = new WorkflowFiles(id.name(), partial.files(url, id, deadline));
            partialFailures.remove(knot);
            return files;
        } catch (PartialFetch.Unavailable e) {
            // Knot hosts come from registered repositories; the bound only guards against a flood of them.
            if (partialFailures.size() > 10_000) partialFailures.clear();
            int inARow = partialFailures.merge(knot, 1, Integer::sum);
            if (e.protocol || inARow >= PARTIAL_FAILURES_IN_A_ROW) {
                partialFailures.remove(knot);
                noPartial.put(knot, System.nanoTime() + PARTIAL_RETRY_AFTER.toNanos());
                log.info("knot {} does not answer git protocol v2 partial fetches ({}{}); fetching whole commits from it for {} min",
                        knot, e.protocol ? "" : inARow + " failures in a row, the last: ", e.getMessage(),
                        PARTIAL_RETRY_AFTER.toMinutes());
            } else {
                log.info("partial fetch of {} from {} failed, fetching the whole commit: {}", id.name(), url, e.getMessage());
            }
            count("partial-fallback");
            return null;
        }
    }

    private void count(String outcome) {
        if (registry != null) {
            Counter.builder("weft.workflow.fetches").description("Workflow fetches by outcome")
                    .tag("outcome", outcome).register(registry).increment();
        }
    }

    private static WorkflowFetchException fail(Failure f, Throwable cause) {
        return new WorkflowFetchException(f, cause);
    }

    private WorkflowFiles fetchWithRetries(Path dir, URI url, String repoDid, String sha, long start, long deadline,
                                           java.util.function.Consumer<Failure> onRetry)
            throws WorkflowFetchException, InterruptedException {
        Backoff backoff = new Backoff(options.backoffInitial(), options.backoffMax());
        for (int attempt = 1; ; attempt++) {
            if (Thread.interrupted()) throw new InterruptedException();
            try {
                return attempt(dir, url, sha, deadline);
            } catch (WorkflowFetchException e) {
                if (!e.failure().retriable()) throw e;
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    Duration after = Duration.ofMillis((System.nanoTime() - start) / 1_000_000);
                    throw fail(new Failure.TimedOut(after, attempt, e.failure()), e.getCause());
                }
                Duration wait = backoff.next();
                if (wait.toNanos() > remaining) wait = Duration.ofNanos(remaining);
                log.warn("workflow fetch attempt {} failed, retrying in {} ms: url={} repo={} sha={}: {}",
                        attempt, wait.toMillis(), url, repoDid, sha, e.getMessage());
                if (retries != null) retries.increment();
                try {
                    onRetry.accept(e.failure());
                } catch (RuntimeException listener) {
                    log.warn("workflow fetch retry listener failed: {}", listener.toString());
                }
                if (attempt == 2) {
                    // A damaged shallow file or pack can make the transfer itself fail and pass
                    // for a knot problem; starting the cache afresh costs one commit's fetch.
                    RepoCache.wipe(dir);
                }
                Thread.sleep(wait);
            }
        }
    }

    /**
     * One attempt. A cache directory that cannot be opened or read is wiped and fetched afresh once:
     * a crash mid-write or a disk problem must not wedge a repo forever.
     */
    private WorkflowFiles attempt(Path dir, URI url, String sha, long deadline)
            throws WorkflowFetchException, InterruptedException {
        ObjectId id = ObjectId.fromString(sha);
        for (int round = 0; ; round++) {
            try {
                return fetchAndRead(dir, url, id, deadline);
            } catch (LocalCacheBroken e) {
                if (round > 0) {
                    if (e.getCause() instanceof MissingObjectException m && id.equals(m.getObjectId())) {
                        throw fail(new Failure.CommitNotFound(id.name(), "the knot at " + url + " sent no such commit"), m);
                    }
                    throw fail(new Failure.RepositoryBroken("objects for " + sha + " from " + url
                            + " cannot be read even after a fresh fetch: " + e.getCause()), e.getCause());
                }
                log.warn("git cache: wiping {} and fetching again: {}", dir, e.getCause().toString());
                RepoCache.wipe(dir);
            }
        }
    }

    /** Packs one cached repo may collect (one per fetched commit) before it is started afresh. */
    static final int MAX_PACKS_PER_REPO = 50;

    private static long packCount(Path dir) {
        try (var packs = Files.list(dir.resolve("objects").resolve("pack"))) {
            return packs.filter(p -> p.getFileName().toString().endsWith(".pack")).count();
        } catch (IOException e) {
            return 0;
        }
    }

    /** A local IO failure on the cached repository, as opposed to one from the knot. */
    private static final class LocalCacheBroken extends Exception {
        LocalCacheBroken(Throwable cause) {
            super(cause);
        }
    }

    private WorkflowFiles fetchAndRead(Path dir, URI url, ObjectId id, long deadline)
            throws WorkflowFetchException, InterruptedException, LocalCacheBroken {
        Repository repo;
        try {
            repo = new FileRepository(dir.toFile());
            if (!Files.isDirectory(dir.resolve("objects"))) {
                repo.create(true);
                // No automatic gc: it runs in a thread of JGit's own that would outlive the fetch
                // and race a wipe of the directory; the pack bound below starts a cache afresh.
                repo.getConfig().setInt("gc", null, "auto", 0);
                repo.getConfig().setInt("gc", null, "autoPackLimit", 0);
                repo.getConfig().save();
            }
        } catch (IOException | RuntimeException e) {
            // JGit reports an unreadable config as IllegalArgumentException.
            throw new LocalCacheBroken(e);
        }
        try (repo) {
            boolean have;
            try {
                have = repo.getObjectDatabase().has(id);
            } catch (IOException e) {
                throw new LocalCacheBroken(e);
            }
            if (!have) {
                if (packCount(dir) >= MAX_PACKS_PER_REPO) {
                    // Every fetch adds a pack. Rather than run gc on a cache, start it afresh: the
                    // next fetch needs only this commit anyway.
                    throw new LocalCacheBroken(new IOException(MAX_PACKS_PER_REPO + " packs accumulated"));
                }
                fetchCommit(repo, dir, url, id, deadline);
            }
            try {
                return read(repo, id);
            } catch (IOException e) {
                // Includes the commit itself missing after a fetch that reported success: a cache
                // whose state misled the negotiation. Wiped and fetched afresh, a still-missing
                // commit means the knot does not have it (see attempt).
                throw new LocalCacheBroken(e);
            }
        }
    }

    private void fetchCommit(Repository repo, Path dir, URI url, ObjectId id, long deadline)
            throws WorkflowFetchException, InterruptedException, LocalCacheBroken {
        long remainingSec = Math.max(1, (deadline - System.nanoTime() + 999_999_999L) / 1_000_000_000L);
        long transportSec = (options.transportTimeout().toMillis() + 999) / 1000;
        int timeout = (int) Math.min(Math.min(remainingSec, transportSec), Integer.MAX_VALUE);
        long t0 = System.nanoTime();
        try {
            try {
                fetchOnce(repo, url, id, timeout, deadline, true);
            } catch (TransportException e) {
                if (!messages(e).contains("filter requires server to advertise")) throw e;
                // A knot without uploadpack.allowFilter: fetch whole blobs; the size checks in
                // read() still keep large ones out of memory, only the disk sees them.
                log.info("knot at {} does not support partial fetch; fetching {} with all blobs", url, id.name());
                fetchOnce(repo, url, id, timeout, deadline, false);
            }
            log.info("fetched {} from {} in {} ms", id.name(), url, (System.nanoTime() - t0) / 1_000_000);
        } catch (URISyntaxException e) {
            throw fail(new Failure.InvalidRequest("bad repo URL " + url + ": " + e.getMessage()), e);
        } catch (TransportException e) {
            if (Thread.interrupted()) throw new InterruptedException("workflow fetch interrupted");
            // JGit names the local file it could not use (a damaged shallow file, say): our side.
            if (messages(e).contains(dir.toString())) throw new LocalCacheBroken(e);
            Failure f = classify(e, url, id);
            if (f instanceof Failure.KnotUnreachable && isProtocolError(e)) {
                f = probeWant(repo, url, id, timeout, f);
            }
            throw fail(f, e);
        } catch (org.eclipse.jgit.errors.NotSupportedException e) {
            throw fail(new Failure.InvalidRequest("unsupported repo URL " + url + ": " + e.getMessage()), e);
        }
    }

    /**
     * One depth-1 fetch of the commit. With {@code filterBlobs}, blobs larger than a workflow file
     * are left on the knot ({@code blob:limit}): a repo's other big files never reach the disk,
     * and a missing blob in the workflow directory means "too large" (see read()).
     */
    private void fetchOnce(Repository repo, URI url, ObjectId id, int timeout, long deadline, boolean filterBlobs)
            throws URISyntaxException, TransportException, org.eclipse.jgit.errors.NotSupportedException {
        try (Transport tn = Transport.open(repo, new URIish(url.toString()))) {
            tn.setTimeout(timeout);
            tn.setDepth(1);
            tn.setTagOpt(TagOpt.NO_TAGS);
            if (filterBlobs) {
                try {
                    // git omits blobs "of size at least n": +1 keeps a file of exactly the limit.
                    tn.setFilterSpec(FilterSpec.fromFilterLine("blob:limit=" + (options.limits().maxFileBytes() + 1)));
                } catch (org.eclipse.jgit.errors.PackProtocolException e) {
                    throw new IllegalStateException("JGit refused a well-formed filter", e);
                }
            }
            tn.fetch(new Cancel(deadline), List.of(new RefSpec(id.name())));
        }
    }

    /**
     * Whether the knot answered, but not with what a shallow fetch expects. JGit's shallow
     * negotiation swallows the server's {@code ERR upload-pack: not our ref <sha>} line and reports
     * only that the response ended early, so a missing commit looks like this.
     */
    private static boolean isProtocolError(TransportException e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof org.eclipse.jgit.errors.PackProtocolException) return true;
            String m = c.getMessage();
            if (m != null && m.contains("without written request data")) return true;
        }
        return false;
    }

    /**
     * Asks for the commit once more without depth, where JGit does report the server's refusal,
     * and stops as soon as the knot starts sending objects: that answer alone says whether the
     * commit exists. Returns {@link Failure.CommitNotFound} if refused, else {@code otherwise}.
     */
    private static Failure probeWant(Repository repo, URI url, ObjectId id, int timeout, Failure otherwise)
            throws InterruptedException {
        try (Transport tn = Transport.open(repo, new URIish(url.toString()))) {
            tn.setTimeout(timeout);
            tn.setTagOpt(TagOpt.NO_TAGS);
            tn.fetch(new EmptyProgressMonitor() {
                private volatile boolean started;

                @Override
                public void beginTask(String title, int totalWork) {
                    started = true;
                }

                @Override
                public boolean isCancelled() {
                    return started || Thread.currentThread().isInterrupted();
                }
            }, List.of(new RefSpec(id.name())));
        } catch (TransportException e) {
            if (Thread.interrupted()) throw new InterruptedException("workflow fetch interrupted");
            Failure f = classify(e, url, id);
            if (f instanceof Failure.CommitNotFound) return f;
        } catch (URISyntaxException | org.eclipse.jgit.errors.NotSupportedException e) {
            // Cannot happen: the same URL was just opened.
        }
        return otherwise;
    }

    /** Lets JGit stop a transfer when weft stops or the deadline passes. */
    private static final class Cancel extends EmptyProgressMonitor {
        private final long deadline;

        Cancel(long deadline) {
            this.deadline = deadline;
        }

        @Override
        public boolean isCancelled() {
            return Thread.currentThread().isInterrupted() || System.nanoTime() - deadline > 0;
        }
    }

    /**
     * Sorts a transport failure into "try again later" and "cannot work". Anything not recognised
     * as permanent is retriable: a knot behind a proxy that is restarting answers with HTML error
     * pages and cut connections, and giving up at once would lose the push.
     */
    static Failure classify(TransportException e, URI url, ObjectId id) {
        String all = messages(e);
        // Matched without the URL, so a host or port like ":40317" cannot pass for a status code.
        String lower = all.replace(url.toString(), "<url>").replace(url.getHost(), "<host>").toLowerCase(Locale.ROOT);
        if (e instanceof NoRemoteRepositoryException || lower.contains("not found") && !lower.contains(id.name())) {
            return new Failure.RepositoryBroken("no git repository at " + url + " (" + all + ")");
        }
        if (lower.contains(id.name()) && (lower.contains("not valid") || lower.contains("not our ref")
                || lower.contains("not found") || lower.contains("does not have") || lower.contains("missing"))) {
            return new Failure.CommitNotFound(id.name(), "the knot at " + url + " does not have it (" + all + ")");
        }
        if (lower.contains("not authorized") || lower.contains("authentication is required")
                || lower.contains("403 forbidden") || lower.contains("401 unauthorized")) {
            return new Failure.RepositoryBroken("the knot refused access to " + url + " (" + all + ")");
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof ConnectException || c instanceof SocketTimeoutException || c instanceof UnknownHostException
                    || c instanceof NoRouteToHostException || c instanceof SocketException) {
                return new Failure.KnotUnreachable(url + ": " + c.getClass().getSimpleName() + ": " + c.getMessage());
            }
            if (c instanceof CorruptObjectException) {
                return new Failure.RepositoryBroken("the knot sent corrupt objects for " + url + " (" + all + ")");
            }
        }
        // JGit repeats the URL at each level of the chain; once is enough for a log line.
        return new Failure.KnotUnreachable(url + ": " + all.replace(url + ": ", ""));
    }

    private static String messages(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = e; c != null && b.length() < 1000; c = c.getCause()) {
            if (!b.isEmpty()) b.append(": ");
            b.append(c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage());
        }
        return b.toString();
    }

    private WorkflowFiles read(Repository repo, ObjectId id) throws IOException, WorkflowFetchException {
        Limits limits = options.limits();
        try (ObjectReader reader = repo.newObjectReader(); RevWalk rw = new RevWalk(reader)) {
            RevObject o = rw.parseAny(id);
            if (!(o instanceof RevCommit commit)) {
                throw fail(new Failure.CommitNotFound(id.name(), "it names a "
                        + Constants.typeString(o.getType()) + ", not a commit"), null);
            }
            ObjectId dirId;
            try (TreeWalk dir = TreeWalk.forPath(reader, WORKFLOW_DIR, commit.getTree())) {
                if (dir == null || !FileMode.TREE.equals(dir.getFileMode(0))) {
                    return new WorkflowFiles(id.name(), List.of());
                }
                dirId = dir.getObjectId(0);
            }
            // Sizes first, from the object headers: nothing is loaded until every bound holds.
            List<WorkflowDirectory.Entry> entries = WorkflowDirectory.entries(
                    new org.eclipse.jgit.treewalk.CanonicalTreeParser(null, reader, dirId), limits, id.name());
            List<WorkflowFiles.File> files = WorkflowDirectory.read(entries, limits, id.name(), new WorkflowDirectory.Blobs() {
                @Override
                public long size(ObjectId blob) throws IOException {
                    try {
                        return reader.getObjectSize(blob, Constants.OBJ_BLOB);
                    } catch (MissingObjectException e) {
                        return -1; // left on the knot by the blob:limit filter, so larger than a file may be
                    }
                }

                @Override
                public byte[] load(ObjectId blob, int maxBytes) throws IOException {
                    return reader.open(blob, Constants.OBJ_BLOB).getCachedBytes(maxBytes);
                }
            });
            return new WorkflowFiles(id.name(), files);
        }
    }
}
