package dev.weft.xrpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.auth.DidResolver;
import dev.weft.auth.ServiceAuth;
import dev.weft.discovery.RepoRegistry;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.Trigger;
import dev.weft.model.WorkflowId;
import dev.weft.net.Deadline;
import dev.weft.runs.RunManager.CancelOutcome;
import dev.weft.secrets.RepoSecrets;
import dev.weft.server.XrpcHandler.Request;
import dev.weft.server.XrpcHandler.Response;
import dev.weft.server.XrpcRoutes;
import dev.weft.xrpc.XrpcCalls.Refused;
import dev.weft.store.RegistryStore;
import dev.weft.store.RunStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

import static dev.weft.xrpc.XrpcCalls.refuse;

/**
 * The authenticated XRPC methods of spec section 7: {@code sh.tangled.repo.addSecret},
 * {@code removeSecret} (POST), {@code listSecrets} (GET {@code ?repo=}) and
 * {@code sh.tangled.pipeline.cancelPipeline} (POST). Each call is checked in this order, and the
 * first failure answers:
 * <ol>
 *   <li>403 {@code {"error":"Auth",...}}: no or bad service-auth token ({@link ServiceAuth}, with
 *       {@code lxm} = the method);</li>
 *   <li>400 {@code InvalidRequest}: a body or parameter missing or malformed;</li>
 *   <li>404 {@code RepoNotFound}: the repo at-uri names no record; 502 {@code UpstreamFailure}: the
 *       owner's DID or PDS could not be reached to find out;</li>
 *   <li>401 {@code AccessControl} (spec tangled-ci 3.7): the caller is neither the repo's owner nor
 *       one of its collaborators, or (secrets) the repository is not registered to this spindle.
 *       A repository whose record carries a {@code repoDid} is the registration of that repo DID,
 *       and its collaborators are those the registry knows for it (by record, by repo DID or by its
 *       knot); a legacy one's are those whose records name the repo's at-uri;</li>
 *   <li>cancel only: 404 {@code NotFound} when the pipeline has no such workflow of that repo.</li>
 * </ol>
 * Success: add/remove/cancel answer 200 with no body (remove of an absent key and cancel of a
 * terminal workflow change nothing); list answers {@code {"secrets":[{repo,key,createdAt,
 * createdBy}]}} by key, or {@code {"secrets":null}} when there are none. Values are never returned.
 *
 * <p>Every fetch a call makes (the issuer's DID document, then possibly the repo owner's and its
 * PDS record) shares one {@link #REQUEST_BUDGET}, so hosts chosen by the caller cannot stretch a
 * call past it however slowly they answer, one after another.
 */
public final class NetworkXrpc {
    private static final Logger log = LoggerFactory.getLogger(NetworkXrpc.class);
    private static final ObjectMapper JSON = XrpcCalls.JSON;
    public static final String ADD_SECRET = "sh.tangled.repo.addSecret";
    public static final String REMOVE_SECRET = "sh.tangled.repo.removeSecret";
    public static final String LIST_SECRETS = "sh.tangled.repo.listSecrets";
    public static final String CANCEL_PIPELINE = "sh.tangled.pipeline.cancelPipeline";
    /**
     * How long a call may spend on remote hosts in total. Each fetch also has its own timeout (10 s
     * as weft wires it); a call is promised an answer within 15 s, and this leaves the rest of
     * that for the store, the signature check and the reply.
     */
    public static final Duration REQUEST_BUDGET = Duration.ofSeconds(12);

    private final ServiceAuth auth;
    private final RepoResolver repos;
    private final RepoRegistry registry;
    private final RepoSecrets secrets;
    private final RunStore store;
    private final RegistryStore records;
    private final Function<WorkflowId, CancelOutcome> cancel;

    public NetworkXrpc(ServiceAuth auth, RepoResolver repos, RepoRegistry registry, RepoSecrets secrets, RunStore store, RegistryStore records,
                       Function<WorkflowId, CancelOutcome> cancel) {
        this.auth = Objects.requireNonNull(auth, "auth");
        this.repos = Objects.requireNonNull(repos, "repos");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.secrets = Objects.requireNonNull(secrets, "secrets");
        this.store = Objects.requireNonNull(store, "store");
        this.records = Objects.requireNonNull(records, "records");
        this.cancel = Objects.requireNonNull(cancel, "cancel");
    }

    /** Mounts the four methods. */
    public void mount(XrpcRoutes routes) {
        routes.mount(ADD_SECRET, "POST", this::addSecret);
        routes.mount(REMOVE_SECRET, "POST", this::removeSecret);
        routes.mount(LIST_SECRETS, "GET", this::listSecrets);
        routes.mount(CANCEL_PIPELINE, "POST", this::cancelPipeline);
    }

    /** A caller allowed to manage a repository, and what the repository is. */
    private record Authorized(String caller, RepoResolver.RepoUri uri, RepoRef repo) {
    }

    // ---------------------------------------------------------------- methods

    Response addSecret(Request r) {
        Deadline deadline = Deadline.after(REQUEST_BUDGET);
        try {
            String caller = authenticate(r, ADD_SECRET, deadline);
            JsonNode in = body(r);
            String key = required(in, "key");
            String value = required(in, "value");
            String why = RepoSecrets.invalid(key, value);
            if (why != null) throw refuse(400, "InvalidRequest", why);
            Authorized a = authorize(caller, required(in, "repo"), true, deadline);
            if (!secrets.add(a.repo().did(), a.repo().name(), a.uri().uri(), key, value, caller)) {
                throw refuse(400, "InvalidRequest", "secret " + key + " already exists on this repository; remove it first");
            }
            log.info("secret {} added to {} by {}", key, a.repo(), caller);
            return Response.empty(200);
        } catch (Refused e) {
            return e.response;
        }
    }

    Response removeSecret(Request r) {
        Deadline deadline = Deadline.after(REQUEST_BUDGET);
        try {
            String caller = authenticate(r, REMOVE_SECRET, deadline);
            JsonNode in = body(r);
            String key = required(in, "key");
            Authorized a = authorize(caller, required(in, "repo"), true, deadline);
            if (secrets.remove(a.repo().did(), a.repo().name(), key)) {
                log.info("secret {} removed from {} by {}", key, a.repo(), caller);
            }
            return Response.empty(200);
        } catch (Refused e) {
            return e.response;
        }
    }

    Response listSecrets(Request r) {
        Deadline deadline = Deadline.after(REQUEST_BUDGET);
        try {
            String caller = authenticate(r, LIST_SECRETS, deadline);
            String repo = r.param("repo").filter(s -> !s.isBlank())
                    .orElseThrow(() -> refuse(400, "InvalidRequest", "query parameter repo is required"));
            Authorized a = authorize(caller, repo, true, deadline);
            List<RepoSecrets.Listed> list = secrets.list(a.repo().did(), a.repo().name());
            ObjectNode out = JSON.createObjectNode();
            if (list.isEmpty()) {
                out.putNull("secrets"); // Go's nil slice: the appview expects exactly this
            } else {
                ArrayNode arr = out.putArray("secrets");
                for (RepoSecrets.Listed s : list) {
                    ObjectNode o = arr.addObject();
                    o.put("repo", s.repoUri());
                    o.put("key", s.key());
                    o.put("createdAt", s.createdAt().toString());
                    o.put("createdBy", s.createdBy());
                }
            }
            return Response.json(200, JSON.writeValueAsBytes(out));
        } catch (Refused e) {
            return e.response;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    Response cancelPipeline(Request r) {
        Deadline deadline = Deadline.after(REQUEST_BUDGET);
        try {
            String caller = authenticate(r, CANCEL_PIPELINE, deadline);
            JsonNode in = body(r);
            String repo = required(in, "repo");
            String pipelineUri = required(in, "pipeline");
            String workflow = required(in, "workflow");
            PipelineId pipeline = PipelineId.parseAtUri(pipelineUri)
                    .orElseThrow(() -> refuse(400, "InvalidRequest", "pipeline is not a pipeline at-uri: " + pipelineUri));
            Authorized a = authorize(caller, repo, false, deadline);
            WorkflowId id = new WorkflowId(pipeline, workflow);
            Optional<Trigger> trigger = store.trigger(pipeline);
            if (store.run(id).isEmpty() || trigger.isEmpty() || !XrpcCalls.belongsTo(registry, trigger.get(), a.repo())) {
                throw refuse(404, "NotFound", "no workflow " + workflow + " in pipeline " + pipelineUri + " of " + repo);
            }
            CancelOutcome outcome = cancel.apply(id);
            if (outcome == CancelOutcome.NOT_FOUND) throw refuse(404, "NotFound", "no workflow " + workflow + " in " + pipelineUri);
            log.info("cancel of {} by {}: {}", id, caller, outcome);
            return Response.empty(200);
        } catch (Refused e) {
            return e.response;
        }
    }

    // ---------------------------------------------------------------- checks

    private String authenticate(Request r, String method, Deadline deadline) throws Refused {
        return XrpcCalls.authenticate(auth, r, deadline, method);
    }

    private static JsonNode body(Request r) throws Refused {
        return XrpcCalls.jsonObject(r, "InvalidRequest");
    }

    private static String required(JsonNode in, String field) throws Refused {
        JsonNode v = in.get(field);
        if (v == null || !v.isTextual() || v.asText().isEmpty()) {
            throw refuse(400, "InvalidRequest", field + " is required (a non-empty string)");
        }
        return v.asText();
    }

    private Authorized authorize(String caller, String repoUri, boolean mustBeRegistered, Deadline deadline) throws Refused {
        RepoResolver.RepoUri uri = RepoResolver.parse(repoUri)
                .orElseThrow(() -> refuse(400, "InvalidRequest", "repo is not a sh.tangled.repo at-uri: " + repoUri));
        Optional<RepoRef> repo;
        try {
            repo = repos.resolve(uri, deadline);
        } catch (DidResolver.ResolutionException e) {
            log.warn("cannot resolve {}: {}", repoUri, e.getMessage());
            throw refuse(502, "UpstreamFailure", "cannot read the repository record: " + e.getMessage());
        }
        if (repo.isEmpty()) throw refuse(404, "RepoNotFound", "no repository record " + repoUri);
        RepoRef named = repo.get();
        // A repo DID's registration (what its runs and secrets are keyed by), when there is one.
        Optional<RepoRef> registered = named.hasRepoDid() ? registry.byRepoDid(named.repoDid())
                : registry.byName(named.knot(), named.did(), named.name());
        boolean allowed = caller.equals(uri.did()) || records.isCollaborator(uri.uri(), caller)
                || (named.hasRepoDid() && registry.hasPushRights(caller, named.repoDid()));
        if (!allowed) {
            throw refuse(401, "AccessControl",
                    "DID does not have sufficient access permissions for this operation: " + caller);
        }
        if (mustBeRegistered && registered.isEmpty()) {
            throw refuse(401, "AccessControl", "repository " + describe(named) + " is not registered to this spindle");
        }
        return new Authorized(caller, uri, registered.orElse(named));
    }

    private static String describe(RepoRef r) {
        return r.hasRepoDid() ? r.repoDid() + " (" + r.key() + ")" : r.key().toString();
    }
}
