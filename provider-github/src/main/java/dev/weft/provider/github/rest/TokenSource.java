package dev.weft.provider.github.rest;

import java.io.IOException;

/** Where the {@code Authorization: Bearer} token comes from: a fixed PAT or a GitHub App installation. */
public interface TokenSource {

    /** A token valid for at least a few more minutes. May block to mint one. */
    String token() throws IOException;

    /** GitHub rejected {@code token} (401): forget it so the next {@link #token()} mints a fresh one. */
    default void invalidate(String token) {
    }

    /** Whether {@link #invalidate} can lead to a different token (false for a PAT). */
    default boolean refreshable() {
        return false;
    }

    static TokenSource fixed(String token) {
        return () -> token;
    }
}
