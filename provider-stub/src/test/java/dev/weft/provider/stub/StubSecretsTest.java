package dev.weft.provider.stub;

import dev.weft.model.RunState;
import dev.weft.spi.SecretSupport;
import dev.weft.testkit.ProviderHarness;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("The stub's secrets: environment of its steps, masked in its output")
class StubSecretsTest {
    static final String VALUE = "s3cret-value-123";

    @Test
    @DisplayName("${NAME} expands to the secret in output; chunks split inside the value are assembled and masked")
    void expandedAndMasked() {
        assertEquals(SecretSupport.SECURE, new StubProvider().secretSupport());
        try (ProviderHarness h = ProviderHarness.builder(new StubProviderFactory()).start()) {
            assertTrue(h.addSecret("TOKEN", VALUE));
            ProviderHarness.TestRun r = h.push("ci.yml", """
                    engine: stub
                    stub:
                      steps:
                        - name: deploy
                          command: deploy --token ${TOKEN} at ${TANGLED_SHA}
                          output: ["using ${TOKEN}", "sha ${TANGLED_SHA}"]
                          chunks: ["token=s3cr", "et-value-123 end\\n", "bye"]
                    """);
            assertEquals(RunState.SUCCESS, r.awaitTerminal().state());
            List<String> frames = r.logFrames();
            String all = String.join("\n", frames);
            assertFalse(all.contains(VALUE), all);
            assertTrue(all.contains("\"content\":\"using ***\""), all);
            assertTrue(all.contains("\"content\":\"token=*** end\""), all);
            assertTrue(all.contains("\"content\":\"bye\""), all);
            assertTrue(all.contains("\"content\":\"sha " + ProviderHarness.SHA + "\""), all);
            assertTrue(all.contains("\"step_command\":\"deploy --token ${TOKEN} at " + ProviderHarness.SHA + "\""),
                    "commands show secrets unexpanded, as a shell would: " + all);
        }
    }
}
