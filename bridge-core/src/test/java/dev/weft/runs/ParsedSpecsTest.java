package dev.weft.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParsedSpecsTest {
    private static final String YAML = """
            engine: stub
            stub:
              steps:
                - name: build
                  command: make
            """;

    @Test
    @DisplayName("one text parsed once: every caller gets an equal tree of its own, so a plugin's change stays in its run")
    void copiesOfOneParse() {
        ParsedSpecs specs = new ParsedSpecs();
        JsonNode first = specs.spec(YAML);
        assertEquals("stub", first.path("engine").asText());
        ((ObjectNode) first).put("engine", "changed by a plugin");
        ((ObjectNode) first.path("stub").path("steps").get(0)).put("command", "rm -rf /");
        JsonNode second = specs.spec(YAML);
        assertNotSame(first, second);
        assertEquals("stub", second.path("engine").asText());
        assertEquals("make", second.path("stub").path("steps").get(0).path("command").asText());
    }

    @Test
    @DisplayName("empty or broken YAML is a missing spec, every time; error() says why in one line")
    void brokenYaml() {
        ParsedSpecs specs = new ParsedSpecs();
        String broken = "engine: [stub\n  steps: {";
        assertTrue(specs.spec(broken).isMissingNode());
        assertTrue(specs.spec(broken).isMissingNode());
        assertTrue(specs.spec("").isMissingNode());
        String why = ParsedSpecs.error(broken);
        assertNotNull(why);
        assertEquals(1, why.lines().count());
        assertNull(ParsedSpecs.error(YAML));
    }

    @Test
    @DisplayName("texts past the size it keeps are parsed each time, and more texts than it keeps still parse right")
    void bounds() {
        ParsedSpecs specs = new ParsedSpecs();
        String big = "engine: stub\nnote: \"" + "x".repeat(ParsedSpecs.MAX_CHARS) + "\"\n";
        assertEquals(ParsedSpecs.MAX_CHARS, specs.spec(big).path("note").asText().length());
        for (int i = 0; i < ParsedSpecs.ENTRIES * 2; i++) {
            assertEquals(i, specs.spec("engine: stub\nn: " + i + "\n").path("n").asInt());
        }
        assertEquals("stub", specs.spec(YAML).path("engine").asText());
    }
}
