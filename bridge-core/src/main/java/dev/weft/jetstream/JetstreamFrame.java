package dev.weft.jetstream;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;

/**
 * One Jetstream frame, parsed:
 * {@code {"did","time_us","kind":"commit"|"identity"|"account","commit":{"rev","operation",
 * "collection","rkey","record"?,"cid"?}}}. Never throws on input: anything unusable is
 * {@link Malformed}.
 */
sealed interface JetstreamFrame {
    ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** A record created, updated or deleted. {@code record} is a MissingNode for deletes; {@code rev} may be empty. */
    record Commit(String did, long timeUs, Operation operation, String collection, String rkey, String rev,
                  JsonNode record) implements JetstreamFrame {
        /** The record's at-uri. */
        String uri() {
            return "at://" + did + "/" + collection + "/" + rkey;
        }
    }

    /** An identity or account event (or a kind this client does not know): only its cursor matters. */
    record Other(String kind, long timeUs) implements JetstreamFrame {
    }

    record Malformed(String reason) implements JetstreamFrame {
    }

    enum Operation { CREATE, UPDATE, DELETE }

    static JetstreamFrame parse(String text) {
        JsonNode n;
        try {
            n = JSON.readTree(text);
        } catch (Exception e) {
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            return new Malformed("not JSON: " + m);
        }
        if (n == null || !n.isObject()) return new Malformed("not a JSON object");
        JsonNode t = n.path("time_us");
        if (!t.canConvertToLong() || !t.isIntegralNumber() || t.asLong() <= 0) return new Malformed("no valid time_us");
        long timeUs = t.asLong();
        String kind = n.path("kind").asText("");
        if (!kind.equals("commit")) return new Other(kind, timeUs);
        String did = n.path("did").asText("");
        if (!did.startsWith("did:")) return new Malformed("commit without a did");
        JsonNode c = n.path("commit");
        if (!c.isObject()) return new Malformed("commit frame without a commit object");
        String collection = c.path("collection").asText("");
        String rkey = c.path("rkey").asText("");
        if (collection.isEmpty() || rkey.isEmpty()) return new Malformed("commit without collection or rkey");
        Operation op = switch (c.path("operation").asText("")) {
            case "create" -> Operation.CREATE;
            case "update" -> Operation.UPDATE;
            case "delete" -> Operation.DELETE;
            default -> null;
        };
        if (op == null) return new Malformed("unknown commit operation " + c.path("operation"));
        JsonNode record = c.path("record");
        if (op != Operation.DELETE && !record.isObject()) return new Malformed(op + " without a record object");
        return new Commit(did, timeUs, op, collection, rkey, c.path("rev").asText(""),
                op == Operation.DELETE ? MissingNode.getInstance() : record);
    }
}
