package dev.weft.console;

import dev.weft.console.ConsoleSources.SystemStatus;
import dev.weft.server.PageHandler.Response;

import static dev.weft.console.Html.esc;

/** {@code GET /console/system}: the state of the store, knots, the Jetstream, providers and notifiers. */
final class SystemPage {
    private final ConsoleSources sources;

    SystemPage(ConsoleSources sources) {
        this.sources = sources;
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
        b.append(queues());
        b.append("</section>");
        return Console.html(200, call.page("System", b.toString()));
    }

    // ---- CONCURRENCY QUEUES: placeholder for the lead to fill in after merging concurrency groups.
    // Render each concurrency group's queue here (group, running, waiting, oldest wait) from the
    // concurrency branch's store API; add its data to ConsoleSources.SystemStatus. Nothing is built yet.
    private static String queues() {
        return "<div class=\"card\" id=\"concurrency-queues\"><h2>concurrency queues</h2>"
                + "<p class=\"muted\">not shown by this build</p></div>";
    }

    private static String row(String name, String valueHtml) {
        return "<dt>" + name + "</dt><dd>" + valueHtml + "</dd>";
    }

    private static String ok(boolean ok, String text) {
        return "<span class=\"" + (ok ? "ok" : "bad") + "\">" + esc(text) + "</span>";
    }
}
