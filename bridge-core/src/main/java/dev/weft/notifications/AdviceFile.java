package dev.weft.notifications;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Objects;

/**
 * {@code WEFT_ADVICE_FILE}: read and validated at start (a bad file stops start-up naming the rule
 * and the problem), then re-read when its modification time or size changes; a bad edit keeps the
 * previous rules and logs why. Thread-safe: {@link #rules()} may be called from any thread.
 */
public final class AdviceFile {
    private static final Logger log = LoggerFactory.getLogger(AdviceFile.class);
    private static final TomlMapper TOML = new TomlMapper();

    private final Path path;
    private volatile AdviceRules rules;
    private volatile Stamp stamp;
    /** The stamp of the last bad edit, so it is logged once rather than on every check. */
    private volatile Stamp rejected;
    private boolean unreadable;

    private record Stamp(FileTime modified, long size) {
    }

    private AdviceFile(Path path, AdviceRules rules, Stamp stamp) {
        this.path = path;
        this.rules = rules;
        this.stamp = stamp;
    }

    /** No file: no advice, no people. */
    public static AdviceFile none() {
        return new AdviceFile(null, AdviceRules.EMPTY, null);
    }

    /** Loads the file now; throws with a message naming the file, the rule and the problem. */
    public static AdviceFile load(Path path) throws AdviceRules.InvalidAdviceException {
        Objects.requireNonNull(path, "path");
        try {
            Stamp s = stamp(path);
            return new AdviceFile(path, parse(path), s);
        } catch (IOException e) {
            throw new AdviceRules.InvalidAdviceException(List.of("advice file " + path + ": " + e.getMessage()));
        }
    }

    private static Stamp stamp(Path p) throws IOException {
        return new Stamp(Files.getLastModifiedTime(p), Files.size(p));
    }

    private static AdviceRules parse(Path p) throws IOException, AdviceRules.InvalidAdviceException {
        JsonNode root;
        try {
            root = TOML.readTree(p.toFile());
        } catch (IOException e) {
            // Jackson's message names the line and column of the TOML syntax error.
            throw new AdviceRules.InvalidAdviceException(List.of("advice file " + p + " is not valid TOML: "
                    + e.getMessage().lines().findFirst().orElse("")));
        }
        try {
            return AdviceRules.from(root == null ? TOML.createObjectNode() : root);
        } catch (AdviceRules.InvalidAdviceException e) {
            throw new AdviceRules.InvalidAdviceException(List.of("advice file " + p + ": " + e.getMessage()));
        }
    }

    /** The current rules, re-reading the file first when it changed. */
    public AdviceRules rules() {
        if (path != null) refresh();
        return rules;
    }

    /** Re-reads the file when it changed; a bad edit keeps the previous rules and is logged once. */
    public synchronized void refresh() {
        if (path == null) return;
        Stamp now;
        try {
            now = stamp(path);
        } catch (IOException e) {
            // Logged once per disappearance (editors replace files by renaming); the next good read resets it.
            if (!unreadable) log.error("advice file {} cannot be read ({}); keeping the previous rules", path, e.toString());
            unreadable = true;
            stamp = null;
            return;
        }
        unreadable = false;
        if (now.equals(stamp) || now.equals(rejected)) return;
        try {
            rules = parse(path);
            stamp = now;
            rejected = null;
            log.info("advice file {} re-read: {} rules, {} people", path, rules.rules().size(), rules.people().size());
        } catch (IOException | AdviceRules.InvalidAdviceException e) {
            rejected = now;
            log.error("{}; keeping the previous rules", e.getMessage());
        }
    }
}
