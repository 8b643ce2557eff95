package dev.weft.xrpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.auth.DidResolver;
import dev.weft.auth.ServiceAuth;
import dev.weft.discovery.RepoRegistry;
import dev.weft.model.AtSyntax;
import dev.weft.model.RepoRef;
import dev.weft.model.Trigger;
import dev.weft.net.Deadline;
import dev.weft.server.XrpcHandler.Request;
import dev.weft.server.XrpcHandler.Response;
import dev.weft.wire.GoJson;
import dev.weft.wire.WireBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the XRPC method classes of this package share, so each check answers the same way whichever
 * method makes it: the early answer of a failed check ({@link Refused}), service auth, reading a
 * JSON body, finding the repository a call names and the caller's push rights on it, whether a
 * pipeline is a repository's, and writing a response as the upstream spindle's Go
 * {@code json.NewEncoder} does.
 */
final class XrpcCalls {
    private static final Logger log = LoggerFactory.getLogger(XrpcCalls.class);
    static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] NEWLINE = {'\n'};

    private XrpcCalls() {
    }

    /**
     * An early answer: the first failed check of a call. An exception so that checks nest without
     * every helper returning "answer or value"; it carries no stack trace, being no error of weft's.
     */
    static final class Refused extends Exception {
        final transient Response response;

        Refused(Response response) {
            super(null, null, false, false);
            this.response = response;
        }
    }

    static Refused refuse(int status, String error, String message) {
        return new Refused(Response.error(status, error, message));
    }

    /**
     * The caller's DID from its service-auth token, or 403 {@code Auth} (spec tangled-ci 3.0: the
     * same for every authenticated method). {@code methods} are the names the method is called by,
     * the one called first: a token's {@code lxm} may name any of them.
     */
    static String authenticate(ServiceAuth auth, Request r, Deadline deadline, String... methods) throws Refused {
        try {
            return auth.verify(r.header("Authorization"), List.of(methods), deadline);
        } catch (ServiceAuth.AuthException e) {
            log.info("XRPC {} refused: {}", methods[0], e.getMessage());
            throw refuse(403, "Auth", "signature verification failed: " + e.getMessage());
        }
    }

    /**
     * The registration, when the caller may push to it (spec tangled-ci 3.0: its owner or a
     * collaborator, on the repo DID): 400 {@code RepoNotFound}, then 400 {@code AccessControl}.
     *
     * @param asked what the caller named the repository by, for the message
     */
    static RepoRef pushable(RepoRegistry registry, String caller, Optional<RepoRef> found, String asked) throws Refused {
        RepoRef repo = registered(found, asked);
        if (!registry.hasPushRights(caller, repo.repoDid())) {
            throw refuse(400, "AccessControl",
                    "DID does not have sufficient access permissions for this operation: " + caller);
        }
        return repo;
    }

    /**
     * The registration a {@code repo} parameter names by its repo DID (the sh.tangled.ci methods):
     * a text that is not a DID is 400 {@code Generic}, an unregistered one 400 {@code RepoNotFound},
     * both with upstream's wording.
     */
    static RepoRef byRepoDid(RepoRegistry registry, String repoDid) throws Refused {
        Optional<String> bad = AtSyntax.did(repoDid);
        if (bad.isPresent()) throw refuse(400, "Generic", "invalid repo DID: " + bad.get());
        return registered(registry.byRepoDid(repoDid), repoDid);
    }

    private static RepoRef registered(Optional<RepoRef> found, String asked) throws Refused {
        return found.filter(RepoRef::hasRepoDid).orElseThrow(() -> refuse(400, "RepoNotFound",
                "failed to access repository: " + asked + " is not registered to this spindle by its repo DID"));
    }

    /**
     * The repo-DID registration a pre-rename alias's {@code repo} names (spec tangled-ci 3.8): a
     * repo DID directly; an AT-URI of a {@code sh.tangled.repo} record through {@link RepoResolver}
     * (the records the Jetstream delivered, else the owner's PDS): by the record's {@code repoDid},
     * or by its (knot, owner, name). A repo-DID registration made from a record is keyed by (knot,
     * owner, record key), so both the record's name and its key are tried. A text that is neither
     * is 400 {@code Generic}; a record that cannot be read, 400 {@code RepoNotFound}.
     */
    static Optional<RepoRef> aliasRepo(RepoResolver repos, RepoRegistry registry, String repoText, Deadline deadline)
            throws Refused {
        if (AtSyntax.did(repoText).isEmpty()) return registry.byRepoDid(repoText);
        RepoResolver.RepoUri uri = RepoResolver.parse(repoText).orElseThrow(() -> refuse(400, "Generic",
                "invalid repo: " + AtSyntax.quote(repoText) + " is neither a sh.tangled.repo AT-URI nor a repo DID"));
        Optional<RepoRef> record;
        try {
            record = repos.resolve(uri, deadline);
        } catch (DidResolver.ResolutionException e) {
            log.warn("cannot resolve {}: {}", repoText, e.getMessage());
            throw refuse(400, "RepoNotFound", "failed to access repository: cannot read the record " + repoText
                    + ": " + e.getMessage());
        }
        if (record.isEmpty()) return Optional.empty();
        RepoRef k = record.get();
        if (k.hasRepoDid()) return registry.byRepoDid(k.repoDid());
        return registry.byName(k.knot(), k.did(), k.name()).filter(RepoRef::hasRepoDid)
                .or(() -> registry.byName(k.knot(), k.did(), uri.rkey()).filter(RepoRef::hasRepoDid));
    }

    /**
     * Whether a pipeline is {@code repo}'s. A pipeline weft built names the repo DID; one a legacy
     * knot made names (knot, owner, name), which is the repo-DID registration the registry keeps
     * under that key when there is one (as the run intake maps it), else that legacy key itself.
     */
    static boolean belongsTo(RepoRegistry registry, Trigger trigger, RepoRef repo) {
        RepoRef t = trigger.repo();
        if (!repo.hasRepoDid()) return !t.hasRepoDid() && t.key().equals(repo.key());
        if (t.hasRepoDid()) return t.repoDid().equals(repo.repoDid());
        return t.key().equals(repo.key()) || registry.byName(t.knot(), t.did(), t.name())
                .filter(RepoRef::hasRepoDid).map(RepoRef::repoDid).filter(repo.repoDid()::equals).isPresent();
    }

    /** The body as a JSON object, or 400 with {@code errorTag} (the tag differs between method families). */
    static JsonNode jsonObject(Request r, String errorTag) throws Refused {
        try {
            JsonNode n = r.body().length == 0 ? null : JSON.readTree(r.body());
            if (n == null || !n.isObject()) throw refuse(400, errorTag, "the body must be a JSON object");
            return n;
        } catch (java.io.IOException e) {
            throw refuse(400, errorTag, "the body is not JSON");
        }
    }

    /**
     * {@code value} encoded as Go's {@code json.NewEncoder(w).Encode} writes it: fields in the
     * order given, {@code < > &} and U+2028/U+2029 escaped ({@link GoJson#string}), and a trailing
     * newline. Peers were written against the upstream spindle's bytes.
     */
    static Response goJson(int status, JsonNode value) {
        WireBuffer out = new WireBuffer(256);
        write(out, value);
        out.append(NEWLINE);
        return Response.json(status, out.toByteArray());
    }

    private static void write(WireBuffer out, JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            ascii(out, "null");
        } else if (v.isObject()) {
            ascii(out, "{");
            Iterator<Map.Entry<String, JsonNode>> fields = v.fields();
            boolean first = true;
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                if (!first) ascii(out, ",");
                first = false;
                GoJson.string(out, f.getKey());
                ascii(out, ":");
                write(out, f.getValue());
            }
            ascii(out, "}");
        } else if (v.isArray()) {
            ascii(out, "[");
            for (int i = 0; i < v.size(); i++) {
                if (i > 0) ascii(out, ",");
                write(out, v.get(i));
            }
            ascii(out, "]");
        } else if (v.isTextual()) {
            GoJson.string(out, v.textValue());
        } else if (v.isBoolean() || v.isIntegralNumber()) {
            ascii(out, v.asText());
        } else {
            // No response of this package carries fractions or binary; refusing beats guessing
            // Go's float formatting.
            throw new IllegalArgumentException("no Go encoding for " + v.getNodeType());
        }
    }

    private static void ascii(WireBuffer out, String s) {
        out.append(s.getBytes(StandardCharsets.US_ASCII));
    }
}
