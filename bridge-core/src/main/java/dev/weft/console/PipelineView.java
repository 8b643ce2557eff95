package dev.weft.console;

import dev.weft.model.RunState;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.store.PipelineQueries.Pipeline;
import dev.weft.store.PipelineQueries.WorkflowRun;

import java.time.Instant;
import java.util.Optional;

import static dev.weft.console.Html.esc;
import static dev.weft.console.Html.seg;

/** How one pipeline reads in the console: repository, trigger, time, and each workflow's line. */
final class PipelineView {
    private final ConsoleSources.AppviewLinks appview;

    PipelineView(ConsoleSources.AppviewLinks appview) {
        this.appview = appview;
    }

    /** The repository's name and owner as its trigger named them (legacy pipelines: the columns). */
    static String repoName(Pipeline p) {
        return p.trigger().map(t -> t.repo().name()).orElse(p.repoDid().isEmpty() ? "" : p.repoDid());
    }

    static String trigger(Pipeline p) {
        String sha = Html.shortSha(p.commit());
        Optional<Trigger> t = p.trigger();
        if (t.isEmpty()) return esc(p.kind()) + (sha.isEmpty() ? "" : " · <code>" + esc(sha) + "</code>");
        String what = switch (t.get().kind()) {
            case TriggerKind.Push push -> "push to <b>" + esc(push.refName()) + "</b>";
            case TriggerKind.PullRequest pr -> "pull request <b>" + esc(pr.sourceBranch()) + "</b> → <b>"
                    + esc(pr.targetBranch()) + "</b>";
            case TriggerKind.Manual m -> "manual" + (m.ref().isEmpty() ? "" : " on <b>" + esc(m.ref().replaceFirst("^refs/heads/", "")) + "</b>");
        };
        return what + (sha.isEmpty() ? "" : " · <code>" + esc(sha) + "</code>");
    }

    /** The card of one pipeline in the list. */
    String card(Pipeline p, Instant now) {
        StringBuilder b = new StringBuilder(1024);
        String rkey = p.id().rkey();
        b.append("<li class=\"pipe\" data-rkey=\"").append(esc(rkey)).append("\"><div class=\"pipe-head\">")
                .append("<a class=\"repo\" href=\"/console/pipeline/").append(seg(rkey)).append("\">")
                .append(esc(repoName(p))).append("</a>")
                .append("<span class=\"owner\">").append(esc(p.ownerDid())).append("</span>")
                .append("<span class=\"trigger\">").append(trigger(p)).append("</span>")
                .append("<span class=\"when\">").append(Html.time(p.createdAt())).append("</span></div><ul class=\"wfs\">");
        if (p.workflows().isEmpty()) b.append("<li class=\"wf muted\">no workflows</li>");
        for (WorkflowRun w : p.workflows()) b.append(workflowLine(p, w, now));
        return b.append("</ul></li>").toString();
    }

    /** One workflow: status, name (to its log), provider, duration, and the links out. */
    String workflowLine(Pipeline p, WorkflowRun w, Instant now) {
        StringBuilder b = new StringBuilder(512);
        b.append("<li class=\"wf\" data-workflow=\"").append(esc(w.name())).append("\" data-state=\"")
                .append(w.state().wireName()).append("\">").append(Html.badge(w.state()))
                .append("<a class=\"wf-name\" href=\"").append(logHref(p, w.name())).append("\">").append(esc(w.name())).append("</a>")
                .append("<span class=\"engine\">").append(esc(w.engine())).append("</span>")
                .append("<span class=\"dur\">").append(Html.duration(w.startedAt(), w.finishedAt(), now)).append("</span>")
                .append("<span class=\"links\">");
        if (!w.webUrl().isEmpty() && isWebLink(w.webUrl())) {
            b.append("<a href=\"").append(esc(w.webUrl())).append("\" rel=\"noopener noreferrer\" target=\"_blank\">")
                    .append(esc(w.engine().isEmpty() ? "provider" : w.engine())).append(" run</a>");
        }
        p.trigger().ifPresent(t -> b.append("<a href=\"").append(esc(appview.workflow(t.repo(), p.id().rkey(), w.name())))
                .append("\" rel=\"noopener noreferrer\" target=\"_blank\">appview</a>"));
        b.append("</span>");
        if (!w.error().isEmpty() && (w.state() == RunState.FAILED || w.state() == RunState.TIMEOUT)) {
            b.append("<div class=\"err\">").append(esc(w.error())).append("</div>");
        }
        return b.append("</li>").toString();
    }

    static String logHref(Pipeline p, String workflow) {
        return "/console/log/" + seg(p.id().knot()) + "/" + seg(p.id().rkey()) + "/" + seg(workflow);
    }

    /** Only http(s) links are followed: a provider's URL is data, and {@code javascript:} is not a page. */
    static boolean isWebLink(String url) {
        String u = url.strip().toLowerCase(java.util.Locale.ROOT);
        return u.startsWith("https://") || u.startsWith("http://");
    }
}
