package dev.weft.pipelines;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** Expected values were computed independently (Python hashlib over the framing of spec 3.6). */
@DisplayName("WorkflowDefinitionHash")
class WorkflowDefinitionHashTest {

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    @DisplayName("no files hash nothing: the SHA-256 of the empty input")
    void empty() {
        assertEquals("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                WorkflowDefinitionHash.of(Map.of()));
    }

    @Test
    @DisplayName("name, 0x00, little-endian 64-bit length, contents, for each file in name order")
    void framing() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("test.yml", b("engine: stub\n"));   // given out of order on purpose
        files.put("build.yml", b("engine: nixery\n"));
        assertEquals("sha256:70529cd538afbd032f8649fd0ad0e595c8940a0361786daabd821a68fcb1bec7",
                WorkflowDefinitionHash.of(files));
        assertEquals("sha256:31e64fa1c1cd14240433985ceeef75a37cec1d5533af7baf351ecd4a0ad01a06",
                WorkflowDefinitionHash.of(Map.of("ci.yml", new byte[0])));
    }

    @Test
    @DisplayName("sorted by UTF-8 bytes, as Go sorts strings, not by Java's UTF-16 order")
    void byteOrder() {
        // U+FFFF sorts after U+1F600 in UTF-16 but before it in UTF-8
        assertEquals("sha256:1a5d389515d00f6520ee7c59cdb521bc6f955f98686689b8bc48428f6079e8c0",
                WorkflowDefinitionHash.of(Map.of("\uFFFF.yml", b("x"), "\uD83D\uDE00.yml", b("y"))));
    }

    @Test
    @DisplayName("the separator and length keep [fo, o] and [f, oo] apart, and contents matter")
    void unambiguous() {
        assertNotEquals(WorkflowDefinitionHash.of(Map.of("fo", b("o"))), WorkflowDefinitionHash.of(Map.of("f", b("oo"))));
        assertNotEquals(WorkflowDefinitionHash.of(Map.of("a", b("x"), "b", b(""))),
                WorkflowDefinitionHash.of(Map.of("a", b(""), "b", b("x"))));
        assertNotEquals(WorkflowDefinitionHash.of(Map.of("a", b("x"))), WorkflowDefinitionHash.of(Map.of("a", b("y"))));
    }

    @Test
    @DisplayName("unreadable files count too: the hash is over what was loaded, not what compiled")
    void binaryCounts() {
        assertNotEquals(WorkflowDefinitionHash.of(Map.of()),
                WorkflowDefinitionHash.of(Map.of("junk.bin", new byte[]{0, (byte) 0xff, 1})));
    }
}
