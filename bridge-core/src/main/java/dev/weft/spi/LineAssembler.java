package dev.weft.spi;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * Turns a backend's log chunks into the whole lines {@link Step#line} expects. A backend that
 * serves its log in pieces (byte ranges, polled suffixes, streamed frames) splits lines, and so
 * secret values, anywhere; the runtime masks secrets per line, so a provider must hand it whole
 * lines. Feed every chunk to {@link #accept}; each complete line (without its {@code \n} or
 * {@code \r\n}) goes to the consumer, in order; call {@link #flush} when the log ends to emit a
 * last line that has no terminator.
 *
 * <p>Decode bytes to text before this (a UTF-8 sequence can be split too). A line longer than
 * {@link #MAX_LINE} characters is emitted in pieces of that size to bound memory: a secret straddling
 * such a cut is the one case the mask cannot see. Thread-safe; the consumer is called while the
 * assembler's lock is held, one line at a time.
 */
public final class LineAssembler {
    /** Longest line kept whole (1 Mi characters). */
    public static final int MAX_LINE = 1 << 20;

    private final Consumer<String> lines;
    private final StringBuilder pending = new StringBuilder();

    /** @param lines receives each complete line */
    public LineAssembler(Consumer<String> lines) {
        this.lines = Objects.requireNonNull(lines, "lines");
    }

    /** Adds a chunk; emits every line it completes. */
    public synchronized void accept(CharSequence chunk) {
        for (int i = 0; i < chunk.length(); i++) {
            char c = chunk.charAt(i);
            if (c == '\n') {
                int end = pending.length();
                if (end > 0 && pending.charAt(end - 1) == '\r') end--;
                emit(pending.substring(0, end));
            } else {
                pending.append(c);
                if (pending.length() >= MAX_LINE) emit(pending.toString());
            }
        }
    }

    /** Emits what is left as a last line, if anything is. */
    public synchronized void flush() {
        if (!pending.isEmpty()) emit(pending.toString());
    }

    /** Text received after the last complete line. */
    public synchronized String pending() {
        return pending.toString();
    }

    private void emit(String line) {
        pending.setLength(0);
        lines.accept(line);
    }
}
