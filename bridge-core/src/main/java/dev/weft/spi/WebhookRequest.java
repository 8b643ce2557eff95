package dev.weft.spi;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One webhook delivery as received: the raw body (verify signatures over these exact bytes) and the
 * headers with lower-case names. Bodies over the server's limit never reach a handler.
 *
 * @param method  the HTTP method, upper case
 * @param path    the request path without the query
 * @param headers header values by lower-case name
 * @param body    the raw request body
 */
public record WebhookRequest(String method, String path, Map<String, List<String>> headers, byte[] body) {
    public WebhookRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        headers = Map.copyOf(headers);
        Objects.requireNonNull(body, "body");
    }

    /** The first value of a header, matched case-insensitively. */
    public Optional<String> header(String name) {
        List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
        return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
