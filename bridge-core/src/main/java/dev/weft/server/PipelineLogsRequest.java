package dev.weft.server;

import dev.weft.wire.Tid;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses the query of {@code sh.tangled.ci.subscribePipelineLogs} (and of its pre-rename alias
 * {@code sh.tangled.ci.pipeline.subscribeLogs}, same parameters: lexicons A.8 and A.11) strictly,
 * before any lookup: {@code pipeline}, exactly one TID; {@code workflows}, any number of names,
 * repeats dropped. Unknown parameters are ignored, as XRPC servers do. Stateless.
 */
final class PipelineLogsRequest {
    static final String NSID = "sh.tangled.ci.subscribePipelineLogs";
    static final String PRE_RENAME_NSID = "sh.tangled.ci.pipeline.subscribeLogs";
    private static final Set<String> PATHS = Set.of(Router.XRPC_PREFIX + NSID, Router.XRPC_PREFIX + PRE_RENAME_NSID);

    private PipelineLogsRequest() {
    }

    /** Whether {@code rawPath} is one of the subscription's two names. */
    static boolean isPath(String rawPath) {
        return PATHS.contains(rawPath);
    }

    /** The outcome: the pipeline's TID and the requested names (empty: all), or why it was refused. */
    sealed interface Result {
        record Ok(String pipeline, List<String> workflows) implements Result {
            public Ok {
                workflows = List.copyOf(workflows);
            }
        }

        record Bad(String message) implements Result {
        }
    }

    /** @param query the decoded query, null when it could not be decoded */
    static Result parse(Map<String, List<String>> query) {
        if (query == null) return new Result.Bad("malformed query string");
        List<String> p = query.get("pipeline");
        if (p == null || p.isEmpty()) return new Result.Bad("pipeline parameter required");
        if (p.size() > 1) return new Result.Bad("pipeline parameter given more than once");
        String tid = p.get(0);
        // Upstream's message; the value is echoed only when it is short and printable.
        if (!Tid.isValid(tid)) return new Result.Bad("pipeline parameter invalid: " + printable(tid));
        Set<String> names = new LinkedHashSet<>();
        for (String w : query.getOrDefault("workflows", List.of())) {
            if (w.isEmpty()) return new Result.Bad("empty workflows parameter");
            if (w.chars().anyMatch(Character::isISOControl)) return new Result.Bad("control character in workflows parameter");
            names.add(w);
        }
        return new Result.Ok(tid, List.copyOf(names));
    }

    private static String printable(String s) {
        if (s.length() > 64 || s.chars().anyMatch(Character::isISOControl)) return "(not shown)";
        return s;
    }
}
