package dev.weft.provider.github;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The shared fixtures (../shared/fixtures), found from the {@code weft.shared} property or the tree. */
final class Fixtures {
    private Fixtures() {
    }

    static Path shared() {
        String prop = System.getProperty("weft.shared");
        if (prop != null && Files.isDirectory(Path.of(prop, "fixtures"))) return Path.of(prop);
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("shared/fixtures"))) return p.resolve("shared");
        }
        throw new IllegalStateException("shared/fixtures not found (set -Dweft.shared)");
    }

    static String webhook(String name) {
        try {
            return Files.readString(shared().resolve("fixtures/github/webhooks/" + name), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
