package dev.weft.pulls;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns Jetstream commits of {@code sh.tangled.repo.pull} and {@code sh.tangled.repo.pull.status}
 * into {@link PullRequestEvent}s, the way the rewritten spindle does (spec tangled-ci 2.4):
 *
 * <ul>
 *   <li>only live commits count: a backfill or replay must not re-run old PRs;</li>
 *   <li>a pull <b>create</b> is {@code opened}, an <b>update</b> {@code synchronize}; deletes do nothing;</li>
 *   <li>a status <b>create</b> is {@code reopened}, {@code closed} or {@code merged}, and the pull it
 *       names is read from its author's PDS; status updates and deletes do nothing;</li>
 *   <li>dropped: pull records without {@code target}, patch-based PRs (no {@code source}), fork PRs
 *       (a source repo other than the target: they run only when someone with push rights asks),
 *       unregistered target repos, PR authors without push rights on the target, and status changes
 *       by anyone other than the author who has no push rights either;</li>
 *   <li>{@code sourceSha} is the last patch of the last round's patch blob.</li>
 * </ul>
 *
 * <p>Every check that needs no network comes before the fetches, so a stranger's record costs a
 * fetch only when a status change points at a pull (whose target is not known before). Nothing a
 * record or a PDS contains makes {@link #onCommit} throw: each drop is one log line (debug for the
 * ordinary ones, warn for a broken patch) and one count. Only the sink's own exceptions propagate,
 * so the caller can treat them as its own failure.
 *
 * <p><b>Wiring.</b> Feed it every commit of {@link #COLLECTIONS} from <em>any</em> DID: pull records are
 * written by arbitrary users (spec 2.1 exempts both collections from the DID filter), and Jetstream's
 * {@code wantedDids} applies to every collection of a subscription, so these need a subscription
 * without it. {@code live} must be false for anything delivered from before weft's subscription
 * began (a backfill, or a frame replayed after a reconnect that was already handled once): only
 * new PR activity may start runs.
 *
 * <p><b>Metrics:</b> counter {@code weft.pulls} tagged {@code outcome}: {@code triggered};
 * {@code not_live}, {@code other_collection}, {@code ignored_operation} (nothing to do);
 * {@code malformed}, {@code no_target}, {@code patch_based}, {@code fork}, {@code unknown_status}
 * (the record is not a branch PR this spindle runs); {@code unregistered}, {@code unauthorised};
 * {@code pull_not_found}, {@code fetch_failed}, {@code refused_address}, {@code too_large},
 * {@code not_gzip}, {@code not_a_patch} (the author's PDS did not give a usable pull or patch).
 *
 * <p>Thread-safe as long as the sink and the {@link PatchSource} are; holds no state of its own.
 */
public final class PullRecords {
    private static final Logger log = LoggerFactory.getLogger(PullRecords.class);
    /** The pull record collection. */
    public static final String PULL = "sh.tangled.repo.pull";
    /** The pull status record collection. */
    public static final String PULL_STATUS = "sh.tangled.repo.pull.status";
    /** The collections {@link #onCommit} handles, for the Jetstream's {@code wantedCollections}. */
    public static final Set<String> COLLECTIONS = Set.of(PULL, PULL_STATUS);
    private static final Pattern PULL_URI = Pattern.compile(
            "at://(did:[a-z]+:[A-Za-z0-9._:%\\-]{1,2048})/sh\\.tangled\\.repo\\.pull/([A-Za-z0-9._:~\\-]{1,512})");
    private static final Pattern RKEY = Pattern.compile("[A-Za-z0-9._:~\\-]{1,512}");
    private static final Map<String, String> STATUS_ACTIONS = Map.of(
            "sh.tangled.repo.pull.status.open", "reopened",
            "sh.tangled.repo.pull.status.closed", "closed",
            "sh.tangled.repo.pull.status.merged", "merged");
    /** The lexicon's default, for a status record that leaves the field out. */
    private static final String DEFAULT_STATUS = "sh.tangled.repo.pull.status.open";

    private final PullAccess access;
    private final PatchSource patches;
    private final Consumer<PullRequestEvent> sink;
    private final MeterRegistry meters;

    /**
     * @param access  the registry's answers on repos and push rights
     * @param patches the author's PDS, for pull records and patch blobs
     * @param sink    receives each trigger, on the thread that called {@link #onCommit}
     * @param meters  where {@code weft.pulls} is counted
     */
    public PullRecords(PullAccess access, PatchSource patches, Consumer<PullRequestEvent> sink, MeterRegistry meters) {
        this.access = Objects.requireNonNull(access, "access");
        this.patches = Objects.requireNonNull(patches, "patches");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.meters = Objects.requireNonNull(meters, "meters");
    }

    /**
     * Handles one Jetstream commit of {@link #PULL} or {@link #PULL_STATUS} (others are ignored).
     * Blocks while the author's PDS is read, at most for the {@link PatchSource}'s budget.
     *
     * @param authorDid  the DID whose repo the record is in (the commit's {@code did})
     * @param rkey       the record key
     * @param operation  {@code create}, {@code update} or {@code delete}
     * @param record     the record, or null for a delete
     * @param live       the event is live, not a backfill/replay older than the subscription start
     */
    public void onCommit(String authorDid, String collection, String rkey, String operation, JsonNode record, boolean live) {
        Outcome o;
        try {
            o = handle(authorDid, collection, rkey, operation, record, live);
        } catch (SinkFailure e) {
            count(Outcome.TRIGGERED); // decided to trigger; the failure is the sink's to report
            throw e.getCause();
        }
        count(o);
    }

    /** {@link #onCommit} without the count, so tests can see the outcome itself. */
    Outcome handle(String authorDid, String collection, String rkey, String operation, JsonNode record, boolean live) {
        if (!COLLECTIONS.contains(String.valueOf(collection))) return Outcome.OTHER_COLLECTION;
        String uri = "at://" + authorDid + "/" + collection + "/" + rkey;
        if (!live) {
            log.debug("pulls: ignored {} {}: not live", operation, uri);
            return Outcome.NOT_LIVE;
        }
        if (authorDid == null || !PullShape.DID.matcher(authorDid).matches() || rkey == null || !RKEY.matcher(rkey).matches()) {
            log.debug("pulls: ignored {} {}: malformed author or record key", operation, uri);
            return Outcome.MALFORMED;
        }
        if (PULL.equals(collection)) {
            String action = switch (String.valueOf(operation)) {
                case "create" -> "opened";
                case "update" -> "synchronize";
                default -> null;
            };
            if (action == null) {
                log.debug("pulls: ignored {} {}: only creates and updates trigger", operation, uri);
                return Outcome.IGNORED_OPERATION;
            }
            return pull(authorDid, uri, null, record, action);
        }
        if (!"create".equals(operation)) {
            log.debug("pulls: ignored {} {}: only status creates trigger", operation, uri);
            return Outcome.IGNORED_OPERATION;
        }
        return status(authorDid, uri, record);
    }

    private Outcome status(String actorDid, String uri, JsonNode record) {
        if (record == null || !record.isObject()) {
            log.debug("pulls: ignored {}: not a status record", uri);
            return Outcome.MALFORMED;
        }
        Matcher m = PULL_URI.matcher(record.path("pull").asText(""));
        if (!m.matches()) {
            log.debug("pulls: ignored {}: pull is not a pull record AT-URI: {}", uri, record.path("pull"));
            return Outcome.MALFORMED;
        }
        JsonNode s = record.path("status");
        String status = s.isMissingNode() || s.isNull() ? DEFAULT_STATUS : s.asText("");
        String action = STATUS_ACTIONS.get(status);
        if (action == null) {
            log.debug("pulls: ignored {}: unknown status {}", uri, status);
            return Outcome.UNKNOWN_STATUS;
        }
        String pullAuthor = m.group(1);
        String pullRkey = m.group(2);
        String pullUri = "at://" + pullAuthor + "/" + PULL + "/" + pullRkey;
        Optional<JsonNode> pull;
        try {
            pull = patches.pullRecord(pullAuthor, pullRkey);
        } catch (PatchException e) {
            log.warn("pulls: dropped {} ({}): cannot read {}: {}", uri, action, pullUri, e.getMessage());
            return Outcome.of(e.reason());
        } catch (RuntimeException e) {
            log.error("pulls: dropped {} ({}): reading {} failed", uri, action, pullUri, e);
            return Outcome.FETCH_FAILED;
        }
        if (pull.isEmpty()) {
            log.info("pulls: dropped {} ({}): {} does not exist", uri, action, pullUri);
            return Outcome.PULL_NOT_FOUND;
        }
        return pull(pullAuthor, pullUri, actorDid, pull.get(), action);
    }

    /**
     * @param actorDid who changed the status, or null when the author's own pull record is the event
     */
    private Outcome pull(String authorDid, String pullUri, String actorDid, JsonNode record, String action) {
        PullShape shape;
        switch (PullShape.parse(record)) {
            case ParsedPull.Dropped d -> {
                log.debug("pulls: ignored {} ({}): {}", pullUri, action, d.why());
                return d.outcome();
            }
            case PullShape p -> shape = p;
        }
        if (shape.fork()) {
            log.debug("pulls: ignored {} ({}): a fork pull request runs only when someone with push rights triggers it",
                    pullUri, action);
            return Outcome.FORK;
        }
        String repo = shape.targetRepoDid();
        if (!access.isRegistered(repo)) {
            log.debug("pulls: ignored {} ({}): target repo {} is not served here", pullUri, action, repo);
            return Outcome.UNREGISTERED;
        }
        if (!access.hasPushRights(authorDid, repo)) {
            log.info("pulls: dropped {} ({}): author {} has no push rights on {}", pullUri, action, authorDid, repo);
            return Outcome.UNAUTHORISED;
        }
        if (actorDid != null && !actorDid.equals(authorDid) && !access.hasPushRights(actorDid, repo)) {
            log.info("pulls: dropped {} ({}): {} is neither the author nor has push rights on {}",
                    pullUri, action, actorDid, repo);
            return Outcome.UNAUTHORISED;
        }
        String sha;
        try {
            sha = patches.lastPatchSha(authorDid, shape.lastBlobCid());
        } catch (PatchException e) {
            log.warn("pulls: dropped {} ({}): patch blob {}: {}", pullUri, action, shape.lastBlobCid(), e.getMessage());
            return Outcome.of(e.reason());
        } catch (RuntimeException e) {
            log.error("pulls: dropped {} ({}): reading patch blob {} failed", pullUri, action, shape.lastBlobCid(), e);
            return Outcome.FETCH_FAILED;
        }
        PullRequestEvent event = new PullRequestEvent(authorDid, pullUri, repo, shape.targetBranch(),
                shape.sourceBranch(), sha, action);
        log.info("pulls: {} {} -> {} ({} at {})", action, pullUri, repo, shape.sourceBranch(), sha);
        try {
            sink.accept(event);
        } catch (RuntimeException e) {
            throw new SinkFailure(e);
        }
        return Outcome.TRIGGERED;
    }

    private void count(Outcome o) {
        Counter.builder("weft.pulls").description("Pull request records by what became of them")
                .tag("outcome", o.tag).register(meters).increment();
    }

    /** Carries the sink's exception past the drop handling, so it reaches the caller unchanged. */
    private static final class SinkFailure extends RuntimeException {
        SinkFailure(RuntimeException cause) {
            super(cause);
        }

        @Override
        public synchronized RuntimeException getCause() {
            return (RuntimeException) super.getCause();
        }
    }
}
