package dev.weft.xrpc;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.discovery.RepoRegistry;
import dev.weft.model.AtSyntax;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.server.XrpcHandler.Request;
import dev.weft.server.XrpcHandler.Response;
import dev.weft.server.XrpcRoutes;
import dev.weft.store.PipelineQueries;
import dev.weft.store.PipelineQueries.Legacy;
import dev.weft.store.PipelineQueries.Pipeline;
import dev.weft.store.PipelineQueries.Position;
import dev.weft.store.PipelineQueries.WorkflowRun;
import dev.weft.xrpc.XrpcCalls.Refused;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import static dev.weft.xrpc.XrpcCalls.JSON;
import static dev.weft.xrpc.XrpcCalls.refuse;

/**
 * The public pipeline queries the rewrite-era appview reads (spec tangled-ci 3.2, 3.3, 5.1):
 * {@code sh.tangled.ci.queryPipelines} and {@code sh.tangled.ci.getPipeline}, both GET without
 * auth, answered from weft's store, for pipelines of upgraded and of legacy knots alike.
 *
 * <p>Where upstream is defective weft follows the spec's weft lines: {@code "pipelines":[]} rather
 * than {@code null}; with {@code commits} only the newest pipeline of each commit; {@code limit}
 * (default 50, the lexicon's) clamped to 250; {@code total} counted without the cursor; a cursor
 * that is opaque but also accepts upstream's decimal unix-nanosecond form; times in UTC. A pipeline
 * whose trigger this version cannot read (a kind it does not know) is listed with a
 * {@code dev.weft.ci.trigger#unknown} trigger, which the appview's decoder leaves empty, instead of
 * failing the whole page as upstream's encoder does.
 *
 * <p>Errors: a missing {@code repo} or {@code pipeline} answers 400 {@code Generic} as upstream
 * does; any other malformed, repeated or oversized parameter 400 {@code InvalidRequest}; an unknown
 * pipeline 400 {@code PipelineNotFound}.
 */
public final class CiQueries {
    public static final String QUERY_PIPELINES = "sh.tangled.ci.queryPipelines";
    public static final String GET_PIPELINE = "sh.tangled.ci.getPipeline";

    /** The lexicon's default page size (upstream's code uses 30; the appview always says which it wants). */
    static final int DEFAULT_LIMIT = 50;
    /**
     * The most commits one query may name: a pull request page asks for its commits at once, and
     * a few hundred is more than the appview shows; beyond it a request is refused, not truncated,
     * since a silently shortened filter would look like "no pipeline" for the commits left out.
     */
    static final int MAX_COMMITS = 250;
    /** The most kinds one query may name (three exist; repeats are allowed and collapse). */
    static final int MAX_KINDS = 16;
    private static final Set<String> KINDS = Set.of("push", "pull_request", "manual");
    /** A git object id: SHA-1 or SHA-256, hex. */
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}|[0-9a-f]{64}");
    private static final Pattern DECIMAL = Pattern.compile("[0-9]{1,19}");
    /** The first byte of an opaque cursor, so its text starts with a letter and never reads as upstream's decimal form. */
    private static final byte CURSOR_VERSION = 1;
    private static final String UNKNOWN_TRIGGER = "dev.weft.ci.trigger#unknown";

    private final PipelineQueries store;
    private final RepoRegistry registry;

    public CiQueries(PipelineQueries store, RepoRegistry registry) {
        this.store = Objects.requireNonNull(store, "store");
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** Mounts both methods. */
    public void mount(XrpcRoutes routes) {
        routes.mount(QUERY_PIPELINES, "GET", this::queryPipelines);
        routes.mount(GET_PIPELINE, "GET", this::getPipeline);
    }

    Response queryPipelines(Request r) {
        try {
            String repo = single(r, "repo").orElseThrow(() -> refuse(400, "Generic", "missing repo parameter"));
            Optional<String> badRepo = AtSyntax.did(repo);
            if (badRepo.isPresent()) throw refuse(400, "InvalidRequest", "repo: " + badRepo.get());
            List<String> commits = commits(r);
            List<String> kinds = kinds(r);
            int limit = limit(r);
            Optional<Position> after = single(r, "cursor").isPresent() ? Optional.of(cursor(single(r, "cursor").get()))
                    : Optional.empty();
            PipelineQueries.Page page = store.query(new PipelineQueries.Query(repo, legacy(repo), commits, kinds, limit, after));
            ObjectNode out = JSON.createObjectNode();
            page.next().ifPresent(p -> out.put("cursor", cursor(p)));
            ArrayNode list = out.putArray("pipelines");
            for (Pipeline p : page.pipelines()) list.add(pipeline(p));
            out.put("total", page.total());
            return XrpcCalls.goJson(200, out);
        } catch (Refused e) {
            return e.response;
        }
    }

    Response getPipeline(Request r) {
        try {
            String id = single(r, "pipeline").orElseThrow(() -> refuse(400, "Generic", "missing pipeline parameter"));
            Optional<String> bad = AtSyntax.tid(id);
            if (bad.isPresent()) throw refuse(400, "InvalidRequest", "pipeline: " + bad.get());
            Pipeline p = store.pipeline(id).orElseThrow(() -> refuse(400, "PipelineNotFound", "no pipeline " + id));
            return XrpcCalls.goJson(200, pipeline(p));
        } catch (Refused e) {
            return e.response;
        }
    }

    // ---------------------------------------------------------------- parameters

    /** A parameter given at most once; a repeat is refused rather than one of the values guessed at. */
    private static Optional<String> single(Request r, String name) throws Refused {
        List<String> v = r.query().getOrDefault(name, List.of());
        if (v.size() > 1) throw refuse(400, "InvalidRequest", name + " is given " + v.size() + " times; give it once");
        if (v.size() == 1 && v.get(0).isEmpty()) throw refuse(400, "InvalidRequest", name + " is empty");
        return v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
    }

    private static List<String> commits(Request r) throws Refused {
        List<String> given = r.query().getOrDefault("commits", List.of());
        Set<String> out = new LinkedHashSet<>();
        for (String c : given) {
            if (!COMMIT.matcher(c).matches()) {
                throw refuse(400, "InvalidRequest", "commits: " + AtSyntax.quote(c.length() > 80 ? c.substring(0, 80) + "..." : c)
                        + " is not a commit id (40 or 64 lowercase hex digits)");
            }
            out.add(c);
        }
        if (out.size() > MAX_COMMITS) {
            throw refuse(400, "InvalidRequest", "commits names " + out.size() + " commits; at most " + MAX_COMMITS);
        }
        return List.copyOf(out);
    }

    private static List<String> kinds(Request r) throws Refused {
        List<String> given = r.query().getOrDefault("kinds", List.of());
        if (given.size() > MAX_KINDS) throw refuse(400, "InvalidRequest", "kinds is given " + given.size() + " times");
        Set<String> out = new LinkedHashSet<>();
        for (String k : given) {
            if (!KINDS.contains(k)) {
                throw refuse(400, "InvalidRequest", "kinds: " + AtSyntax.quote(k.length() > 80 ? k.substring(0, 80) + "..." : k)
                        + " is not one of push, pull_request, manual");
            }
            out.add(k);
        }
        return List.copyOf(out);
    }

    /** 1.. any size, clamped to {@link PipelineQueries#MAX_LIMIT} (the spec: a large limit is clamped, not refused). */
    private static int limit(Request r) throws Refused {
        Optional<String> v = single(r, "limit");
        if (v.isEmpty()) return DEFAULT_LIMIT;
        String s = v.get();
        if (!s.matches("[0-9]+")) throw refuse(400, "InvalidRequest", "limit is not a positive integer: " + AtSyntax.quote(
                s.length() > 40 ? s.substring(0, 40) + "..." : s));
        // Any run of digits is a valid (possibly huge) number: only its size matters.
        String digits = s.replaceFirst("^0+(?=.)", "");
        if (digits.equals("0")) throw refuse(400, "InvalidRequest", "limit must be at least 1");
        return digits.length() > 4 ? PipelineQueries.MAX_LIMIT : Math.min(Integer.parseInt(digits), PipelineQueries.MAX_LIMIT);
    }

    /** Weft's opaque cursor, or upstream's decimal {@code created} in unix nanoseconds (next page: created before it). */
    static Position cursor(String s) throws Refused {
        if (DECIMAL.matcher(s).matches()) {
            try {
                return new Position(Long.parseLong(s), 0);
            } catch (NumberFormatException e) {
                throw refuse(400, "InvalidRequest", "cursor is out of range");
            }
        }
        byte[] b;
        try {
            b = s.length() == 23 ? Base64.getUrlDecoder().decode(s) : new byte[0];
        } catch (IllegalArgumentException e) {
            b = new byte[0];
        }
        if (b.length != 17 || b[0] != CURSOR_VERSION) throw refuse(400, "InvalidRequest", "cursor is not one this spindle gave");
        ByteBuffer buf = ByteBuffer.wrap(b, 1, 16);
        return new Position(buf.getLong(), buf.getLong());
    }

    static String cursor(Position p) {
        ByteBuffer buf = ByteBuffer.allocate(17).put(CURSOR_VERSION).putLong(p.createdAt()).putLong(p.seq());
        return Base64.getUrlEncoder().withoutPadding().encodeToString(buf.array());
    }

    /**
     * The legacy pipelines that are the queried repository's too: a registered repo DID's (knot,
     * owner, name) names its pipelines from before its knot upgraded; any other DID is matched, as
     * upstream does, against the owner of pipelines that have no repo DID.
     */
    private Legacy legacy(String repo) {
        return registry.byRepoDid(repo).<Legacy>map(r -> new Legacy.Repo(r.key())).orElseGet(() -> new Legacy.Owner(repo));
    }

    // ---------------------------------------------------------------- output

    /** {@code sh.tangled.ci.pipeline}, keys in the order upstream's generated Go struct writes them. */
    static ObjectNode pipeline(Pipeline p) {
        ObjectNode o = JSON.createObjectNode();
        String sourceRepo = p.trigger().map(Trigger::sourceRepo).orElse("");
        o.put("commit", p.commit());
        o.put("createdAt", time(p.createdAt()));
        o.put("id", p.id().rkey());
        o.put("repo", p.repoDid().isEmpty() ? p.ownerDid() : p.repoDid());
        if (!sourceRepo.isEmpty() && !sourceRepo.equals(p.repoDid())) o.put("sourceRepo", sourceRepo);
        o.set("trigger", p.trigger().map(t -> trigger(t.kind(), t.sourceRepo()))
                .orElseGet(() -> JSON.createObjectNode().put("$type", UNKNOWN_TRIGGER).put("kind", p.kind())));
        ArrayNode wfs = o.putArray("workflows");
        for (WorkflowRun w : p.workflows()) {
            ObjectNode wo = wfs.addObject();
            if (!w.error().isEmpty()) wo.put("error", w.error());
            w.finishedAt().ifPresent(t -> wo.put("finishedAt", time(t)));
            wo.put("id", w.name());
            wo.put("name", w.name());
            w.startedAt().ifPresent(t -> wo.put("startedAt", time(t)));
            wo.put("status", w.state().wireName());
        }
        return o;
    }

    /** The {@code sh.tangled.ci.trigger} union member, optional fields left out when empty (Go's omitempty). */
    private static ObjectNode trigger(TriggerKind kind, String sourceRepo) {
        ObjectNode t = JSON.createObjectNode();
        switch (kind) {
            case TriggerKind.Push p -> {
                t.put("$type", "sh.tangled.ci.trigger#push");
                t.put("newSha", p.newSha());
                t.put("oldSha", p.oldSha());
                t.put("ref", p.ref());
            }
            case TriggerKind.PullRequest pr -> {
                t.put("$type", "sh.tangled.ci.trigger#pullRequest");
                if (!pr.action().isEmpty()) t.put("action", pr.action());
                if (!pr.pull().isEmpty()) t.put("pull", pr.pull());
                if (!pr.sourceBranch().isEmpty()) t.put("sourceBranch", pr.sourceBranch());
                if (!sourceRepo.isEmpty()) t.put("sourceRepo", sourceRepo);
                t.put("sourceSha", pr.sourceSha());
                t.put("targetBranch", pr.targetBranch());
            }
            case TriggerKind.Manual m -> {
                t.put("$type", "sh.tangled.ci.trigger#manual");
                if (!m.inputs().isEmpty()) {
                    ArrayNode inputs = t.putArray("inputs");
                    for (TriggerKind.Input in : m.inputs()) inputs.addObject().put("key", in.key()).put("value", in.value());
                }
                if (!m.ref().isEmpty()) t.put("ref", m.ref());
                t.put("sha", m.sha());
                if (!sourceRepo.isEmpty()) t.put("sourceRepo", sourceRepo);
            }
        }
        return t;
    }

    /** RFC 3339 in UTC at second precision, as upstream's {@code time.RFC3339} writes, but with {@code Z}. */
    static String time(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
