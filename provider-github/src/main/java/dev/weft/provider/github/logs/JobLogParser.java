package dev.weft.provider.github.logs;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a GitHub job log: one entry per line, each {@code <28-character timestamp> <content>}. A
 * leading BOM is dropped, {@code \r\n} endings are accepted, and the runner's markers become plain
 * text: {@code ##[group]T} an entry flagged as a group opener with text {@code T},
 * {@code ##[endgroup]} nothing, {@code ##[error]m} a stderr line {@code Error: m},
 * {@code ##[warning]}/{@code ##[notice]}/{@code ##[debug]} lines prefixed {@code Warning: },
 * {@code Notice: }, {@code Debug: }, and {@code ##[command]}/{@code ##[section]} lines their text.
 * A line without a timestamp takes the previous line's time. ANSI colour codes are kept.
 */
public final class JobLogParser {
    private static final char BOM = '\uFEFF';

    private JobLogParser() {
    }

    public static List<LogEntry> parse(String log) {
        List<LogEntry> out = new ArrayList<>();
        if (log == null || log.isEmpty()) return out;
        int start = log.charAt(0) == BOM ? 1 : 0;
        Instant last = null;
        int n = log.length();
        while (start < n) {
            int nl = log.indexOf('\n', start);
            int end = nl < 0 ? n : nl;
            String line = log.substring(start, end);
            start = end + 1;
            if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
            if (!line.isEmpty() && line.charAt(0) == BOM) line = line.substring(1);
            Instant time = timestamp(line);
            String content = line;
            if (time != null) {
                content = line.length() > 28 && line.charAt(28) == ' ' ? line.substring(29) : line.substring(28);
                last = time;
            } else {
                time = last;
            }
            LogEntry e = entry(time, content);
            if (e != null) out.add(e);
            if (nl < 0) break;
        }
        return out;
    }

    /** The line's leading 28-character timestamp ({@code 2022-06-20T09:28:05.8714453Z}), if any. */
    static Instant timestamp(String line) {
        if (line.length() < 28 || line.charAt(10) != 'T' || line.charAt(27) != 'Z') return null;
        if (line.length() > 28 && line.charAt(28) != ' ') return null;
        try {
            return Instant.parse(line.substring(0, 28));
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static LogEntry entry(Instant time, String content) {
        if (!content.startsWith("##[")) return new LogEntry(time, false, content, false);
        int close = content.indexOf(']');
        if (close < 0) return new LogEntry(time, false, content, false);
        String marker = content.substring(3, close);
        String rest = content.substring(close + 1);
        return switch (marker) {
            case "group" -> new LogEntry(time, false, rest, true);
            case "endgroup" -> null;
            case "error" -> new LogEntry(time, true, "Error: " + rest, false);
            case "warning" -> new LogEntry(time, false, "Warning: " + rest, false);
            case "notice" -> new LogEntry(time, false, "Notice: " + rest, false);
            case "debug" -> new LogEntry(time, false, "Debug: " + rest, false);
            case "command", "section" -> new LogEntry(time, false, rest, false);
            default -> new LogEntry(time, false, content, false);
        };
    }
}
