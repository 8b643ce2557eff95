package dev.weft.server;

import dev.weft.model.WorkflowId;
import dev.weft.spi.WebhookHandler;

import java.util.List;

/**
 * What the {@link Router} decided a request is: a closed set, one record per route handler.
 * Each handler in the pipeline picks up its own record type and lets the others pass.
 */
sealed interface Route {
    HttpCall call();

    /** A WebSocket upgrade to {@code /events}; {@code cursor} is the parsed query value, 0 when absent or invalid. */
    record Events(HttpCall call, long cursor) implements Route {
    }

    /** A WebSocket upgrade to {@code /logs/...} whose path was valid. */
    record Logs(HttpCall call, WorkflowId workflow) implements Route {
    }

    /**
     * A WebSocket upgrade to {@code sh.tangled.ci.subscribePipelineLogs} or its pre-rename alias
     * ({@code nsid}) whose query was valid; {@code workflows} empty means every workflow.
     */
    record PipelineLogs(HttpCall call, String nsid, String pipeline, List<String> workflows) implements Route {
        public PipelineLogs {
            workflows = List.copyOf(workflows);
        }
    }

    /** An XRPC call of a mounted method. */
    record Xrpc(HttpCall call, String nsid, XrpcHandler handler) implements Route {
    }

    /** A POST to a mounted webhook path. */
    record Webhook(HttpCall call, String engine, WebhookHandler handler) implements Route {
    }

    /** A plain HTTP request under a mounted page prefix (the web console). */
    record Page(HttpCall call, PageHandler handler) implements Route {
    }

    record Healthz(HttpCall call) implements Route {
    }

    record Metrics(HttpCall call) implements Route {
    }

    record Index(HttpCall call) implements Route {
    }

    /** {@code GET /.well-known/did.json}: the spindle's did:web document. */
    record DidDocument(HttpCall call) implements Route {
    }
}
