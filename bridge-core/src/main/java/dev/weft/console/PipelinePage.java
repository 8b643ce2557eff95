package dev.weft.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.model.Trigger;
import dev.weft.notifications.Notifications.FailureSummary;
import dev.weft.server.PageHandler.Response;
import dev.weft.store.PipelineQueries.Pipeline;
import dev.weft.store.PipelineQueries.WorkflowRun;
import dev.weft.store.RunRecord;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static dev.weft.console.Html.esc;
import static dev.weft.console.Html.seg;

/**
 * {@code GET /console/pipeline/<rkey>}: one pipeline, each workflow with its links, the failures
 * with their summary and advice, and (for a logged-in operator) cancel and re-run; {@code ?part=1}
 * answers the workflows part as JSON for the live update.
 */
final class PipelinePage {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ConsoleSources sources;
    private final PipelineView view;
    private final Clock clock;

    PipelinePage(ConsoleSources sources, Clock clock) {
        this.sources = sources;
        this.view = new PipelineView(sources.appview());
        this.clock = clock;
    }

    Response get(Console.Call call, String rkey) throws Exception {
        Optional<Pipeline> found = sources.pipelines().pipeline(rkey);
        if (found.isEmpty()) return Console.notFound(call, "no pipeline " + rkey);
        Pipeline p = found.get();
        String workflows = workflows(call, p);
        if (call.wantsPart()) {
            return new Response(200, "application/json", Map.of(), JSON.writeValueAsBytes(Map.of("html", workflows)));
        }
        StringBuilder b = new StringBuilder(8192);
        b.append("<h1><span class=\"repo\">").append(esc(PipelineView.repoName(p))).append("</span></h1>")
                .append("<p class=\"meta\"><span class=\"owner\">").append(esc(p.ownerDid())).append("</span> ")
                .append(PipelineView.trigger(p)).append(" · ").append(Html.time(p.createdAt())).append("</p>")
                .append("<p class=\"meta muted\">pipeline <code>").append(esc(p.id().atUri())).append("</code></p>");
        if (call.session().isPresent() && p.trigger().isPresent()) {
            b.append(ActionHandler.rerunForm(call.session().get(), p.id().rkey(), "", "re-run pipeline"));
        } else if (call.session().isEmpty() && call.loginPossible()) {
            b.append("<p class=\"muted\"><a href=\"/console/login\">Log in</a> to cancel or re-run.</p>");
        }
        b.append("<ul id=\"workflows\" class=\"wfs detail\" data-live=\"/console/pipeline/").append(seg(rkey))
                .append("?part=1\">").append(workflows).append("</ul>");
        return Console.html(200, call.page(PipelineView.repoName(p) + " " + rkey, b.toString()));
    }

    private String workflows(Console.Call call, Pipeline p) {
        Instant now = clock.instant();
        Optional<Trigger> trigger = sources.runs().trigger(p.id());
        StringBuilder b = new StringBuilder(4096);
        for (WorkflowRun w : p.workflows()) {
            String line = view.workflowLine(p, w, now);
            StringBuilder extra = new StringBuilder();
            if (trigger.isPresent() && w.runId() > 0) {
                Optional<RunRecord> run = sources.runs().run(w.runId());
                run.flatMap(r -> sources.failures().of(r, trigger.get())).ifPresent(f -> extra.append(failure(f)));
            }
            call.session().ifPresent(s -> {
                extra.append("<div class=\"actions\">");
                if (!w.state().isTerminal()) extra.append(ActionHandler.cancelForm(s, p.id(), w.name()));
                if (trigger.isPresent()) extra.append(ActionHandler.rerunForm(s, p.id().rkey(), w.name(), "re-run"));
                extra.append("</div>");
            });
            // The extra parts go inside the workflow's <li>, before it closes.
            b.append(line, 0, line.length() - "</li>".length()).append(extra).append("</li>");
        }
        if (p.workflows().isEmpty()) b.append("<li class=\"muted\">no workflows</li>");
        return b.toString();
    }

    static String failure(FailureSummary f) {
        StringBuilder b = new StringBuilder(1024);
        b.append("<div class=\"failure\">");
        if (!f.step().isEmpty()) b.append("<div>failed in step <b>").append(esc(f.step())).append("</b></div>");
        f.failingSince().ifPresent(t -> b.append("<div class=\"muted\">failing since ").append(Html.time(t)).append("</div>"));
        if (!f.lines().isEmpty()) {
            b.append("<pre class=\"tail\">");
            for (String l : f.lines()) b.append(esc(Ansi.strip(l))).append('\n');
            b.append("</pre>");
        }
        if (!f.advice().isEmpty()) {
            b.append("<div class=\"advice\"><b>advice</b> ").append(esc(f.advice().get(0)));
            if (f.advice().size() > 1 && PipelineView.isWebLink(f.advice().get(1))) {
                b.append(" <a href=\"").append(esc(f.advice().get(1))).append("\" rel=\"noopener noreferrer\" target=\"_blank\">more</a>");
            }
            b.append("</div>");
        }
        return b.append("</div>").toString();
    }
}
