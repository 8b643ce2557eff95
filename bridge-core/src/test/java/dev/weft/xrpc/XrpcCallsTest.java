package dev.weft.xrpc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class XrpcCallsTest {

    @Test
    @DisplayName("responses are Go json.NewEncoder bytes: fields in order, <>& and U+2028 escaped, a trailing newline")
    void goJson() {
        ObjectNode o = XrpcCalls.JSON.createObjectNode();
        o.put("pipeline", "at://x/<y>&z\u2028");
        o.put("derived", true);
        o.putArray("workflows").add("a.yml").add("b.yml");
        o.putArray("none");
        o.put("n", 42);
        String body = new String(XrpcCalls.goJson(200, o).body(), StandardCharsets.UTF_8);
        assertEquals("{\"pipeline\":\"at://x/\\u003cy\\u003e\\u0026z\\u2028\",\"derived\":true,"
                + "\"workflows\":[\"a.yml\",\"b.yml\"],\"none\":[],\"n\":42}\n", body);
    }

    @Test
    @DisplayName("AT-URIs as atproto's syntax check takes them")
    void atUris() {
        assertTrue(CiXrpc.isAtUri("at://did:plc:abc/sh.tangled.repo.pull/3kpull"));
        assertTrue(CiXrpc.isAtUri("at://alice.example.com/sh.tangled.repo.pull/3kpull"));
        assertTrue(CiXrpc.isAtUri("at://did:plc:abc"));
        assertFalse(CiXrpc.isAtUri("https://tangled.org/pull/1"));
        assertFalse(CiXrpc.isAtUri("at://not a did/x.y.z/k"));
        assertFalse(CiXrpc.isAtUri("at://did:plc:abc/not-an-nsid/k"));
        assertFalse(CiXrpc.isAtUri("at://did:plc:abc/a.b.c/k/extra"));
        assertFalse(CiXrpc.isAtUri("at://did:plc:abc/a.b.c/bad key"));
    }
}
