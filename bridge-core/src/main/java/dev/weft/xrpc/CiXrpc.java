package dev.weft.xrpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.auth.ServiceAuth;
import dev.weft.builds.BuildRequest;
import dev.weft.builds.PipelineBuilder;
import dev.weft.discovery.RepoRegistry;
import dev.weft.git.WorkflowFetchException;
import dev.weft.git.WorkflowFetcher;
import dev.weft.git.WorkflowFiles;
import dev.weft.model.AtSyntax;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.TriggerKind;
import dev.weft.net.Deadline;
import dev.weft.pipelines.WorkflowDefinitionHash;
import dev.weft.pipelines.WorkflowTrigger;
import dev.weft.runs.Claims;
import dev.weft.server.XrpcHandler.Request;
import dev.weft.server.XrpcHandler.Response;
import dev.weft.server.XrpcRoutes;
import dev.weft.xrpc.XrpcCalls.Refused;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import static dev.weft.xrpc.XrpcCalls.refuse;

/**
 * The {@code sh.tangled.ci.*} methods that start or describe pipelines (spec tangled-ci 3.4, 3.6,
 * 3.8):
 * <ul>
 *   <li>{@code sh.tangled.ci.triggerPipeline} (POST, service auth): a manual or pull-request run of
 *       a registered repo DID at a commit, by its owner or a collaborator; answers
 *       {@code {"pipeline":"at://did:web:<knot>/sh.tangled.pipeline/<tid>"}} once the pipeline
 *       exists;</li>
 *   <li>{@code sh.tangled.ci.pipeline.triggerPipeline} (POST, service auth), its pre-rename alias:
 *       {@code {repo: <sh.tangled.repo AT-URI or repo DID>, sha, ref?, workflows?}}, a manual run;</li>
 *   <li>{@code sh.tangled.ci.describeWorkflowDefinition} (GET, public): the fingerprint of the
 *       workflow files at a commit, {@code {"derived":true,"hash":"sha256:<hex>","workflows":[...]}}.</li>
 * </ul>
 * As upstream, every failure but a bad token (403 {@code Auth}) answers 400 with the spec's tags
 * ({@code Generic}, {@code RepoNotFound}, {@code AccessControl}, {@code InvalidRepo},
 * {@code InvalidRequest}), checks in the spec's order, and messages that also say what to fix.
 *
 * <p>A call never outlives {@link NetworkXrpc#REQUEST_BUDGET}: the token check, the wait for the
 * pipeline builder and the workflow fetch share it, less {@link #MARGIN} for the reply. A trigger
 * whose files cannot be read in time is answered 400, yet stays queued (the builder made it durable)
 * and becomes a pipeline when they can.
 */
public final class CiXrpc {
    private static final Logger log = LoggerFactory.getLogger(CiXrpc.class);
    public static final String TRIGGER_PIPELINE = "sh.tangled.ci.triggerPipeline";
    public static final String TRIGGER_PIPELINE_ALIAS = "sh.tangled.ci.pipeline.triggerPipeline";
    public static final String DESCRIBE_WORKFLOW_DEFINITION = "sh.tangled.ci.describeWorkflowDefinition";
    /** Left of the request budget for the store, the encoding and the reply after the slow part. */
    static final Duration MARGIN = Duration.ofSeconds(2);

    static final String MANUAL = "sh.tangled.ci.trigger#manual";
    static final String PULL_REQUEST = "sh.tangled.ci.trigger#pullRequest";
    static final String BAD_SHA = "sha must be a 40-character commit hash";
    static final String NO_WORKFLOWS = "no workflows to run";

    private static final Pattern SHA = Pattern.compile("[0-9a-fA-F]{40}");
    // A handle, as an AT-URI authority may be one (atproto handle syntax, loosely: labels and dots).
    private static final Pattern HANDLE = Pattern.compile("([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

    private final ServiceAuth auth;
    private final RepoResolver repos;
    private final RepoRegistry registry;
    private final PipelineBuilder builder;
    private final WorkflowFetcher fetcher;
    private final boolean dev;
    private final Clock clock;

    /**
     * @param dev whether knots are reached over {@code http} ({@code WEFT_DEV}), as the builder does
     */
    public CiXrpc(ServiceAuth auth, RepoResolver repos, RepoRegistry registry, PipelineBuilder builder,
                  WorkflowFetcher fetcher, boolean dev, Clock clock) {
        this.auth = Objects.requireNonNull(auth, "auth");
        this.repos = Objects.requireNonNull(repos, "repos");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.builder = Objects.requireNonNull(builder, "builder");
        this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
        this.dev = dev;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Mounts the three methods. */
    public void mount(XrpcRoutes routes) {
        routes.mount(TRIGGER_PIPELINE, "POST", this::triggerPipeline);
        routes.mount(TRIGGER_PIPELINE_ALIAS, "POST", this::triggerPipelineAlias);
        routes.mount(DESCRIBE_WORKFLOW_DEFINITION, "GET", this::describeWorkflowDefinition);
    }

    /** What to build once the caller and the repository passed: the trigger, its commit, and the fork it reads. */
    private record Planned(WorkflowTrigger trigger, String sha, String sourceRepo) {
    }

    /** Where the code (and so the workflow files) of a run is read: a knot and a repo DID. */
    private record Code(String knot, String repoDid) {
    }

    // ---------------------------------------------------------------- triggerPipeline

    Response triggerPipeline(Request r) {
        Deadline deadline = Deadline.after(NetworkXrpc.REQUEST_BUDGET);
        try {
            String caller = XrpcCalls.authenticate(auth, r, deadline, TRIGGER_PIPELINE, TRIGGER_PIPELINE_ALIAS);
            JsonNode in = XrpcCalls.jsonObject(r, "Generic");
            Optional<Set<String>> workflows = workflows(in);
            String repoDid = text(in, "repo");
            RepoRef repo = XrpcCalls.pushable(registry, caller, Optional.of(XrpcCalls.byRepoDid(registry, repoDid)), repoDid);
            JsonNode trigger = in.get("trigger");
            if (trigger == null || trigger.isNull()) throw refuse(400, "Generic", "trigger is required");
            if (!trigger.isObject()) throw refuse(400, "Generic", "trigger must be an object with a $type");
            String type = text(trigger, "$type");
            Planned planned = switch (type) {
                case MANUAL -> manual(trigger, workflows);
                case PULL_REQUEST -> pullRequest(trigger, workflows);
                default -> throw refuse(400, "Generic", "unsupported trigger variant: " + AtSyntax.quote(type)
                        + " (expected " + MANUAL + " or " + PULL_REQUEST + ")");
            };
            return build(caller, repo, planned, deadline);
        } catch (Refused e) {
            return e.response;
        } catch (InterruptedException e) {
            return stopping();
        }
    }

    private Planned manual(JsonNode t, Optional<Set<String>> workflows) throws Refused {
        String ref = text(t, "ref");
        String sourceRepo = sourceRepo(t, "Generic");
        List<TriggerKind.Input> inputs = inputs(t);
        String sha = sha(text(t, "sha"));
        return new Planned(new WorkflowTrigger.Manual(new TriggerKind.Manual(inputs, sha, ref), sha,
                ref.isEmpty() ? Optional.empty() : Optional.of(ref), workflows), sha, sourceRepo);
    }

    private Planned pullRequest(JsonNode t, Optional<Set<String>> workflows) throws Refused {
        String targetBranch = text(t, "targetBranch");
        if (targetBranch.isEmpty()) throw refuse(400, "Generic", "targetBranch is required");
        String sourceBranch = text(t, "sourceBranch");
        String sourceRepo = sourceRepo(t, "Generic");
        String action = text(t, "action"); // newest lexicon only; empty is matched as "opened"
        String pull = text(t, "pull");
        if (!pull.isEmpty() && !isAtUri(pull)) {
            throw refuse(400, "InvalidRepo", "pull is not an AT-URI: " + AtSyntax.quote(pull));
        }
        String sha = text(t, "sourceSha");
        if (sha.isEmpty()) throw refuse(400, "Generic", "sourceSha is required");
        sha = sha(sha);
        return new Planned(new WorkflowTrigger.PullRequest(
                new TriggerKind.PullRequest(sourceBranch, targetBranch, sha, action, pull), workflows), sha, sourceRepo);
    }

    // ---------------------------------------------------------------- the pre-rename alias

    Response triggerPipelineAlias(Request r) {
        Deadline deadline = Deadline.after(NetworkXrpc.REQUEST_BUDGET);
        try {
            String caller = XrpcCalls.authenticate(auth, r, deadline, TRIGGER_PIPELINE_ALIAS, TRIGGER_PIPELINE);
            JsonNode in = XrpcCalls.jsonObject(r, "Generic");
            Optional<Set<String>> workflows = workflows(in);
            String repoText = text(in, "repo");
            RepoRef repo = XrpcCalls.pushable(registry, caller, XrpcCalls.aliasRepo(repos, registry, repoText, deadline), repoText);
            String ref = text(in, "ref");
            String sha = sha(text(in, "sha"));
            Planned planned = new Planned(new WorkflowTrigger.Manual(new TriggerKind.Manual(List.of(), sha, ref), sha,
                    ref.isEmpty() ? Optional.empty() : Optional.of(ref), workflows), sha, "");
            return build(caller, repo, planned, deadline);
        } catch (Refused e) {
            return e.response;
        } catch (InterruptedException e) {
            return stopping();
        }
    }

    // ---------------------------------------------------------------- shared by both triggers

    private Response build(String caller, RepoRef repo, Planned p, Deadline deadline) throws InterruptedException {
        PipelineBuilder.Result result = submit(caller, repo, p, budget(deadline));
        return switch (result) {
            case PipelineBuilder.Result.Built b -> {
                ObjectNode out = XrpcCalls.JSON.createObjectNode();
                out.put("pipeline", b.pipeline().atUri());
                yield XrpcCalls.goJson(200, out);
            }
            case PipelineBuilder.Result.Nothing n -> Response.error(400, "Generic", NO_WORKFLOWS);
            case PipelineBuilder.Result.Failed f -> Response.error(400, "Generic", f.error());
        };
    }

    /** Makes the pipeline of {@code p} a durable build request and waits up to {@code budget} for it to be built. */
    private PipelineBuilder.Result submit(String caller, RepoRef repo, Planned p, Duration budget) throws InterruptedException {
        boolean fork = !p.sourceRepo().isEmpty() && !p.sourceRepo().equals(repo.repoDid());
        Code code = code(repo, fork ? p.sourceRepo() : "");
        PipelineId id = new PipelineId(repo.knot(), builder.mint());
        // The actor notifications name: a DID (triggerPipeline's caller), not a console session.
        BuildRequest request = new BuildRequest(id, repo, p.trigger(), p.sha(), code.knot(), code.repoDid(),
                fork ? p.sourceRepo() : "", clock.instant(), caller.startsWith("did:") ? caller : "");
        log.info("pipeline {} triggered by {}: {} of {} at {}{}", id, caller, p.trigger().kind().wireName(), repo.repoDid(),
                p.sha(), fork ? " from fork " + p.sourceRepo() + " on " + code.knot() : "");
        return builder.submitAndWait(Claims.manual(id.atUri()), request, budget);
    }

    /**
     * Runs a stored pipeline's trigger again, as a new pipeline, the way {@code triggerPipeline}
     * would: a push or a manual run becomes a manual run of the same commit and ref (inputs kept),
     * a pull request the same pull-request trigger (from the same fork); {@code workflows} names
     * the workflow files to run, empty for all. For the operator's console.
     *
     * @param caller who asked, for the log
     * @return what the builder made of it; {@link PipelineBuilder.Result.Failed} when the pipeline
     *         cannot be run again (a legacy knot's pipeline, which weft does not build; an unknown
     *         commit; a repository no longer registered)
     */
    public PipelineBuilder.Result rerun(String caller, dev.weft.model.Trigger previous, Optional<Set<String>> workflows,
                                        Duration budget) throws InterruptedException {
        String sha = previous.sha();
        if (!previous.repo().hasRepoDid()) {
            return new PipelineBuilder.Result.Failed("a legacy knot's pipeline is compiled by its knot: push again to re-run it");
        }
        if (!SHA.matcher(sha).matches()) return new PipelineBuilder.Result.Failed("the pipeline names no commit to run again");
        Optional<RepoRef> repo = registry.byRepoDid(previous.repo().repoDid());
        if (repo.isEmpty()) return new PipelineBuilder.Result.Failed("repository " + previous.repo().repoDid() + " is not registered");
        Planned planned = switch (previous.kind()) {
            case TriggerKind.Push push -> new Planned(new WorkflowTrigger.Manual(new TriggerKind.Manual(List.of(), sha, push.ref()),
                    sha, Optional.of(push.ref()), workflows), sha, previous.sourceRepo());
            case TriggerKind.Manual m -> new Planned(new WorkflowTrigger.Manual(m, sha,
                    m.ref().isEmpty() ? Optional.empty() : Optional.of(m.ref()), workflows), sha, previous.sourceRepo());
            case TriggerKind.PullRequest pr -> new Planned(new WorkflowTrigger.PullRequest(pr, workflows), sha, previous.sourceRepo());
        };
        return submit(caller, repo.get(), planned, budget);
    }

    /**
     * Where to read the code of {@code repo}, or of the fork {@code sourceRepo} when not empty. A
     * fork registered with weft names its knot. An unregistered one is assumed to live on the target
     * repository's knot: Tangled creates forks on the knot of the repository forked unless asked
     * otherwise, and the trigger carries only the fork's DID, which names no knot weft could ask.
     * When the fork is elsewhere, the fetch fails and the caller is told which knot was asked.
     */
    private Code code(RepoRef repo, String sourceRepo) {
        if (sourceRepo.isEmpty()) return new Code(repo.knot(), repo.repoDid());
        return new Code(registry.byRepoDid(sourceRepo).map(RepoRef::knot).orElse(repo.knot()), sourceRepo);
    }

    /** What is left of the request budget for the slow part (the builder's wait, a fetch). */
    private static Duration budget(Deadline deadline) {
        Duration left = deadline.remaining(NetworkXrpc.REQUEST_BUDGET).minus(MARGIN);
        return left.isNegative() ? Duration.ZERO : left;
    }

    // ---------------------------------------------------------------- describeWorkflowDefinition

    Response describeWorkflowDefinition(Request r) {
        Deadline deadline = Deadline.after(NetworkXrpc.REQUEST_BUDGET);
        try {
            RepoRef repo = XrpcCalls.byRepoDid(registry, r.param("repo").orElse(""));
            String sha = r.param("sha").orElse("");
            if (!SHA.matcher(sha).matches()) throw refuse(400, "InvalidRequest", BAD_SHA);
            String sourceRepo = r.param("sourceRepo").orElse("");
            Optional<String> badSource = sourceRepo.isEmpty() ? Optional.empty() : AtSyntax.did(sourceRepo);
            if (badSource.isPresent()) throw refuse(400, "InvalidRequest", "invalid sourceRepo DID: " + badSource.get());
            Code code = code(repo, sourceRepo.equals(repo.repoDid()) ? "" : sourceRepo);
            WorkflowFiles files;
            try {
                files = fetcher.fetch(WorkflowFetcher.knotBase(code.knot(), dev), code.repoDid(),
                        sha.toLowerCase(Locale.ROOT), budget(deadline));
            } catch (WorkflowFetchException e) {
                throw refuse(400, "Generic", "failed to load workflows of " + code.repoDid() + " at " + sha
                        + " from knot " + code.knot() + ": " + e.failure().message());
            }
            // Hashed in name order by WorkflowDefinitionHash; listed in the order the directory
            // holds them (git tree order), as upstream lists what it loaded.
            Map<String, byte[]> byName = new LinkedHashMap<>();
            ObjectNode out = XrpcCalls.JSON.createObjectNode();
            out.put("derived", true);
            for (WorkflowFiles.File f : files.files()) byName.put(f.name(), f.content());
            out.put("hash", WorkflowDefinitionHash.of(byName));
            ArrayNode names = out.putArray("workflows");
            byName.keySet().forEach(names::add);
            return XrpcCalls.goJson(200, out);
        } catch (Refused e) {
            return e.response;
        } catch (InterruptedException e) {
            return stopping();
        }
    }

    // ---------------------------------------------------------------- input

    private static Response stopping() {
        Thread.currentThread().interrupt();
        return Response.error(400, "Generic", "weft is stopping; try again shortly");
    }

    /** A string field; empty when absent or null, 400 {@code Generic} when of another type. */
    private static String text(JsonNode in, String field) throws Refused {
        JsonNode v = in.get(field);
        if (v == null || v.isNull()) return "";
        if (!v.isTextual()) throw refuse(400, "Generic", field + " must be a string");
        return v.textValue();
    }

    private static String sha(String sha) throws Refused {
        if (!SHA.matcher(sha).matches()) throw refuse(400, "Generic", BAD_SHA);
        return sha.toLowerCase(Locale.ROOT);
    }

    private static String sourceRepo(JsonNode t, String tag) throws Refused {
        String s = text(t, "sourceRepo");
        Optional<String> bad = s.isEmpty() ? Optional.empty() : AtSyntax.did(s);
        if (bad.isPresent()) throw refuse(400, tag, "invalid sourceRepo DID: " + bad.get());
        return s;
    }

    /** The {@code workflows} name filter; absent or empty runs every workflow, as upstream. */
    private static Optional<Set<String>> workflows(JsonNode in) throws Refused {
        JsonNode w = in.get("workflows");
        if (w == null || w.isNull()) return Optional.empty();
        if (!w.isArray()) throw refuse(400, "Generic", "workflows must be an array of workflow file names");
        Set<String> names = new LinkedHashSet<>();
        for (JsonNode n : w) {
            if (!n.isTextual()) throw refuse(400, "Generic", "workflows must be an array of workflow file names");
            names.add(n.textValue());
        }
        return Optional.of(names);
    }

    private static List<TriggerKind.Input> inputs(JsonNode t) throws Refused {
        JsonNode a = t.get("inputs");
        if (a == null || a.isNull()) return List.of();
        String why = "inputs must be an array of {\"key\":..., \"value\":...} pairs of strings";
        if (!a.isArray()) throw refuse(400, "Generic", why);
        List<TriggerKind.Input> out = new ArrayList<>();
        for (JsonNode p : a) {
            if (!p.isObject() || !p.path("key").isTextual() || !p.path("value").isTextual()) {
                throw refuse(400, "Generic", why);
            }
            out.add(new TriggerKind.Input(p.get("key").textValue(), p.get("value").textValue()));
        }
        return out;
    }

    /**
     * Whether {@code s} is an AT-URI as atproto's syntax check takes it:
     * {@code at://<DID or handle>[/<collection NSID>[/<record key>]]}.
     */
    static boolean isAtUri(String s) {
        if (!s.startsWith("at://")) return false;
        String[] parts = s.substring(5).split("/", -1);
        if (parts.length > 3) return false;
        String authority = parts[0];
        if (AtSyntax.did(authority).isPresent() && !HANDLE.matcher(authority).matches()) return false;
        if (parts.length > 1 && AtSyntax.nsid(parts[1]).isPresent()) return false;
        return parts.length < 3 || AtSyntax.recordKey(parts[2]).isEmpty();
    }
}
