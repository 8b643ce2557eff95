package dev.weft.notifications;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.notify.Notification;
import dev.weft.store.LogStore;
import dev.weft.store.StepRecord;
import dev.weft.store.StoredFrame;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The failing step of a run and its last lines, read back from the stored log (whose lines were
 * masked when written, so nothing here can leak a secret the log did not).
 *
 * @param step  the step, {@link Notification.Step#NONE} when the run wrote none
 * @param lines its last lines, identical consecutive lines collapsed, at most {@link #LINES}
 */
public record FailureContext(Notification.Step step, List<Notification.Line> lines) {
    /** How many lines a notification shows. */
    public static final int LINES = 20;
    /** How many trailing frames are read to find them: bounded, whatever the log's size. */
    static final int WINDOW = 2000;
    /** A line longer than this is cut (a minified bundle on one line must not fill a chat message). */
    static final int MAX_LINE = 500;
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final FailureContext NONE = new FailureContext(Notification.Step.NONE, List.of());

    public FailureContext {
        lines = List.copyOf(lines);
    }

    /** The raw texts, uncollapsed, for advice matching. */
    public List<String> texts() {
        return lines.stream().map(Notification.Line::text).toList();
    }

    /**
     * The last user step that was started (a run fails in its last step; system steps such as
     * {@code advice} and {@code weft} are the runtime's), else the last step; and its last lines.
     */
    public static FailureContext of(LogStore logs, long runId) {
        List<StepRecord> steps = logs.steps(runId);
        StepRecord chosen = null;
        for (StepRecord s : steps) {
            if (!s.system()) chosen = s;
        }
        if (chosen == null) {
            for (StepRecord s : steps) if (!s.name().equals("advice")) chosen = s;
        }
        if (chosen == null) return NONE;
        long last = logs.lastSeq(runId);
        List<StoredFrame> frames = logs.after(runId, Math.max(0, last - WINDOW), WINDOW);
        List<Notification.Line> lines = new ArrayList<>();
        for (StoredFrame f : frames) {
            JsonNode n;
            try {
                n = JSON.readTree(f.frame());
            } catch (IOException e) {
                continue; // a frame weft wrote is always JSON; an unreadable one is skipped, not fatal
            }
            if (!"data".equals(n.path("kind").asText()) || n.path("step_id").asLong(-1) != chosen.stepId()) continue;
            String text = n.path("content").asText("");
            if (text.length() > MAX_LINE) text = text.substring(0, MAX_LINE) + "…";
            int end = lines.size() - 1;
            if (end >= 0 && lines.get(end).text().equals(text)) {
                lines.set(end, new Notification.Line(text, lines.get(end).repeat() + 1));
            } else {
                lines.add(new Notification.Line(text, 1));
            }
        }
        List<Notification.Line> tail = lines.subList(Math.max(0, lines.size() - LINES), lines.size());
        return new FailureContext(new Notification.Step(chosen.name(), chosen.command()), tail);
    }
}
