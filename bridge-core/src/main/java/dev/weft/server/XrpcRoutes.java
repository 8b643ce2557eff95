package dev.weft.server;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * XRPC methods served under {@code /xrpc/<nsid>}. Thread-safe; mounting may happen before or after
 * {@link WeftServer#start()}. {@code sh.tangled.owner} (GET) is mounted by the server itself.
 *
 * <p>An unknown NSID answers 404 {@code {"error":"MethodNotImplemented",...}} (the appview reads a
 * 404 on {@code sh.tangled.owner} as "XRPC unsupported"); a known NSID with another HTTP method
 * answers 405 {@code {"error":"InvalidRequest",...}} with an {@code Allow} header.
 */
public final class XrpcRoutes {

    /** Dotted segments of letters, digits and hyphens, as atproto NSIDs are. */
    private static final Pattern NSID = Pattern.compile("[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+");

    private final Map<String, Map<String, XrpcHandler>> byNsid = new ConcurrentHashMap<>();

    XrpcRoutes() {
    }

    /**
     * Mounts {@code handler} for {@code httpMethod} requests to {@code /xrpc/<nsid>}.
     *
     * @param httpMethod GET (XRPC queries) or POST (procedures), any case
     * @throws IllegalArgumentException on a malformed NSID, another method, or when the pair is
     *                                  already mounted
     */
    public void mount(String nsid, String httpMethod, XrpcHandler handler) {
        Objects.requireNonNull(nsid, "nsid");
        Objects.requireNonNull(httpMethod, "httpMethod");
        Objects.requireNonNull(handler, "handler");
        if (!NSID.matcher(nsid).matches()) throw new IllegalArgumentException("not an NSID: " + nsid);
        String method = httpMethod.toUpperCase(Locale.ROOT);
        if (!method.equals("GET") && !method.equals("POST")) {
            throw new IllegalArgumentException("XRPC methods are GET or POST, not " + httpMethod);
        }
        Map<String, XrpcHandler> methods = byNsid.computeIfAbsent(nsid, k -> new ConcurrentHashMap<>());
        if (methods.putIfAbsent(method, handler) != null) {
            throw new IllegalArgumentException("XRPC " + method + " " + nsid + " is already mounted");
        }
    }

    /** What a request for {@code nsid} with {@code method} finds. */
    sealed interface Lookup {
        record Found(XrpcHandler handler) implements Lookup {
        }

        record WrongMethod(Set<String> allowed) implements Lookup {
        }

        record Unknown() implements Lookup {
        }
    }

    Lookup find(String nsid, String method) {
        Map<String, XrpcHandler> methods = byNsid.get(nsid);
        if (methods == null || methods.isEmpty()) return new Lookup.Unknown();
        XrpcHandler h = methods.get(method);
        return h != null ? new Lookup.Found(h) : new Lookup.WrongMethod(new TreeSet<>(methods.keySet()));
    }
}
