package dev.weft.spi;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class VariablesTest {
    @Test
    @DisplayName("known names expand, unknown ones and bare $NAME stay as written, replacement text is literal")
    void expand() {
        Map<String, String> v = Map.of("TANGLED_SHA", "abc", "ODD", "$1\\x");
        assertEquals("at abc, ${NOPE}, $TANGLED_SHA", Variables.expand("at ${TANGLED_SHA}, ${NOPE}, $TANGLED_SHA", v));
        assertEquals("$1\\x", Variables.expand("${ODD}", v));
        assertEquals("", Variables.expand("", v));
    }
}
