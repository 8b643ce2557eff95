package dev.weft.concurrency;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ConcurrencySpecTest {
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Map<String, String> VARS = Map.of("TANGLED_REF_NAME", "main", "TANGLED_REPO_NAME", "site");

    private static ConcurrencySpec read(String yaml) throws Exception {
        JsonNode spec = YAML.readTree(yaml);
        return ConcurrencySpec.read(spec, VARS);
    }

    @Test
    @DisplayName("no key, the short form and the long form")
    void forms() throws Exception {
        assertEquals(ConcurrencySpec.NONE, read("engine: x\n"));
        assertEquals(new ConcurrencySpec.Group("deploy", false), read("concurrency: deploy\n"));
        assertEquals(new ConcurrencySpec.Group("deploy", true),
                read("concurrency:\n  group: deploy\n  cancel-in-progress: true\n"));
        assertEquals(new ConcurrencySpec.Group("deploy", false),
                read("concurrency:\n  group: deploy\n  cancel-in-progress: false\n"));
    }

    @Test
    @DisplayName("TANGLED_* variables expand (unset ones to nothing); other text is kept as written")
    void expansion() throws Exception {
        assertEquals(new ConcurrencySpec.Group("deploy-main-site", false),
                read("concurrency: deploy-${TANGLED_REF_NAME}-${TANGLED_REPO_NAME}\n"));
        assertEquals(new ConcurrencySpec.Group("pr-", false), read("concurrency: pr-${TANGLED_PR_SOURCE_BRANCH}\n"));
        assertEquals(new ConcurrencySpec.Group("x-${HOME}", false), read("concurrency: x-${HOME}\n"));
    }

    @Test
    @DisplayName("the cap holds for the name as written and once expanded; an empty name is refused")
    void caps() throws Exception {
        assertEquals(new ConcurrencySpec.Group("g".repeat(256), false), read("concurrency: " + "g".repeat(256) + "\n"));
        assertEquals(new ConcurrencySpec.Invalid("concurrency group is 257 characters, more than the 256 allowed"),
                read("concurrency: " + "g".repeat(257) + "\n"));
        ConcurrencySpec expanded = ConcurrencySpec.read(YAML.readTree("concurrency: a-${TANGLED_INPUT_X}\n"),
                Map.of("TANGLED_INPUT_X", "v".repeat(300)));
        assertEquals(new ConcurrencySpec.Invalid("concurrency group is 302 characters once expanded, more than the 256 allowed"),
                expanded);
        assertEquals(new ConcurrencySpec.Invalid("concurrency group is empty once expanded"),
                read("concurrency: ${TANGLED_PR_ACTION}\n"));
        assertEquals(new ConcurrencySpec.Invalid("concurrency group contains control characters"),
                read("concurrency: \"a\\nb\"\n"));
    }
}
