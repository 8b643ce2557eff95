package dev.weft.spi;

import java.util.List;
import java.util.Optional;

/** The provider's view of its own runs, for webhooks and pollers to find the run an event is about. */
public interface RunDirectory {

    /** The run of this engine that {@link Run#attach attached} {@code externalId}, terminal or not. */
    Optional<Run> byExternalId(String externalId);

    /** The run with weft's id {@code runId}, when it belongs to this engine. */
    Optional<Run> byId(long runId);

    /** This engine's runs that are not terminal yet. */
    List<Run> active();
}
