package dev.weft.console;

import dev.weft.concurrency.ConcurrencyQueues;
import dev.weft.console.ConsoleSources.SystemStatus;
import dev.weft.model.QueueState;
import dev.weft.store.QueueEntry;
import dev.weft.server.PageHandler.Response;

import static dev.weft.console.Html.esc;

/**
 * {@code GET /console/system}: the state of the store, knots, the Jetstream, providers and
 * notifiers, and the concurrency groups' queues.
 */
final class SystemPage {
    private final ConsoleSources sources;
    private final java.time.Clock clock;

    SystemPage(ConsoleSources sources, java.time.Clock clock) {
        this.sources = sources;
        this.clock = clock;
    }

    Response get(Console.Call call) {
        SystemStatus s = sources.system().get();
        StringBuilder b = new StringBuilder(4096);
        b.append("<h1>System</h1><section class=\"cards\">");
        b.append("<div class=\"card\"><h2>weft</h2><dl>")
                .append(row("version", esc(s.version())))
                .append(row("instance", esc(s.instance())))
                .append(row("store", ok(s.storeStatus().equals("ok"), s.storeStatus())))
                .append(row("leases", s.leases().isEmpty() ? "<span class=\"muted\">none</span>" : esc(String.join(", ", new java.util.TreeSet<>(s.leases())))))
                .append("</dl></div>");
        b.append("<div class=\"card\"><h2>knots</h2><dl>");
        if (s.knots().isEmpty()) b.append("<dd class=\"muted\">no knot consumed</dd>");
        for (SystemStatus.Connection k : s.knots()) b.append(row(esc(k.name()), ok(k.connected(), k.connected() ? "connected" : "disconnected")));
        b.append("</dl></div><div class=\"card\"><h2>Jetstream</h2><dl>");
        if (s.jetstream().isEmpty()) b.append("<dd class=\"muted\">off (static mode), or not held by this instance</dd>");
        for (SystemStatus.Connection j : s.jetstream()) b.append(row(esc(j.name()), ok(j.connected(), j.connected() ? "connected" : "disconnected")));
        b.append("</dl></div><div class=\"card\"><h2>providers</h2><dl>");
        if (s.providers().isEmpty()) b.append("<dd class=\"muted\">none configured</dd>");
        for (SystemStatus.Provider p : s.providers()) b.append(row(esc(p.engine()), p.activeRuns() + " active run" + (p.activeRuns() == 1 ? "" : "s")));
        b.append("</dl></div><div class=\"card\"><h2>notifiers</h2><dl>");
        if (s.notifiers().isEmpty()) b.append("<dd class=\"muted\">none configured</dd>");
        for (SystemStatus.Notifier n : s.notifiers()) {
            b.append(row(esc(n.name()), ok(n.failing() == 0, n.failing() == 0 ? "delivering" : n.failing() + " failed in a row")));
        }
        b.append("</dl></div>");
        b.append(queues(s, call));
        b.append("</section>");
        return Console.html(200, call.page("System", b.toString()));
    }

    /**
     * Every concurrency group with runs queued, across instances (one read of the store): the run
     * holding the group, then the waiting ones in the order they will start, each since when.
     */
    private String queues(SystemStatus s, Console.Call call) {
        StringBuilder b = new StringBuilder("<div class=\"card\" id=\"concurrency-queues\"><h2>concurrency queues</h2>");
        if (s.queues().isEmpty()) return b.append("<p class=\"muted\">no run queued in a concurrency group</p></div>").toString();
        java.time.Instant now = clock.instant();
        for (ConcurrencyQueues.GroupQueue q : s.queues()) {
            b.append("<h3 class=\"group\">").append(esc(q.group())).append(" <span class=\"muted\">")
                    .append(esc(q.repo())).append("</span></h3><ol class=\"queue\">");
            for (QueueEntry e : q.entries()) {
                String since = Html.duration(java.util.Optional.of(e.since()), java.util.Optional.empty(), now);
                b.append("<li class=\"").append(e.state() == QueueState.RUNNING ? "running" : "waiting").append("\">")
                        .append(e.state() == QueueState.RUNNING ? "running " : "waiting ")
                        .append("<a href=\"/console/log/").append(Html.seg(e.workflow().pipeline().knot())).append('/')
                        .append(Html.seg(e.workflow().pipeline().rkey())).append('/').append(Html.seg(e.workflow().name()))
                        .append("\">").append(esc(e.workflow().pipeline().rkey())).append(" · ").append(esc(e.workflow().name()))
                        .append("</a> <span class=\"muted\">for ").append(since).append("</span>");
                if (e.supersededBy() != null) {
                    b.append(" <span class=\"bad\">replaced by ").append(esc(e.supersededBy())).append("</span>");
                }
                b.append("</li>");
            }
            b.append("</ol>");
        }
        return b.append("</div>").toString();
    }

    private static String row(String name, String valueHtml) {
        return "<dt>" + name + "</dt><dd>" + valueHtml + "</dd>";
    }

    private static String ok(boolean ok, String text) {
        return "<span class=\"" + (ok ? "ok" : "bad") + "\">" + esc(text) + "</span>";
    }
}
