package dev.weft.server;

import dev.weft.logs.LogBackendException;
import dev.weft.logs.LogFeed;
import dev.weft.model.WorkflowId;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Answers {@link Route.PipelineLogs}: finds the pipeline's workflows and opens their logs on a
 * virtual thread (it reads the store and may ask providers), then refuses before upgrading with an
 * XRPC error (404 {@code NotFound} for an unknown pipeline, as upstream; 400 {@code WorkflowNotFound}
 * for a requested workflow the pipeline does not have, the lexicon's error, where upstream would
 * wait forever) or upgrades to a {@link FrameStreamHandler} over {@link PipelineLogFrames}, which
 * ends with close 1000 {@code log stream complete} after the last line of the last workflow.
 *
 * <p>A provider whose log backend failed does not refuse the upgrade: tangled-ci.md 4.4 has weft
 * say so with an error frame, so the stream opens and ends with {@code InternalError} at once.
 * Stateless and {@link Sharable}.
 */
@Sharable
final class PipelineLogsUpgradeHandler extends SimpleChannelInboundHandler<Route.PipelineLogs> {
    private static final Logger log = LoggerFactory.getLogger(PipelineLogsUpgradeHandler.class);

    private final LogFeed feed;
    private final Blocking blocking;
    private final ServerOptions options;
    private final ServerMetrics metrics;
    private final WebSocketControlHandler control;

    PipelineLogsUpgradeHandler(LogFeed feed, Blocking blocking, ServerOptions options, ServerMetrics metrics,
                               WebSocketControlHandler control) {
        this.feed = feed;
        this.blocking = blocking;
        this.options = options;
        this.metrics = metrics;
        this.control = control;
    }

    /** What the lookup found: a refusal before the upgrade, or the logs to stream. */
    private sealed interface Opened {
        record Refused(HttpResponseStatus status, String error, String message) implements Opened {
        }

        record Ready(List<PipelineLogFrames.Workflow> workflows, String unavailable) implements Opened {
            public Ready {
                workflows = List.copyOf(workflows);
            }
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Route.PipelineLogs route) {
        HttpCall call = route.call();
        String what = route.nsid() + " " + route.pipeline() + (route.workflows().isEmpty() ? "" : " " + route.workflows());
        blocking.run(ctx, () -> open(route), (opened, failure) -> {
            if (failure instanceof Blocking.ShuttingDown) {
                refuse(ctx, call, what, new Opened.Refused(HttpResponseStatus.SERVICE_UNAVAILABLE, "InternalError",
                        "server shutting down"));
            } else if (failure != null) {
                log.error("{}: opening the logs failed", what, failure);
                refuse(ctx, call, what, new Opened.Refused(HttpResponseStatus.INTERNAL_SERVER_ERROR, "InternalError",
                        "internal error"));
            } else if (opened instanceof Opened.Refused r) {
                refuse(ctx, call, what, r);
            } else if (opened instanceof Opened.Ready ready) {
                if (ready.unavailable() != null) log.warn("{}: log backend failed: {}", what, ready.unavailable());
                FrameStreamHandler stream = new FrameStreamHandler(ServerMetrics.PIPELINE_LOGS, what,
                        new PipelineLogFrames(ready.workflows(), ready.unavailable()), 0, options, metrics);
                WebSocketUpgrade.upgrade(ctx, call, stream, options, control);
            }
        });
    }

    /** Off the event loop: the store lookup and each log's open (which may ask a provider). */
    private Opened open(Route.PipelineLogs route) {
        List<WorkflowId> all = feed.workflows(route.pipeline());
        if (all.isEmpty()) {
            return new Opened.Refused(HttpResponseStatus.NOT_FOUND, "NotFound", "pipeline not found: " + route.pipeline());
        }
        List<WorkflowId> chosen = new ArrayList<>();
        if (route.workflows().isEmpty()) {
            chosen.addAll(all);
        } else {
            for (String name : route.workflows()) {
                // Every match: two knots sharing the TID may both have this name (see LogFeed#workflows).
                List<WorkflowId> matches = all.stream().filter(w -> w.name().equals(name)).toList();
                if (matches.isEmpty()) {
                    return new Opened.Refused(HttpResponseStatus.BAD_REQUEST, "WorkflowNotFound",
                            "workflow not found in pipeline " + route.pipeline() + ": " + name);
                }
                chosen.addAll(matches);
            }
        }
        List<PipelineLogFrames.Workflow> logs = new ArrayList<>(chosen.size());
        for (WorkflowId w : chosen) {
            Optional<LogFeed.WorkflowLog> opened;
            try {
                opened = feed.open(w);
            } catch (LogBackendException e) {
                return new Opened.Ready(logs, e.getMessage());
            }
            if (opened.isEmpty()) {
                // Listed a moment ago; runs are never deleted, so this is a store gone wrong.
                throw new IllegalStateException("workflow " + w + " was listed but cannot be opened");
            }
            logs.add(new PipelineLogFrames.Workflow(w.name(), opened.get(), w.hashCode()));
        }
        return new Opened.Ready(logs, null);
    }

    private static void refuse(ChannelHandlerContext ctx, HttpCall call, String what, Opened.Refused r) {
        log.info("{} {}: {} {} {}", ctx.channel().remoteAddress(), what, r.status().code(), r.error(), r.message());
        Responses.send(ctx, call, Responses.xrpcError(r.status(), r.error(), r.message()), true);
    }
}
