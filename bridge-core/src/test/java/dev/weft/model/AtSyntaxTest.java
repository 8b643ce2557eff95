package dev.weft.model;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("AtSyntax: the atproto identifier rules")
class AtSyntaxTest {

    static void valid(Optional<String> r, String what) {
        assertEquals(Optional.empty(), r, what);
    }

    static void invalid(Optional<String> r, String what, String... mentions) {
        assertTrue(r.isPresent(), what + " should be invalid");
        for (String m : mentions) assertTrue(r.get().contains(m), what + ": \"" + r.get() + "\" should mention " + m);
    }

    @Test
    @DisplayName("record keys: 1-512 of A-Za-z0-9._:~- and neither . nor ..")
    void recordKeys() {
        for (String ok : List.of("3jzfcijpj2z2a", "self", "a", "...", "lang:", ":", "-", "_", "~", "a.b-c_d:e~f",
                "x".repeat(512), "Z9")) {
            valid(AtSyntax.recordKey(ok), ok);
        }
        invalid(AtSyntax.recordKey(""), "empty", "empty");
        invalid(AtSyntax.recordKey("."), ".", "\".\"", "not allowed");
        invalid(AtSyntax.recordKey(".."), "..", "\"..\"", "not allowed");
        invalid(AtSyntax.recordKey(" "), "blank", "U+0020");
        invalid(AtSyntax.recordKey("a\u0000b"), "NUL", "U+0000", "\"a\\u0000b\"");
        invalid(AtSyntax.recordKey("x".repeat(513)), "513", "513 characters", "512");
        invalid(AtSyntax.recordKey("caf\u00e9"), "non-ASCII", "U+00E9");
        invalid(AtSyntax.recordKey("a/b"), "slash", "'/'");
        invalid(AtSyntax.recordKey("a#b"), "hash", "'#'");
        invalid(AtSyntax.recordKey("\ud800"), "lone surrogate", "U+D800");
    }

    @Test
    @DisplayName("TIDs: 13 base32-sortable characters, the first one of 234567abcdefghij")
    void tids() {
        for (String ok : List.of("3jzfcijpj2z2a", "7777777777777", "2222222222222", "jzzzzzzzzzzzz")) {
            valid(AtSyntax.tid(ok), ok);
        }
        invalid(AtSyntax.tid("3jzfcijpj2z2"), "12 chars", "12 characters");
        invalid(AtSyntax.tid("3jzfcijpj2z2aa"), "14 chars", "14 characters");
        invalid(AtSyntax.tid("3jzfcijpj2z21"), "digit 1", "'1'");
        invalid(AtSyntax.tid("3JZFCIJPJ2Z2A"), "upper case", "'J'");
        invalid(AtSyntax.tid("kzzzzzzzzzzzz"), "top bit set", "starts with 'k'");
        invalid(AtSyntax.tid("zzzzzzzzzzzzz"), "top bit set", "starts with 'z'");
        invalid(AtSyntax.tid(""), "empty", "0 characters");
    }

    @Test
    @DisplayName("DIDs: did:<lowercase method>:<identifier>, ASCII, at most 2048, not ending in : or %")
    void dids() {
        for (String ok : List.of("did:plc:z72i7hdynmk6r22z27h6tvur", "did:web:blueskyweb.xyz",
                "did:web:localhost%3A1234", "did:method:val:two", "did:m:v", "did:method:-:_:.",
                "did:plc:" + "a".repeat(2048 - 8))) {
            valid(AtSyntax.did(ok), ok);
        }
        invalid(AtSyntax.did("did:plc:" + "a".repeat(2041)), "2049", "2049 characters");
        invalid(AtSyntax.did("DID:plc:abc"), "upper prefix", "\"did:\"");
        invalid(AtSyntax.did("did:PLC:abc"), "upper method", "lowercase");
        invalid(AtSyntax.did("did:m123:abc"), "digit in method", "lowercase");
        invalid(AtSyntax.did("did:plc"), "no identifier", "no method-specific identifier");
        invalid(AtSyntax.did("did:plc:"), "empty identifier", "empty identifier");
        invalid(AtSyntax.did("did:plc:abc:"), "ends in :", "ends in ':'");
        invalid(AtSyntax.did("did:plc:abc%"), "ends in %", "ends in '%'");
        invalid(AtSyntax.did("did:plc:a/b"), "slash", "'/'");
        invalid(AtSyntax.did("did:plc:a?b"), "query", "'?'");
        invalid(AtSyntax.did("did:plc:a#b"), "fragment", "'#'");
        invalid(AtSyntax.did("did::abc"), "empty method", "lowercase");
    }

    @Test
    @DisplayName("NSIDs: reversed domain authority plus a name, at least 3 segments")
    void nsids() {
        for (String ok : List.of("sh.tangled.pipeline", "sh.tangled.pipeline.status", "com.example.fooBar",
                "com.atproto.repo.createRecord", "a.b.c", "a-0.b-1.c", "com.example.postV2",
                "a." + "b".repeat(63) + ".c")) {
            valid(AtSyntax.nsid(ok), ok);
        }
        invalid(AtSyntax.nsid("com.example"), "2 segments", "2 segments");
        invalid(AtSyntax.nsid("com..example.foo"), "empty segment", "not 1 to 63");
        invalid(AtSyntax.nsid("1com.example.foo"), "digit TLD", "starts with a digit");
        invalid(AtSyntax.nsid("com.-example.foo"), "hyphen edge", "starts or ends with '-'");
        invalid(AtSyntax.nsid("com.example.3foo"), "digit name", "not a letter");
        invalid(AtSyntax.nsid("com.example.foo-bar"), "hyphen name", "not a letter");
        invalid(AtSyntax.nsid("com.example.*"), "wildcard", "not a letter");
        invalid(AtSyntax.nsid("com.ex\u00e4mple.foo"), "non-ASCII", "ASCII only");
        invalid(AtSyntax.nsid("com." + "o".repeat(64) + ".foo"), "64-char segment", "64 characters");
        invalid(AtSyntax.nsid("a." + "b.".repeat(160) + "c"), "over 317", "over the 317");
    }

    @Test
    @DisplayName("well-formed text: paired surrogates pass, a lone one is named with its index")
    void surrogates() {
        valid(AtSyntax.wellFormed("ci.yml \ud83d\ude80 ok"), "paired");
        valid(AtSyntax.wellFormed(""), "empty");
        invalid(AtSyntax.wellFormed("ci\ud800.yml"), "lone high", "U+D800", "index 2");
        invalid(AtSyntax.wellFormed("\udc00"), "lone low", "U+DC00", "index 0");
        invalid(AtSyntax.wellFormed("x\ud83d"), "high at the end", "U+D83D", "index 1");
        assertEquals(-1, AtSyntax.loneSurrogate("\ud83d\ude80"));
    }

    @Test
    @DisplayName("quote escapes what would corrupt a log line and cuts long text")
    void quoting() {
        assertEquals("\"a\\u0000\\\"b\\\\\\ud800\"", AtSyntax.quote("a\u0000\"b\\\ud800"));
        String q = AtSyntax.quote("y".repeat(100));
        assertTrue(q.startsWith("\"" + "y".repeat(80) + "\"") && q.endsWith("(100 characters)"), q);
    }
}
