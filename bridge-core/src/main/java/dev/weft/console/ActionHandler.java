package dev.weft.console;

import dev.weft.builds.PipelineBuilder;
import dev.weft.model.PipelineId;
import dev.weft.model.Trigger;
import dev.weft.model.WorkflowId;
import dev.weft.runs.RunManager.CancelOutcome;
import dev.weft.server.PageHandler.Response;
import dev.weft.store.PipelineQueries.Pipeline;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.weft.console.Html.esc;

/**
 * {@code POST /console/cancel} and {@code POST /console/rerun}: the operator actions. Each needs a
 * live session (else 401) and that session's CSRF token in the {@code csrf} field or the
 * {@code X-CSRF-Token} header (else 403); a console without an operator token refuses them all
 * (403). Each action, carried out or refused, is logged with the session's tag (never its id) and
 * the client's address. A done action answers 303 to the pipeline's page; refusals never redirect.
 */
final class ActionHandler {
    private static final Logger log = LoggerFactory.getLogger(ActionHandler.class);

    private final ConsoleSources sources;

    ActionHandler(ConsoleSources sources) {
        this.sources = sources;
    }

    /** Why {@code call} may not act, as the answer to give; empty when it may. */
    static Optional<Response> refusal(Console.Call call, String action) {
        String client = call.request().client();
        if (!call.loginPossible()) {
            log.info("console: {} refused from {}: the console is read-only (no WEFT_ADMIN_TOKEN_FILE)", action, client);
            return Optional.of(plain(403, "the console is read-only: no operator token is configured\n"));
        }
        if (call.session().isEmpty()) {
            log.info("console: {} refused from {}: no session", action, client);
            return Optional.of(plain(401, "log in first: POST the operator token to /console/login\n")
                    .with("WWW-Authenticate", "Cookie realm=\"weft console\""));
        }
        Sessions.Session s = call.session().get();
        String offered = call.field("csrf").orElseGet(() -> call.request().header("x-csrf-token").orElse(null));
        if (!Sessions.csrfMatches(s, offered)) {
            log.warn("console: {} refused for session {} from {}: {} CSRF token", action, s.tag(), client,
                    offered == null ? "no" : "wrong");
            return Optional.of(plain(403, "missing or wrong CSRF token\n"));
        }
        return Optional.empty();
    }

    Response cancel(Console.Call call) {
        Optional<Response> refused = refusal(call, "cancel");
        if (refused.isPresent()) return refused.get();
        Sessions.Session s = call.session().orElseThrow();
        String knot = call.field("knot").orElse("");
        String rkey = call.field("rkey").orElse("");
        String workflow = call.field("workflow").orElse("");
        if (knot.isEmpty() || rkey.isEmpty() || workflow.isEmpty()) return plain(400, "knot, rkey and workflow are required\n");
        WorkflowId id = new WorkflowId(new PipelineId(knot, rkey), workflow);
        CancelOutcome outcome = sources.operations().cancel(id);
        log.info("console: cancel of {} by session {} from {}: {}", id, s.tag(), call.request().client(), outcome);
        return switch (outcome) {
            case REQUESTED -> seeOther("/console/pipeline/" + Html.seg(rkey));
            case ALREADY_TERMINAL -> plain(409, "that workflow has already ended\n");
            case NOT_FOUND -> plain(404, "no such workflow\n");
        };
    }

    Response rerun(Console.Call call) throws InterruptedException {
        Optional<Response> refused = refusal(call, "re-run");
        if (refused.isPresent()) return refused.get();
        Sessions.Session s = call.session().orElseThrow();
        String rkey = call.field("rkey").orElse("");
        String workflow = call.field("workflow").orElse("");
        Optional<Pipeline> p = rkey.isEmpty() ? Optional.empty() : sources.pipelines().pipeline(rkey);
        Optional<Trigger> trigger = p.flatMap(x -> sources.runs().trigger(x.id()));
        if (trigger.isEmpty()) {
            log.info("console: re-run of {} by session {} from {}: no such pipeline", rkey, s.tag(), call.request().client());
            return plain(404, "no such pipeline\n");
        }
        Set<String> only = workflow.isEmpty() ? Set.of() : Set.of(workflow);
        PipelineBuilder.Result result = sources.operations().rerun("console session " + s.tag(), trigger.get(), only);
        log.info("console: re-run of {}{} by session {} from {}: {}", p.get().id(), workflow.isEmpty() ? "" : " workflow " + workflow,
                s.tag(), call.request().client(), result);
        return switch (result) {
            case PipelineBuilder.Result.Built b -> seeOther("/console/pipeline/" + Html.seg(b.pipeline().rkey()));
            case PipelineBuilder.Result.Nothing n -> plain(409, "nothing to run: " + n.why() + "\n");
            case PipelineBuilder.Result.Failed f -> plain(409, "cannot re-run: " + f.error() + "\n");
        };
    }

    static String cancelForm(Sessions.Session s, PipelineId id, String workflow) {
        return "<form class=\"inline\" method=\"post\" action=\"/console/cancel\">" + Html.csrfField(s)
                + hidden("knot", id.knot()) + hidden("rkey", id.rkey()) + hidden("workflow", workflow)
                + "<button type=\"submit\" class=\"danger\" data-action=\"cancel\">cancel</button></form>";
    }

    static String rerunForm(Sessions.Session s, String rkey, String workflow, String label) {
        return "<form class=\"inline\" method=\"post\" action=\"/console/rerun\">" + Html.csrfField(s)
                + hidden("rkey", rkey) + (workflow.isEmpty() ? "" : hidden("workflow", workflow))
                + "<button type=\"submit\" data-action=\"rerun\">" + esc(label) + "</button></form>";
    }

    private static String hidden(String name, String value) {
        return "<input type=\"hidden\" name=\"" + name + "\" value=\"" + esc(value) + "\">";
    }

    private static Response plain(int status, String text) {
        return Response.of(status, "text/plain; charset=utf-8", text);
    }

    private static Response seeOther(String location) {
        return new Response(303, null, Map.of(), new byte[0]).with("Location", location);
    }
}
