package dev.weft.xrpc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.auth.ServiceAuth;
import dev.weft.discovery.RepoRegistry;
import dev.weft.model.AtSyntax;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.Trigger;
import dev.weft.model.WorkflowId;
import dev.weft.net.Deadline;
import dev.weft.runs.RunManager.CancelOutcome;
import dev.weft.server.XrpcHandler.Request;
import dev.weft.server.XrpcHandler.Response;
import dev.weft.server.XrpcRoutes;
import dev.weft.store.RunRecord;
import dev.weft.store.RunStore;
import dev.weft.xrpc.XrpcCalls.Refused;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import static dev.weft.xrpc.XrpcCalls.refuse;

/**
 * Cancelling a pipeline the {@code sh.tangled.ci} way (spec tangled-ci 3.5, 3.8), both POST with
 * service auth:
 * <ul>
 *   <li>{@code sh.tangled.ci.cancelPipeline}: {@code {repo: <repo DID>, pipeline: <TID>,
 *       workflows?: [name...]}};</li>
 *   <li>{@code sh.tangled.ci.pipeline.cancelPipeline}, its pre-rename alias: {@code repo} a repo
 *       DID or a {@code sh.tangled.repo} AT-URI, {@code pipeline} a TID or a pipeline AT-URI (whose
 *       knot then narrows the lookup), and {@code workflow} and/or {@code workflows}.</li>
 * </ul>
 * Checks in upstream's order, every failure 400 but a bad token (403 {@code Auth}): bad JSON
 * {@code Generic}; pipeline not a TID {@code Generic}; repo not a DID {@code Generic}, unknown
 * {@code RepoNotFound}; no push rights (owner or collaborator) {@code AccessControl}; pipeline not
 * found {@code Generic}; pipeline of another repository {@code AccessControl}. Then, unlike
 * upstream (weft line): a workflow named that the pipeline lacks is {@code Generic} and nothing is
 * cancelled; every named (or, none named, every) workflow not yet terminal is cancelled through
 * the run runtime, which asks its provider to stop it and records exactly one {@code cancelled};
 * terminal ones are left as they are. 200 with an empty body, so a repeated cancel is harmless.
 *
 * <p>A pipeline is found by its TID among every knot's pipelines (the runs are keyed by (knot,
 * rkey, workflow)), so pipelines a legacy knot made count as much as those weft built.
 */
public final class CiCancelXrpc {
    private static final Logger log = LoggerFactory.getLogger(CiCancelXrpc.class);
    public static final String CANCEL_PIPELINE = "sh.tangled.ci.cancelPipeline";
    public static final String CANCEL_PIPELINE_ALIAS = "sh.tangled.ci.pipeline.cancelPipeline";
    /** More names than a pipeline could hold workflows: a request naming more is refused unread. */
    static final int MAX_WORKFLOWS = 1000;

    private final ServiceAuth auth;
    private final RepoResolver repos;
    private final RepoRegistry registry;
    private final RunStore store;
    private final Function<WorkflowId, CancelOutcome> cancel;

    /** @param cancel the run runtime's cancel ({@code RunManager.cancel}), which reaches the provider */
    public CiCancelXrpc(ServiceAuth auth, RepoResolver repos, RepoRegistry registry, RunStore store,
                        Function<WorkflowId, CancelOutcome> cancel) {
        this.auth = Objects.requireNonNull(auth, "auth");
        this.repos = Objects.requireNonNull(repos, "repos");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.store = Objects.requireNonNull(store, "store");
        this.cancel = Objects.requireNonNull(cancel, "cancel");
    }

    /** Mounts the method and its alias. */
    public void mount(XrpcRoutes routes) {
        routes.mount(CANCEL_PIPELINE, "POST", this::cancelPipeline);
        routes.mount(CANCEL_PIPELINE_ALIAS, "POST", this::cancelPipelineAlias);
    }

    /** Which pipeline a call names: its TID, and the knot when an AT-URI named one. */
    private record Named(String rkey, Optional<String> knot) {
    }

    Response cancelPipeline(Request r) {
        Deadline deadline = Deadline.after(NetworkXrpc.REQUEST_BUDGET);
        try {
            String caller = XrpcCalls.authenticate(auth, r, deadline, CANCEL_PIPELINE, CANCEL_PIPELINE_ALIAS);
            JsonNode in = XrpcCalls.jsonObject(r, "Generic");
            Set<String> workflows = names(in, false);
            String tid = text(in, "pipeline");
            Optional<String> badTid = AtSyntax.tid(tid);
            if (badTid.isPresent()) throw refuse(400, "Generic", "invalid pipeline TID: " + badTid.get());
            String repoDid = text(in, "repo");
            RepoRef repo = XrpcCalls.pushable(registry, caller, Optional.of(XrpcCalls.byRepoDid(registry, repoDid)), repoDid);
            return cancel(caller, repo, new Named(tid, Optional.empty()), workflows);
        } catch (Refused e) {
            return e.response;
        }
    }

    Response cancelPipelineAlias(Request r) {
        Deadline deadline = Deadline.after(NetworkXrpc.REQUEST_BUDGET);
        try {
            String caller = XrpcCalls.authenticate(auth, r, deadline, CANCEL_PIPELINE_ALIAS, CANCEL_PIPELINE);
            JsonNode in = XrpcCalls.jsonObject(r, "Generic");
            Set<String> workflows = names(in, true);
            Named pipeline = aliasPipeline(text(in, "pipeline"));
            String repoText = text(in, "repo");
            RepoRef repo = XrpcCalls.pushable(registry, caller, XrpcCalls.aliasRepo(repos, registry, repoText, deadline),
                    repoText);
            return cancel(caller, repo, pipeline, workflows);
        } catch (Refused e) {
            return e.response;
        }
    }

    /**
     * The pipeline of the alias: a TID, or a pipeline AT-URI ({@code at://did:web:<knot>/
     * sh.tangled.pipeline/<rkey>}, what the {@code dd7a27b1} appview sends), whose knot is kept.
     */
    private static Named aliasPipeline(String text) throws Refused {
        if (text.startsWith("at://")) {
            PipelineId id = PipelineId.parseAtUri(text).orElseThrow(() -> refuse(400, "Generic",
                    "invalid pipeline: " + AtSyntax.quote(text) + " is not a sh.tangled.pipeline AT-URI"));
            Optional<String> bad = AtSyntax.recordKey(id.rkey());
            if (bad.isPresent()) throw refuse(400, "Generic", "invalid pipeline record key: " + bad.get());
            return new Named(id.rkey(), Optional.of(id.knot()));
        }
        Optional<String> bad = AtSyntax.tid(text);
        if (bad.isPresent()) throw refuse(400, "Generic", "invalid pipeline: neither a TID nor an AT-URI: " + bad.get());
        return new Named(text, Optional.empty());
    }

    private Response cancel(String caller, RepoRef repo, Named named, Set<String> workflows) throws Refused {
        Map<PipelineId, List<RunRecord>> pipelines = new LinkedHashMap<>();
        for (RunRecord run : store.runsByRkey(named.rkey())) {
            PipelineId id = run.workflow().pipeline();
            if (named.knot().isEmpty() || named.knot().get().equals(id.knot())) {
                pipelines.computeIfAbsent(id, k -> new ArrayList<>()).add(run);
            }
        }
        if (pipelines.isEmpty()) throw refuse(400, "Generic", "pipeline not found: " + named.rkey());
        // A TID is unique in practice; should two knots share one, only this repository's counts.
        List<RunRecord> runs = new ArrayList<>();
        for (Map.Entry<PipelineId, List<RunRecord>> p : pipelines.entrySet()) {
            Optional<Trigger> trigger = store.trigger(p.getKey());
            if (trigger.isPresent() && XrpcCalls.belongsTo(registry, trigger.get(), repo)) runs.addAll(p.getValue());
        }
        if (runs.isEmpty()) {
            throw refuse(400, "AccessControl", "pipeline " + named.rkey() + " does not belong to repository " + repo.repoDid());
        }
        Set<String> missing = new LinkedHashSet<>(workflows);
        runs.forEach(run -> missing.remove(run.workflow().name()));
        if (!missing.isEmpty()) {
            throw refuse(400, "Generic", "pipeline " + named.rkey() + " has no workflow " + String.join(", ", missing));
        }
        for (RunRecord run : runs) {
            if (!workflows.isEmpty() && !workflows.contains(run.workflow().name())) continue;
            if (run.state().isTerminal()) continue; // already over: nothing to stop, no second status
            CancelOutcome outcome = cancel.apply(run.workflow());
            log.info("cancel of {} by {}: {}", run.workflow(), caller, outcome);
        }
        return Response.empty(200);
    }

    // ---------------------------------------------------------------- input

    /** A string field; empty when absent or null, 400 {@code Generic} when of another type. */
    private static String text(JsonNode in, String field) throws Refused {
        JsonNode v = in.get(field);
        if (v == null || v.isNull()) return "";
        if (!v.isTextual()) throw refuse(400, "Generic", field + " must be a string");
        return v.textValue();
    }

    /**
     * The workflow names to cancel; empty means every one. {@code workflows} is an array of names;
     * the alias also takes {@code workflow}, one name, as the legacy method and older appviews send.
     */
    private static Set<String> names(JsonNode in, boolean single) throws Refused {
        Set<String> names = new LinkedHashSet<>();
        JsonNode w = in.get("workflows");
        String why = "workflows must be an array of workflow file names";
        if (w != null && !w.isNull()) {
            if (!w.isArray()) throw refuse(400, "Generic", why);
            if (w.size() > MAX_WORKFLOWS) throw refuse(400, "Generic", "workflows names more than " + MAX_WORKFLOWS);
            for (JsonNode n : w) {
                if (!n.isTextual() || n.textValue().isEmpty()) throw refuse(400, "Generic", why);
                names.add(n.textValue());
            }
        }
        if (single) {
            String one = text(in, "workflow");
            if (!one.isEmpty()) names.add(one);
        }
        return names;
    }
}
