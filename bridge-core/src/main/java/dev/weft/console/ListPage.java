package dev.weft.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.model.RunState;
import dev.weft.server.PageHandler.Response;
import dev.weft.store.PipelineQueries;
import dev.weft.store.PipelineQueries.Page;
import dev.weft.store.PipelineQueries.Pipeline;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.weft.console.Html.esc;

/**
 * {@code GET /console}: recent pipelines across every repository, newest first, with filters by
 * repository, status and provider; {@code ?part=1} answers the list alone as JSON for the page's
 * live update, {@code ?before=<seq>} the next page.
 */
final class ListPage {
    static final int PAGE = 30;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ConsoleSources sources;
    private final PipelineView view;
    private final Clock clock;

    ListPage(ConsoleSources sources, Clock clock) {
        this.sources = sources;
        this.view = new PipelineView(sources.appview());
        this.clock = clock;
    }

    /** The filters as asked for; values outside the known sets are ignored, not echoed. */
    record Filters(Optional<String> repo, Optional<RunState> state, Optional<String> engine, Optional<Long> before) {
        static Filters of(Console.Call call) {
            var r = call.request();
            Optional<String> repo = r.param("repo").filter(s -> !s.isBlank() && s.length() <= 512);
            Optional<RunState> state = r.param("status").flatMap(RunState::fromWire);
            Optional<String> engine = r.param("provider").filter(s -> !s.isBlank() && s.length() <= 64);
            Optional<Long> before = r.param("before").flatMap(ListPage::parseLong);
            return new Filters(repo, state, engine, before);
        }

        String query(boolean withBefore) {
            StringBuilder q = new StringBuilder();
            repo.ifPresent(v -> q.append("&repo=").append(Html.seg(v)));
            state.ifPresent(v -> q.append("&status=").append(v.wireName()));
            engine.ifPresent(v -> q.append("&provider=").append(Html.seg(v)));
            if (withBefore) before.ifPresent(v -> q.append("&before=").append(v));
            return q.toString();
        }
    }

    Response get(Console.Call call) throws Exception {
        Filters f = Filters.of(call);
        Page page = sources.pipelines().recent(new PipelineQueries.Recent(f.repo(), f.state(), f.engine(), PAGE, f.before()));
        String items = items(page);
        if (call.wantsPart()) {
            return new Response(200, "application/json", Map.of(),
                    JSON.writeValueAsBytes(Map.of("html", items)));
        }
        StringBuilder b = new StringBuilder(8192);
        b.append("<h1>Pipelines</h1>").append(filters(f));
        // Only the first page follows the store live; older pages stay as they were read.
        String live = f.before().isEmpty() ? " data-live=\"/console?part=1" + esc(f.query(false)) + "\"" : "";
        b.append("<ul id=\"pipelines\" class=\"pipes\"").append(live).append(">").append(items).append("</ul>");
        page.next().ifPresent(n -> b.append("<p class=\"more\"><a href=\"/console?before=").append(n.seq())
                .append(esc(f.query(false))).append("\">older pipelines</a></p>"));
        return Console.html(200, call.page("Pipelines", b.toString()));
    }

    private String items(Page page) {
        Instant now = clock.instant();
        StringBuilder b = new StringBuilder(4096);
        if (page.pipelines().isEmpty()) b.append("<li class=\"empty muted\">no pipelines</li>");
        for (Pipeline p : page.pipelines()) b.append(view.card(p, now));
        return b.toString();
    }

    private String filters(Filters f) {
        StringBuilder b = new StringBuilder(2048);
        b.append("<form class=\"filters\" method=\"get\" action=\"/console\">");
        b.append("<label>repository <select name=\"repo\"><option value=\"\">all</option>");
        for (PipelineQueries.Repository r : sources.pipelines().repositories()) {
            String v = r.filterValue();
            b.append("<option value=\"").append(esc(v)).append('"').append(f.repo().equals(Optional.of(v)) ? " selected" : "")
                    .append('>').append(esc(r.key().name())).append(" (").append(esc(r.key().did())).append(")</option>");
        }
        b.append("</select></label><label>status <select name=\"status\"><option value=\"\">all</option>");
        for (RunState s : RunState.values()) {
            b.append("<option").append(f.state().equals(Optional.of(s)) ? " selected" : "").append('>')
                    .append(s.wireName()).append("</option>");
        }
        b.append("</select></label><label>provider <select name=\"provider\"><option value=\"\">all</option>");
        Set<String> engines = new LinkedHashSet<>();
        sources.system().get().providers().forEach(p -> engines.add(p.engine()));
        f.engine().ifPresent(engines::add);
        for (String e : engines) {
            b.append("<option value=\"").append(esc(e)).append('"').append(f.engine().equals(Optional.of(e)) ? " selected" : "")
                    .append('>').append(esc(e)).append("</option>");
        }
        return b.append("</select></label><button type=\"submit\">filter</button></form>").toString();
    }

    static Optional<Long> parseLong(String s) {
        try {
            return Optional.of(Long.parseLong(s.strip()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
