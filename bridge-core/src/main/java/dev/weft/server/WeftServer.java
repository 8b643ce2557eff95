package dev.weft.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.events.EventFeed;
import dev.weft.logs.LogFeed;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * weft's HTTP server: {@code /events}, {@code /logs/{knot}/{rkey}/{name}} and
 * {@code sh.tangled.ci.subscribePipelineLogs} WebSockets, XRPC, provider webhooks, {@code /healthz},
 * {@code /metrics}, {@code /.well-known/did.json} and {@code /}, on one listener.
 *
 * <p>Lifecycle: {@link #builder()} ... {@link Builder#build()}; mount routes on
 * {@link #webhookRoutes()} and {@link #xrpcRoutes()} (before or after start); {@link #start()}
 * once; {@link #port()}; {@link #close()} once. Not restartable.
 *
 * <p>Threads: {@code start} and {@code close} block and must not be called from an event loop;
 * the route registries are thread-safe. The server reads the {@link EventFeed} and the
 * {@link LogFeed.WorkflowLog}s on its event loops (keep those reads fast), and calls
 * {@link LogFeed#open}, {@link LogFeed#workflows}, webhook and XRPC handlers and the health supplier on virtual threads.
 *
 * <p>Metrics registered on the given registry: gauges {@code weft.events.connections},
 * {@code weft.logs.connections}, {@code weft.pipeline_logs.connections}; counters {@code weft.ws.slow_disconnects{endpoint}},
 * {@code weft.webhooks{engine,outcome}}.
 */
public final class WeftServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WeftServer.class);

    private final String host;
    private final int requestedPort;
    private final ServerOptions options;
    private final WebhookRoutes webhooks = new WebhookRoutes();
    private final XrpcRoutes xrpc = new XrpcRoutes();
    private final PageRoutes pages = new PageRoutes();
    private final Blocking blocking = new Blocking();
    private final HttpPipeline.Deps deps;
    private final ChannelGroup channels = new DefaultChannelGroup("weft", GlobalEventExecutor.INSTANCE);

    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel listener;
    private volatile int port = -1;
    private boolean started;
    private boolean closed;

    /**
     * A server not yet started.
     *
     * @param host     listen address ({@code 0.0.0.0} for all)
     * @param port     listen port; 0 picks an ephemeral one, see {@link #port()}
     * @param events   what {@code /events} streams
     * @param logs     what {@code /logs} streams
     * @param ownerDid what {@code sh.tangled.owner} answers
     * @param health   what {@code /healthz} reports; called on a virtual thread per request
     * @param registry scraped by {@code /metrics}; the server registers its own meters on it
     * @param options  tunables, {@link ServerOptions#defaults()} in production
     */
    public WeftServer(String host, int port, EventFeed events, LogFeed logs, String ownerDid,
                      Supplier<Health> health, PrometheusMeterRegistry registry, ServerOptions options) {
        this(host, port, events, logs, ownerDid, health, registry, options, null);
    }

    /**
     * {@link #WeftServer(String, int, EventFeed, LogFeed, String, Supplier, PrometheusMeterRegistry,
     * ServerOptions)}, also serving {@code /.well-known/did.json} for {@code hostname} (the
     * spindle's identity, {@code WEFT_HOSTNAME}); null serves none.
     */
    public WeftServer(String host, int port, EventFeed events, LogFeed logs, String ownerDid,
                      Supplier<Health> health, PrometheusMeterRegistry registry, ServerOptions options, String hostname) {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port " + port);
        this.host = Objects.requireNonNull(host, "host");
        this.requestedPort = port;
        this.options = Objects.requireNonNull(options, "options");
        Objects.requireNonNull(events, "events");
        Objects.requireNonNull(logs, "logs");
        Objects.requireNonNull(ownerDid, "ownerDid");
        Objects.requireNonNull(health, "health");
        Objects.requireNonNull(registry, "registry");
        ServerMetrics metrics = new ServerMetrics(registry);
        this.deps = new HttpPipeline.Deps(options, events, logs, webhooks, xrpc, pages, metrics, blocking, health, registry,
                hostname);
        byte[] owner = ("{\"owner\":" + jsonString(ownerDid) + "}").getBytes(StandardCharsets.UTF_8);
        // The appview's whole verification handshake (spec section 7): no auth, fixed answer.
        xrpc.mount("sh.tangled.owner", "GET", request -> XrpcHandler.Response.json(200, owner));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Where provider webhook handlers are mounted. */
    public WebhookRoutes webhookRoutes() {
        return webhooks;
    }

    /** Where XRPC methods are mounted; {@code sh.tangled.owner} is already there. */
    public XrpcRoutes xrpcRoutes() {
        return xrpc;
    }

    /** Where plain HTTP pages are mounted (the web console at {@code /console}). */
    public PageRoutes pageRoutes() {
        return pages;
    }

    /**
     * Binds and starts serving. Blocks until bound.
     *
     * @return this
     * @throws IllegalStateException if called twice or after close; binding failures propagate as
     *                               Netty throws them (for example a {@code BindException})
     */
    public synchronized WeftServer start() {
        if (started || closed) throw new IllegalStateException("start() may be called once, before close()");
        started = true;
        boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
        int high = options.writeBufferHighWaterMark();
        try {
            listener = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(high / 2, high))
                    .childHandler(new HttpPipeline(deps, channels))
                    .bind(host, requestedPort).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            shutdownGroups();
            throw e;
        }
        port = ((InetSocketAddress) listener.localAddress()).getPort();
        log.info("weft server listening on {}:{}", host, port);
        return this;
    }

    /** The bound port (useful with port 0); -1 before {@link #start()}. */
    public int port() {
        return port;
    }

    /**
     * Stops gracefully: stops accepting, lets in-flight requests answer (up to the shutdown
     * timeout), sends WebSocket clients close 1001, closes every connection and stops the event
     * loops. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (listener != null) listener.close().syncUninterruptibly();
        blocking.shutdown(options.shutdownTimeout());
        for (Channel ch : channels) {
            ch.eventLoop().execute(() -> {
                FrameStreamHandler stream = ch.pipeline().get(FrameStreamHandler.class);
                if (stream != null) {
                    stream.goAway();
                } else if (!Blocking.inFlight(ch)) {
                    ch.close();
                }
            });
        }
        // Give close handshakes a moment, then drop whatever is left.
        channels.newCloseFuture().awaitUninterruptibly(
                Math.min(options.closeHandshakeTimeout().toMillis(), options.shutdownTimeout().toMillis()) + 100);
        channels.close().awaitUninterruptibly(options.shutdownTimeout().toMillis());
        shutdownGroups();
        blocking.close();
        log.info("weft server on port {} closed", port);
    }

    private void shutdownGroups() {
        if (workers != null) workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        if (boss != null) boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static String jsonString(String s) {
        try {
            return new ObjectMapper().writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Collects the server's dependencies; every one but the options is required. Not thread-safe. */
    public static final class Builder {
        private String host = "0.0.0.0";
        private int port = 6555;
        private EventFeed events;
        private LogFeed logs;
        private String ownerDid;
        private String hostname;
        private Supplier<Health> health;
        private PrometheusMeterRegistry registry;
        private ServerOptions options = ServerOptions.defaults();

        private Builder() {
        }

        /** Listen address; {@code port} 0 picks an ephemeral port (see {@link #port()}). Default 0.0.0.0:6555. */
        public Builder listen(String host, int port) {
            if (port < 0 || port > 65535) throw new IllegalArgumentException("port " + port);
            this.host = Objects.requireNonNull(host, "host");
            this.port = port;
            return this;
        }

        public Builder events(EventFeed events) {
            this.events = Objects.requireNonNull(events);
            return this;
        }

        public Builder logs(LogFeed logs) {
            this.logs = Objects.requireNonNull(logs);
            return this;
        }

        /** The owner DID {@code sh.tangled.owner} answers with. */
        public Builder owner(String did) {
            this.ownerDid = Objects.requireNonNull(did);
            return this;
        }

        /** The spindle's hostname, whose did:web document {@code /.well-known/did.json} serves; none when unset. */
        public Builder hostname(String hostname) {
            this.hostname = Objects.requireNonNull(hostname);
            return this;
        }

        public Builder health(Supplier<Health> health) {
            this.health = Objects.requireNonNull(health);
            return this;
        }

        /** The registry {@code /metrics} scrapes; the server registers its own meters on it. */
        public Builder registry(PrometheusMeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry);
            return this;
        }

        public Builder options(ServerOptions options) {
            this.options = Objects.requireNonNull(options);
            return this;
        }

        /** @throws IllegalStateException naming every missing dependency */
        public WeftServer build() {
            StringBuilder missing = new StringBuilder();
            if (events == null) missing.append(" events");
            if (logs == null) missing.append(" logs");
            if (ownerDid == null) missing.append(" owner");
            if (health == null) missing.append(" health");
            if (registry == null) missing.append(" registry");
            if (!missing.isEmpty()) throw new IllegalStateException("WeftServer needs:" + missing);
            return new WeftServer(host, port, events, logs, ownerDid, health, registry, options, hostname);
        }
    }
}
