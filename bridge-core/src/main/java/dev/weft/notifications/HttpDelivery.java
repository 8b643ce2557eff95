package dev.weft.notifications;

import dev.weft.notify.Delivery;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One bounded HTTP POST and what its answer means for delivery, shared by the built-in notifiers:
 * 2xx sent; 408, 429 and 5xx retried (honouring {@code Retry-After}); other 4xx rejected; a timeout,
 * reset or refused connection retried. Response bodies are read up to {@link #MAX_BODY} bytes.
 *
 * <p>The timeout bounds the whole exchange, body included: the JDK's request timeout stops at the
 * response headers, so a receiver trickling its body would otherwise hold a delivery lane forever.
 * A 2xx whose body does not arrive in time is still a 2xx ({@link Result.Ok} with what arrived):
 * the receiver took the request, and retrying it would deliver it twice.
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
        AtomicReference<BoundedBody> answered = new AtomicReference<>();
        CompletableFuture<HttpResponse<byte[]>> exchange = client.sendAsync(b.build(), info -> {
            BoundedBody sink = new BoundedBody(info.statusCode());
            answered.set(sink);
            return sink;
        });
        HttpResponse<byte[]> r;
        try {
            r = exchange.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            exchange.cancel(true);
            BoundedBody late = answered.get();
            if (late != null && late.status >= 200 && late.status < 300) {
                return new Result.Ok(new Answer(late.status, new String(late.soFar(), StandardCharsets.UTF_8)));
            }
            return new Result.Failed(new Delivery.Retry(uri.getHost() + ": no answer within " + timeout.toMillis() + " ms"));
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return new Result.Failed(new Delivery.Retry(uri.getHost() + ": " + cause));
        } catch (InterruptedException e) {
            exchange.cancel(true);
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

    /**
     * Keeps the first {@link #MAX_BODY} bytes of a body and stops reading there; a body cut short
     * by the connection is what arrived (the status already said what the receiver did).
     */
    private static final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final int status;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private final CompletableFuture<byte[]> done = new CompletableFuture<>();
        private Flow.Subscription subscription;

        BoundedBody(int status) {
            this.status = status;
        }

        byte[] soFar() {
            return kept.toByteArray();
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return done;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            for (ByteBuffer item : items) {
                int n = Math.min(item.remaining(), MAX_BODY - kept.size());
                if (n <= 0) break;
                byte[] chunk = new byte[n];
                item.get(chunk);
                kept.write(chunk, 0, n);
            }
            if (kept.size() >= MAX_BODY) {
                subscription.cancel();
                done.complete(soFar());
            } else {
                subscription.request(1);
            }
        }

        @Override
        public void onError(Throwable t) {
            done.complete(soFar());
        }

        @Override
        public void onComplete() {
            done.complete(soFar());
        }
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

    public static String abbreviate(String s) {
        String one = s.strip().replaceAll("\\s+", " ");
        return one.length() > 200 ? one.substring(0, 200) + "…" : one;
    }

    /** Aborts exchanges still running (a lane that did not stop in time) rather than waiting for them. */
    @Override
    public void close() {
        client.shutdownNow();
    }
}
