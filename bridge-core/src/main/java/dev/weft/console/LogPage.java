package dev.weft.console;

import dev.weft.model.PipelineId;
import dev.weft.model.WorkflowId;
import dev.weft.server.PageHandler.Response;
import dev.weft.store.RunRecord;

import java.util.Optional;

import static dev.weft.console.Html.esc;
import static dev.weft.console.Html.seg;

/**
 * {@code GET /console/log/<knot>/<rkey>/<workflow>}: the page that shows one workflow's log. The
 * lines come from weft's own {@code /logs/<knot>/<rkey>/<workflow>} WebSocket, read by the page's
 * script and rendered as the appview does: one block per step, system steps collapsed, ANSI colours.
 */
final class LogPage {
    private final ConsoleSources sources;

    LogPage(ConsoleSources sources) {
        this.sources = sources;
    }

    Response get(Console.Call call, String knot, String rkey, String workflow) throws Exception {
        Optional<RunRecord> run = sources.runs().run(new WorkflowId(new PipelineId(knot, rkey), workflow));
        if (run.isEmpty()) return Console.notFound(call, "no workflow " + workflow + " in pipeline " + rkey + " of " + knot);
        RunRecord r = run.get();
        if (call.wantsPart()) {
            // The status badge, live: the log may end long after the page opened.
            return new Response(200, "application/json", java.util.Map.of(),
                    new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsBytes(java.util.Map.of("html", Html.badge(r.state()))));
        }
        String stream = "/logs/" + seg(knot) + "/" + seg(rkey) + "/" + seg(workflow);
        StringBuilder b = new StringBuilder(2048);
        String self = "/console/log/" + seg(knot) + "/" + seg(rkey) + "/" + seg(workflow) + "?part=1";
        b.append("<h1><span id=\"wf-state\" data-live=\"").append(esc(self)).append("\">").append(Html.badge(r.state()))
                .append("</span> ").append(esc(workflow)).append("</h1>")
                .append("<p class=\"meta\"><a href=\"/console/pipeline/").append(seg(rkey)).append("\">pipeline ")
                .append(esc(rkey)).append("</a> · ").append(esc(r.engine()));
        if (r.webUrl() != null && PipelineView.isWebLink(r.webUrl())) {
            b.append(" · <a href=\"").append(esc(r.webUrl())).append("\" rel=\"noopener noreferrer\" target=\"_blank\">")
                    .append(esc(r.engine())).append(" run</a>");
        }
        b.append("</p><p class=\"log-state muted\" id=\"log-state\">connecting…</p>")
                .append("<div id=\"log\" class=\"log\" data-stream=\"").append(esc(stream)).append("\"></div>");
        return Console.html(200, call.page(workflow + " log", b.toString()));
    }
}
