package dev.weft.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.Locale;

/**
 * Answers {@link Route.DidDocument} ({@code GET /.well-known/did.json}) with the spindle's
 * {@code did:web} document (spec tangled-ci 7): its id and one service, {@code #tangled_spindle},
 * at the spindle's base URL. A PDS reads it to proxy a call sent with
 * {@code atproto-proxy: did:web:<host>#tangled_spindle}; the appview itself dials the hostname and
 * never reads it. No verification method: the spindle verifies tokens, it signs none. Built once;
 * stateless and {@link Sharable}. Without a hostname (a server built without one, as in tests) there
 * is no identity to describe, and it answers 404.
 */
@Sharable
final class DidDocumentHandler extends SimpleChannelInboundHandler<Route.DidDocument> {
    static final String PATH = "/.well-known/did.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final byte[] document;

    /** @param hostname the spindle's hostname ({@code WEFT_HOSTNAME}), or null when it has none */
    DidDocumentHandler(String hostname) {
        this.document = hostname == null ? null : document(hostname);
    }

    /**
     * The document's bytes. The id percent-encodes a port ({@code did:web:localhost%3A6555}), as
     * did:web requires and the rewritten appview writes audiences; the endpoint is {@code http} for
     * {@code localhost} and {@code https} otherwise, the scheme the appview's
     * {@code EnsureHttpScheme} picks for the same hostname (spec tangled-ci 3.0).
     */
    static byte[] document(String hostname) {
        ObjectNode doc = JSON.createObjectNode();
        doc.putArray("@context").add("https://www.w3.org/ns/did/v1");
        doc.put("id", "did:web:" + hostname.replace(":", "%3A"));
        ObjectNode service = doc.putArray("service").addObject();
        service.put("id", "#tangled_spindle");
        service.put("type", "TangledSpindle");
        service.put("serviceEndpoint", (isLocalhost(hostname) ? "http://" : "https://") + hostname);
        try {
            return JSON.writeValueAsBytes(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e); // strings only: always encodes
        }
    }

    private static boolean isLocalhost(String hostname) {
        int colon = hostname.indexOf(':');
        return (colon < 0 ? hostname : hostname.substring(0, colon)).toLowerCase(Locale.ROOT).equals("localhost");
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Route.DidDocument route) {
        if (document == null) {
            Responses.text(ctx, route.call(), HttpResponseStatus.NOT_FOUND, "no DID document: this server has no hostname\n");
        } else {
            Responses.json(ctx, route.call(), HttpResponseStatus.OK, document);
        }
    }
}
