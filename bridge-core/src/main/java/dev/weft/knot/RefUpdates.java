package dev.weft.knot;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.model.AtSyntax;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Parses the knot-stream records of upgraded knots: {@code sh.tangled.git.refUpdate} in its three
 * shapes and {@code sh.tangled.repo.collaboratorUpdate}. Like {@link PipelineRecords}, it refuses a
 * record with a reason instead of throwing, and checks every identifier's syntax before anything
 * is stored.
 */
public final class RefUpdates {
    public static final String NSID = "sh.tangled.git.refUpdate";
    public static final String COLLABORATOR_NSID = "sh.tangled.repo.collaboratorUpdate";
    /** The lexicon's limits: {@code ref} at most 2560 bytes, at most 50 push options of 1024. */
    static final int MAX_REF = 2560;
    static final int MAX_PUSH_OPTIONS = 50;
    static final int MAX_PUSH_OPTION = 1024;
    private static final Pattern SHA = Pattern.compile("[0-9a-f]{40}");

    private RefUpdates() {
    }

    /** A parsed record, or why it was refused. */
    public sealed interface Parsed<T> {
        record Ok<T>(T value) implements Parsed<T> {
        }

        record Rejected<T>(String reason) implements Parsed<T> {
        }
    }

    public static Parsed<RefUpdate> refUpdate(String knot, String rkey, JsonNode event, Instant receivedAt) {
        Objects.requireNonNull(knot, "knot");
        try {
            return new Parsed.Ok<>(build(knot, rkey, event, receivedAt));
        } catch (Refusal r) {
            return new Parsed.Rejected<>(r.getMessage());
        } catch (RuntimeException e) {
            return new Parsed.Rejected<>("unexpected error parsing refUpdate: " + e);
        }
    }

    public static Parsed<CollaboratorUpdate> collaborator(String knot, JsonNode event) {
        try {
            if (event == null || !event.isObject()) throw new Refusal("record is not a JSON object");
            String op = string(event, "op", true);
            if (!op.equals("add") && !op.equals("remove")) throw new Refusal("op " + AtSyntax.quote(op) + " is not add or remove");
            return new Parsed.Ok<>(new CollaboratorUpdate(knot, op.equals("add"), did(event, "subject", true),
                    did(event, "repo", true)));
        } catch (Refusal r) {
            return new Parsed.Rejected<>(r.getMessage());
        }
    }

    private static RefUpdate build(String knot, String rkey, JsonNode event, Instant receivedAt) {
        AtSyntax.recordKey(rkey).ifPresent(why -> {
            throw new Refusal("rkey is not a record key: " + why);
        });
        if (event == null || !event.isObject()) throw new Refusal("record is not a JSON object");
        String ref = string(event, "ref", true);
        if (ref.isEmpty()) throw new Refusal("ref is empty");
        if (ref.length() > MAX_REF) throw new Refusal("ref is " + ref.length() + " characters, over " + MAX_REF);
        AtSyntax.wellFormed(ref).ifPresent(why -> {
            throw new Refusal("ref is not valid text: " + why);
        });
        String committer = did(event, "committerDid", true);
        String oldSha = sha(event, "oldSha");
        String newSha = sha(event, "newSha");
        RefUpdate.Shape shape;
        String repoDid;
        String ownerDid = did(event, "ownerDid", false);
        String repoName = "";
        if (event.has("repo")) {
            shape = RefUpdate.Shape.CURRENT;
            repoDid = did(event, "repo", true);
        } else if (event.has("repoDid")) {
            repoName = string(event, "repoName", true);
            AtSyntax.recordKey(repoName).ifPresent(why -> {
                throw new Refusal("repoName is not usable: " + why);
            });
            if (!ownerDid.isEmpty()) {
                shape = RefUpdate.Shape.TRANSITIONAL;
                repoDid = did(event, "repoDid", true);
            } else {
                // Before v1.14 the field named repoDid held the owner's DID.
                shape = RefUpdate.Shape.PRE_V1_14;
                ownerDid = did(event, "repoDid", true);
                repoDid = "";
            }
        } else {
            throw new Refusal("neither repo nor repoDid: cannot tell which repository was pushed");
        }
        return new RefUpdate(knot, rkey, shape, ref, committer, repoDid, ownerDid, repoName, oldSha, newSha,
                strings(event, "changedFiles", Integer.MAX_VALUE, Integer.MAX_VALUE),
                strings(event, "pushOptions", MAX_PUSH_OPTIONS, MAX_PUSH_OPTION).orElse(List.of()), receivedAt);
    }

    private static String string(JsonNode o, String field, boolean required) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            if (required) throw new Refusal(field + " is missing");
            return "";
        }
        if (!n.isTextual()) throw new Refusal(field + " is not a string");
        return n.textValue();
    }

    private static String did(JsonNode o, String field, boolean required) {
        String s = string(o, field, required);
        if (s.isEmpty() && !required) return "";
        AtSyntax.did(s).ifPresent(why -> {
            throw new Refusal(field + " is not a DID: " + why);
        });
        return s;
    }

    private static String sha(JsonNode o, String field) {
        String s = string(o, field, true);
        if (!SHA.matcher(s).matches()) throw new Refusal(field + " is not 40 lower-case hex digits: " + AtSyntax.quote(s));
        return s;
    }

    private static Optional<List<String>> strings(JsonNode o, String field, int maxItems, int maxLength) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) return Optional.empty();
        if (!n.isArray()) throw new Refusal(field + " is not an array");
        if (n.size() > maxItems) throw new Refusal(field + " has " + n.size() + " items, over " + maxItems);
        List<String> out = new ArrayList<>(n.size());
        for (int i = 0; i < n.size(); i++) {
            JsonNode item = n.get(i);
            if (!item.isTextual()) throw new Refusal(field + "[" + i + "] is not a string");
            if (item.textValue().length() > maxLength) throw new Refusal(field + "[" + i + "] is over " + maxLength + " characters");
            Optional<String> bad = AtSyntax.wellFormed(item.textValue());
            if (bad.isPresent()) throw new Refusal(field + "[" + i + "] is not valid text: " + bad.get());
            out.add(item.textValue());
        }
        return Optional.of(out);
    }

    private static final class Refusal extends RuntimeException {
        Refusal(String message) {
            super(message, null, false, false);
        }
    }
}
