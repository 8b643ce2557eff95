package dev.weft.pipelines;

import java.util.Objects;

/**
 * A workflow file that cannot be compiled. Upstream drops such files silently; weft puts them in
 * every pipeline of the commit so that the runtime fails them where the author sees it.
 *
 * @param name   the file name
 * @param engine the {@code engine} as written when it could be read, else {@code ""}
 * @param error  {@code invalid workflow file: <reason>}
 */
public record InvalidWorkflow(String name, String engine, String error) {
    public InvalidWorkflow {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(error, "error");
    }

    static InvalidWorkflow of(String name, String engine, String reason) {
        return new InvalidWorkflow(name, engine, "invalid workflow file: " + reason);
    }
}
