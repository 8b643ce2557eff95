package dev.weft.provider.buildkite.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.weft.spi.WorkflowSpecException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkflowBlockTest {
    static final YAMLMapper YAML = new YAMLMapper();

    static WorkflowBlock parse(String yaml) throws Exception {
        JsonNode spec = YAML.readTree(yaml);
        return WorkflowBlock.parse(spec.path("buildkite"), spec);
    }

    static String error(String yaml) {
        return assertThrows(WorkflowSpecException.class, () -> parse(yaml)).getMessage();
    }

    @Test
    @DisplayName("a full block parses, scalars in maps becoming strings")
    void full() throws Exception {
        WorkflowBlock b = parse("""
                buildkite:
                  pipeline: my-app
                  org: acme
                  message: hi
                  env: {A: 1, B: true, C: x}
                  meta_data: {k: v}
                """);
        assertEquals("my-app", b.pipeline());
        assertEquals(Optional.of("acme"), b.org());
        assertEquals(Optional.of("hi"), b.message());
        assertEquals(Map.of("A", "1", "B", "true", "C", "x"), b.env());
        assertEquals(Map.of("k", "v"), b.metaData());
        assertEquals(false, b.fromTack());
    }

    @Test
    @DisplayName("tack's tack.buildkite block is accepted as an alias")
    void tack() throws Exception {
        WorkflowBlock b = parse("tack:\n  buildkite:\n    pipeline: legacy\n");
        assertEquals("legacy", b.pipeline());
        assertTrue(b.fromTack());
    }

    @Test
    @DisplayName("errors name the missing or invalid key")
    void errors() {
        assertTrue(error("engine: buildkite\n").contains("buildkite:"));
        assertTrue(error("buildkite: {org: acme}\n").contains("buildkite.pipeline is required"));
        assertTrue(error("buildkite: {pipeline: [a]}\n").contains("buildkite.pipeline must be a string"));
        assertTrue(error("buildkite: {pipeline: 'has space'}\n").contains("buildkite.pipeline"));
        assertTrue(error("buildkite: {pipeline: p, env: [a]}\n").contains("buildkite.env must be a map"));
        assertTrue(error("buildkite: {pipeline: p, env: {A: {b: c}}}\n").contains("buildkite.env.A"));
        assertTrue(error("buildkite: {pipeline: p, meta_data: x}\n").contains("buildkite.meta_data"));
        assertTrue(error("buildkite: {pipeline: p, org: {x: y}}\n").contains("buildkite.org"));
        assertTrue(error("buildkite: pipeline\n").contains("buildkite must be a map"));
        assertTrue(error("tack:\n  buildkite: {}\n").contains("tack.buildkite.pipeline is required"));
        assertThrows(WorkflowSpecException.class, () -> WorkflowBlock.parse(MissingNode.getInstance(), MissingNode.getInstance()));
    }
}
