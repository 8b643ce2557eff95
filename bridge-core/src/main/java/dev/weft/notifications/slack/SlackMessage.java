package dev.weft.notifications.slack;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.notify.Event;
import dev.weft.notify.Notification;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A notification as a Slack Block Kit message: a fallback {@code text} (what notifications and
 * screen readers show) and {@code blocks}. Every text from a run is escaped ({@code & < >}, Slack's
 * only control characters in mrkdwn) and cut to Block Kit's limits, so a log line can neither
 * break the layout nor make the message too large to post.
 */
final class SlackMessage {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Block Kit's limit for a section's text is 3000 characters; leave room for the fences. */
    static final int SECTION_MAX = 2900;

    private SlackMessage() {
    }

    static ObjectNode of(Notification n) {
        ObjectNode msg = JSON.createObjectNode();
        msg.put("text", fallback(n));
        ArrayNode blocks = msg.putArray("blocks");
        section(blocks, headline(n));
        context(blocks, triggerLine(n));
        if (n.workflows().size() > 1) context(blocks, workflowsLine(n.workflows()));
        if (!n.step().name().isEmpty() || !n.error().isEmpty() || n.exitCode() != null) {
            List<String> parts = new ArrayList<>();
            if (!n.step().name().isEmpty()) {
                parts.add("*Step* `" + esc(n.step().name()) + "`"
                        + (n.step().command().isEmpty() ? "" : " — `" + esc(oneLine(n.step().command(), 200)) + "`"));
            }
            if (n.exitCode() != null) parts.add("*Exit code* " + n.exitCode());
            String text = String.join(" · ", parts);
            if (!n.error().isEmpty()) text += (text.isEmpty() ? "" : "\n") + "> " + esc(oneLine(n.error(), 500));
            section(blocks, text);
        }
        if (!n.lines().isEmpty()) section(blocks, codeBlock(n.lines()));
        if (n.advice() != null) {
            section(blocks, ":bulb: " + esc(n.advice().text())
                    + (n.advice().link().isEmpty() ? "" : " <" + n.advice().link() + "|Runbook>"));
        }
        List<String> links = new ArrayList<>();
        if (!n.links().appview().isEmpty()) links.add("<" + n.links().appview() + "|View on Tangled>");
        if (!n.links().run().isEmpty()) links.add("<" + n.links().run() + "|CI run>");
        if (!links.isEmpty()) context(blocks, String.join(" · ", links));
        return msg;
    }

    /** The thread reply that says an incident is over. */
    static ObjectNode fixedReply(Notification n) {
        ObjectNode msg = JSON.createObjectNode();
        msg.put("text", ":white_check_mark: Fixed by " + triggerLine(n));
        return msg;
    }

    static String fallback(Notification n) {
        String s = icon(n.event()) + " " + n.repo().display() + " " + n.workflow() + " " + word(n.event());
        if (n.event().failing() && !n.step().name().isEmpty()) {
            s += " (step " + n.step().name() + (n.exitCode() == null ? "" : ", exit " + n.exitCode()) + ")";
        }
        return esc(s);
    }

    private static String headline(Notification n) {
        return icon(n.event()) + " *" + word(n.event()) + "* · `" + esc(n.repo().display()) + "` · *" + esc(n.workflow()) + "*";
    }

    static String triggerLine(Notification n) {
        Notification.Trigger t = n.trigger();
        String what = switch (t.kind()) {
            case "push" -> "push to `" + esc(t.branch()) + "`";
            case "pull_request" -> "pull request `" + esc(t.branch()) + "` → `" + esc(t.target()) + "`";
            case "manual" -> "manual run" + (t.inputs().isEmpty() ? "" : " (" + inputs(t.inputs()) + ")");
            default -> esc(t.kind());
        };
        if (!t.shortSha().isEmpty()) what += " at `" + esc(t.shortSha()) + "`";
        String who = !t.mention().isEmpty() ? "<@" + t.mention() + ">" : esc(t.actor());
        return who.isEmpty() ? what : what + " by " + who;
    }

    /** The pipeline's workflows and how each stands, so one message tells the whole pipeline. */
    static String workflowsLine(List<Notification.WorkflowStatus> workflows) {
        List<String> out = new ArrayList<>();
        for (Notification.WorkflowStatus w : workflows) {
            String icon = switch (w.status()) {
                case "success" -> ":white_check_mark:";
                case "failed" -> ":x:";
                case "timeout" -> ":hourglass:";
                case "cancelled" -> ":no_entry_sign:";
                default -> ":hourglass_flowing_sand:";
            };
            out.add(icon + " " + esc(w.workflow()));
        }
        return String.join(" · ", out);
    }

    private static String inputs(Map<String, String> in) {
        List<String> out = new ArrayList<>();
        in.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> out.add(esc(e.getKey()) + "=" + esc(oneLine(e.getValue(), 80))));
        return String.join(", ", out);
    }

    /** The last lines in a code block, collapsed repeats as {@code × n}; the oldest lines go first when too long. */
    static String codeBlock(List<Notification.Line> lines) {
        List<String> shown = new ArrayList<>();
        for (Notification.Line l : lines) shown.add(esc(l.text()) + (l.repeat() > 1 ? "  × " + l.repeat() : ""));
        String body = String.join("\n", shown);
        while (body.length() > SECTION_MAX && shown.size() > 1) {
            shown.remove(0);
            body = "…\n" + String.join("\n", shown);
        }
        if (body.length() > SECTION_MAX) body = body.substring(body.length() - SECTION_MAX);
        return "```\n" + body + "\n```";
    }

    private static void section(ArrayNode blocks, String mrkdwn) {
        ObjectNode s = blocks.addObject();
        s.put("type", "section");
        s.putObject("text").put("type", "mrkdwn").put("text", mrkdwn.length() > 3000 ? mrkdwn.substring(0, 2999) + "…" : mrkdwn);
    }

    private static void context(ArrayNode blocks, String mrkdwn) {
        ObjectNode c = blocks.addObject();
        c.put("type", "context");
        c.putArray("elements").addObject().put("type", "mrkdwn").put("text", mrkdwn);
    }

    private static String icon(Event e) {
        return switch (e) {
            case FAILED -> ":x:";
            case TIMEOUT -> ":hourglass:";
            case FIXED, SUCCESS -> ":white_check_mark:";
            case CANCELLED -> ":no_entry_sign:";
            case STARTED -> ":arrow_forward:";
        };
    }

    private static String word(Event e) {
        return switch (e) {
            case FAILED -> "Failed";
            case TIMEOUT -> "Timed out";
            case FIXED -> "Fixed";
            case SUCCESS -> "Passed";
            case CANCELLED -> "Cancelled";
            case STARTED -> "Started";
        };
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static String oneLine(String s, int max) {
        String one = s.replace('\n', ' ').replace('\r', ' ');
        return one.length() > max ? one.substring(0, max) + "…" : one;
    }
}
