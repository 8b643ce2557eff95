package dev.weft.provider.github.logs;

import java.time.Instant;

/**
 * One line of a GitHub job log, markers interpreted.
 *
 * @param time   the line's own 28-character timestamp; null when the line had none and no line before it did
 * @param stderr an {@code ##[error]} line
 * @param text   the content without timestamp and marker
 * @param group  the line opened a {@code ##[group]}
 */
public record LogEntry(Instant time, boolean stderr, String text, boolean group) {
}
