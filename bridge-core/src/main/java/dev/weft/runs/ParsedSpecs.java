package dev.weft.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Workflow YAML parsed into the spec a provider reads, remembered by its text. A repository's
 * pushes nearly always carry the same workflow files, and parsing them (SnakeYAML builds a resolver
 * and a scanner per document) was four tenths of a run thread's time in the pending bench; copying
 * a parsed tree costs a few microseconds. Each caller gets its own copy, since a spec is a mutable
 * Jackson tree handed to plugins. Bounded in entries and in the size of a text it keeps.
 */
final class ParsedSpecs {
    private static final YAMLMapper YAML = new YAMLMapper();
    static final int ENTRIES = 256;
    /**
     * Texts longer than this are parsed every time rather than kept, so what is kept stays below
     * 256 texts of 64 Ki characters and their trees.
     */
    static final int MAX_CHARS = 64 * 1024;

    private final Map<String, JsonNode> parsed = new LinkedHashMap<>(ENTRIES * 2, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, JsonNode> eldest) {
            return size() > ENTRIES;
        }
    };

    /** The spec of {@code raw}, a copy of its own; {@link MissingNode} when it is empty or does not parse. */
    JsonNode spec(String raw) {
        if (raw.length() > MAX_CHARS) return parse(raw);
        JsonNode kept;
        synchronized (parsed) {
            kept = parsed.get(raw);
        }
        if (kept == null) {
            kept = parse(raw);
            synchronized (parsed) {
                parsed.put(raw, kept);
            }
        }
        return kept.deepCopy();
    }

    /** Why {@code raw} is not YAML, in one line; null when it parses. */
    static String error(String raw) {
        try {
            YAML.readTree(raw);
            return null;
        } catch (Exception e) {
            String m = e.getMessage();
            return m == null ? e.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
        }
    }

    private static JsonNode parse(String raw) {
        try {
            JsonNode n = YAML.readTree(raw);
            return n == null ? MissingNode.getInstance() : n;
        } catch (Exception e) {
            return MissingNode.getInstance();
        }
    }
}
