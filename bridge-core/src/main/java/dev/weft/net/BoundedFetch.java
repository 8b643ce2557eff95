package dev.weft.net;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * HTTP GETs that end by a deadline and hold at most a byte cap, whatever the remote host does.
 *
 * <p>The deadline covers connect, headers and the whole body: {@link HttpRequest#timeout} alone
 * stops at the headers, and reading a body stream blocks for as long as the host trickles or
 * stalls. So the exchange runs on the client's own selector ({@code sendAsync}), the caller only
 * waits on its future for the time left, and on expiry both the future and the body subscription
 * are cancelled, which closes the connection: no thread stays parked on the socket and no
 * connection stays open after the call returns. The cap is checked twice: a declared
 * {@code Content-Length} above it is refused before any body is read, and an undeclared (chunked)
 * body is cut off as soon as it passes the cap, so memory per fetch is the cap plus one buffer.
 *
 * <p>Only the caller's thread waits on the remote host, and only until the deadline; the exchange
 * itself runs on the client's selector thread, so stalled fetches do not pin threads. Thread-safe.
 */
public final class BoundedFetch implements AutoCloseable {
    private final HttpClient http;
    /** Whether {@link #close} ends the client: only one this fetcher built itself. */
    private final boolean ownsClient;
    private final Duration timeout;
    private final int maxBytes;

    /**
     * With a client of its own (no redirects: a fetched URL is chosen by a remote party already).
     *
     * @param timeout  total time for one fetch, connect to last body byte
     * @param maxBytes the largest body accepted
     */
    public BoundedFetch(Duration timeout, int maxBytes) {
        this(HttpClient.newBuilder().connectTimeout(requirePositive(timeout))
                .followRedirects(HttpClient.Redirect.NEVER).build(), timeout, maxBytes, true);
    }

    /** Over an existing client, whose own connect timeout and redirect policy still apply. */
    public BoundedFetch(HttpClient http, Duration timeout, int maxBytes) {
        this(http, timeout, maxBytes, false);
    }

    private BoundedFetch(HttpClient http, Duration timeout, int maxBytes, boolean ownsClient) {
        this.ownsClient = ownsClient;
        this.http = Objects.requireNonNull(http, "http");
        this.timeout = requirePositive(timeout);
        if (maxBytes < 0) throw new IllegalArgumentException("maxBytes " + maxBytes);
        this.maxBytes = maxBytes;
    }

    /**
     * Ends the client this fetcher built (its selector thread would otherwise outlive weft until
     * the client is garbage-collected) and aborts fetches still under way; a client passed in is
     * its owner's to close.
     */
    @Override
    public void close() {
        if (ownsClient) http.shutdownNow();
    }

    /** A fetched response: any status (the caller decides what a 404 means) and the whole body. */
    public record Response(int status, byte[] body) {
        public Response {
            Objects.requireNonNull(body, "body");
        }
    }

    /** {@link #get(URI, String, Deadline)} with only this fetch's own timeout. */
    public Response get(URI uri, String accept) throws FetchException {
        return get(uri, accept, Deadline.none());
    }

    /**
     * GETs {@code uri}, giving up at this fetch's timeout or {@code deadline}, whichever is first.
     *
     * @param accept the {@code Accept} header, or null for none
     * @throws FetchException naming the host and what went wrong; the connection is closed by then
     */
    public Response get(URI uri, String accept, Deadline deadline) throws FetchException {
        Objects.requireNonNull(uri, "uri");
        return exchange(uri, deadline, b -> {
            b.GET();
            if (accept != null) b.header("Accept", accept);
        });
    }

    /**
     * POSTs {@code body} to {@code uri} with {@code headers}, under the same deadline and cap as
     * {@link #get(URI, String, Deadline)}: for request-response protocols such as git's smart HTTP.
     *
     * @throws FetchException naming the host and what went wrong; the connection is closed by then
     */
    public Response post(URI uri, java.util.Map<String, String> headers, byte[] body, Deadline deadline) throws FetchException {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(body, "body");
        return exchange(uri, deadline, b -> {
            b.POST(HttpRequest.BodyPublishers.ofByteArray(body));
            headers.forEach(b::header);
        });
    }

    private Response exchange(URI uri, Deadline deadline, java.util.function.Consumer<HttpRequest.Builder> request)
            throws FetchException {
        Objects.requireNonNull(deadline, "deadline");
        String host = uri.getAuthority() != null ? uri.getAuthority() : String.valueOf(uri);
        Duration limit = deadline.remaining(timeout);
        if (limit.isZero()) {
            throw new FetchException(host, FetchException.Kind.TIMEOUT, "not fetched: the request's time budget is spent");
        }
        HttpRequest.Builder b;
        try {
            b = HttpRequest.newBuilder(uri).timeout(limit);
            request.accept(b);
        } catch (IllegalArgumentException e) {
            throw new FetchException(host, FetchException.Kind.FAILED, "cannot fetch " + uri + ": " + e.getMessage());
        }
        CappedBody body = new CappedBody(maxBytes);
        CompletableFuture<HttpResponse<byte[]>> future;
        try {
            future = http.sendAsync(b.build(), body);
        } catch (IllegalArgumentException e) {
            throw new FetchException(host, FetchException.Kind.FAILED, "cannot fetch " + uri + ": " + e.getMessage());
        }
        try {
            HttpResponse<byte[]> r = future.get(limit.toNanos(), TimeUnit.NANOSECONDS);
            return new Response(r.statusCode(), r.body());
        } catch (TimeoutException e) {
            abort(body, future);
            throw timedOut(host, limit, body);
        } catch (InterruptedException e) {
            abort(body, future);
            Thread.currentThread().interrupt();
            throw new FetchException(host, FetchException.Kind.FAILED, "interrupted");
        } catch (ExecutionException e) {
            abort(body, future); // already over; makes sure a half-read connection is not kept
            if (body.tooLarge) {
                throw new FetchException(host, FetchException.Kind.TOO_LARGE, "body larger than " + size(maxBytes));
            }
            Throwable c = unwrap(e);
            if (c instanceof HttpTimeoutException && !(c instanceof HttpConnectTimeoutException)) throw timedOut(host, limit, body);
            if (c instanceof HttpConnectTimeoutException) {
                throw new FetchException(host, FetchException.Kind.TIMEOUT, "timed out after " + duration(limit) + " connecting");
            }
            if (c instanceof ConnectException) throw new FetchException(host, FetchException.Kind.FAILED, "refused the connection");
            String what = c.getMessage() != null ? c.getMessage() : c.getClass().getSimpleName();
            throw new FetchException(host, FetchException.Kind.FAILED, "failed: " + what);
        }
    }

    private static void abort(CappedBody body, CompletableFuture<?> future) {
        body.abort();
        future.cancel(true);
    }

    private static FetchException timedOut(String host, Duration limit, CappedBody body) {
        String phase = body.headersSeen ? "reading the body" : "waiting for the response headers";
        return new FetchException(host, FetchException.Kind.TIMEOUT, "timed out after " + duration(limit) + " " + phase);
    }

    private static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof ExecutionException || c instanceof CompletionException) && c.getCause() != null) c = c.getCause();
        return c;
    }

    private static Duration requirePositive(Duration d) {
        Objects.requireNonNull(d, "timeout");
        if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("timeout " + d);
        return d;
    }

    /** {@code 500ms}, {@code 10s}, {@code 2.5s}: as an operator would write it. */
    static String duration(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) return ms + "ms";
        if (ms % 1000 == 0) return ms / 1000 + "s";
        return String.format(java.util.Locale.ROOT, "%.1fs", ms / 1000.0);
    }

    /** {@code 256 KiB}, {@code 1 MiB}, or bytes when neither is exact. */
    static String size(long bytes) {
        if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) return bytes / (1 << 20) + " MiB";
        if (bytes >= 1 << 10 && bytes % (1 << 10) == 0) return bytes / (1 << 10) + " KiB";
        return bytes + " bytes";
    }

    /**
     * One response's body, collected up to the cap. Also its handler, so the fetch can tell whether
     * the headers came (for the message) and cancel the subscription itself on expiry: cancelling
     * only the future would leave the subscription's cleanup to the client's schedule.
     */
    private static final class CappedBody implements HttpResponse.BodyHandler<byte[]>, HttpResponse.BodySubscriber<byte[]> {
        private final int max;
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private volatile Flow.Subscription subscription;
        private volatile boolean headersSeen;
        private volatile boolean tooLarge;
        private volatile long declared = -1;
        private long received;

        CappedBody(int max) {
            this.max = max;
        }

        @Override
        public HttpResponse.BodySubscriber<byte[]> apply(HttpResponse.ResponseInfo info) {
            headersSeen = true;
            declared = info.headers().firstValueAsLong("Content-Length").orElse(-1);
            return this;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (declared > max) {
                refuse();
                return;
            }
            // An abort that ran before the subscription existed could not cancel it.
            if (result.isDone()) {
                s.cancel();
                return;
            }
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (result.isDone()) return;
            for (ByteBuffer b : items) {
                received += b.remaining();
                if (received > max) {
                    refuse();
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                out.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(out.toByteArray());
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        private void refuse() {
            tooLarge = true;
            subscription.cancel();
            result.completeExceptionally(new IOException("body larger than " + size(max)));
        }

        void abort() {
            result.completeExceptionally(new IOException("aborted"));
            Flow.Subscription s = subscription;
            if (s != null) s.cancel();
        }
    }

    /** A fetch that did not produce a response; the message names the host and what went wrong. */
    public static final class FetchException extends Exception {
        /** What kind of failure, for callers that answer differently. */
        public enum Kind {
            /** The deadline passed (or the budget was spent before starting). */
            TIMEOUT,
            /** The body was, or was declared, larger than the cap. */
            TOO_LARGE,
            /** Anything else: refused, reset, malformed, interrupted. */
            FAILED
        }

        private final String host;
        private final Kind kind;

        public FetchException(String host, Kind kind, String what) {
            super(host + ": " + what);
            this.host = host;
            this.kind = kind;
        }

        /** The host (and port) fetched from. */
        public String host() {
            return host;
        }

        public Kind kind() {
            return kind;
        }
    }
}
