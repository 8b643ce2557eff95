package dev.weft.notifications;

import dev.weft.notify.Delivery;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * One bounded HTTP POST and what its answer means for delivery, shared by the built-in notifiers:
 * 2xx sent; 408, 429 and 5xx retried (honouring {@code Retry-After}); other 4xx rejected; a timeout,
 * reset or refused connection retried. Response bodies are read up to {@link #MAX_BODY} bytes.
 */
public final class HttpDelivery implements AutoCloseable {
    /** Enough for any JSON answer a notifier reads; a receiver answering megabytes is cut off. */
    public static final int MAX_BODY = 64 * 1024;

    private final HttpClient client;
    private final Duration timeout;

    public HttpDelivery(Duration timeout) {
        this.timeout = timeout;
        this.client = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** A 2xx answer's status and (bounded) body. */
    public record Answer(int status, String body) {
    }

    /** Either the 2xx answer or the delivery outcome that replaces it. */
    public sealed interface Result {
        record Ok(Answer answer) implements Result {
        }

        record Failed(Delivery outcome) implements Result {
        }
    }

    public Result post(URI uri, String contentType, String body, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout).header("Content-Type", contentType)
                .header("User-Agent", "weft-notify").POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        headers.forEach(b::header);
        HttpResponse<byte[]> r;
        try {
            r = client.send(b.build(), info -> HttpResponse.BodySubscribers.mapping(
                    HttpResponse.BodySubscribers.ofInputStream(), in -> {
                        try (in) {
                            return in.readNBytes(MAX_BODY);
                        } catch (IOException e) {
                            return new byte[0];
                        }
                    }));
        } catch (IOException e) {
            return new Result.Failed(new Delivery.Retry(uri.getHost() + ": " + e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result.Failed(new Delivery.Retry("interrupted"));
        }
        int s = r.statusCode();
        String text = new String(r.body(), StandardCharsets.UTF_8);
        if (s >= 200 && s < 300) return new Result.Ok(new Answer(s, text));
        String why = "HTTP " + s + " from " + uri.getHost() + (text.isBlank() ? "" : ": " + abbreviate(text));
        if (s == 408 || s == 429 || s >= 500) {
            return new Result.Failed(new Delivery.Retry(why, retryAfter(r.headers().firstValue("Retry-After").orElse(null))));
        }
        return new Result.Failed(new Delivery.Rejected(why));
    }

    /** {@code Retry-After} as seconds or an HTTP date; null when absent or unreadable. */
    static Duration retryAfter(String v) {
        if (v == null || v.isBlank()) return null;
        try {
            long s = Long.parseLong(v.trim());
            return s < 0 ? null : Duration.ofSeconds(s);
        } catch (NumberFormatException e) {
            try {
                Duration d = Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(v.trim(), DateTimeFormatter.RFC_1123_DATE_TIME));
                return d.isNegative() ? Duration.ZERO : d;
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }

    static String abbreviate(String s) {
        String one = s.strip().replaceAll("\\s+", " ");
        return one.length() > 200 ? one.substring(0, 200) + "…" : one;
    }

    @Override
    public void close() {
        client.close();
    }
}
