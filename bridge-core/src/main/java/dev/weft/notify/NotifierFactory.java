package dev.weft.notify;

import java.util.Optional;

/**
 * Makes a {@link Notifier} from the configuration. Found with {@link java.util.ServiceLoader}:
 * list the implementation's binary name in {@code META-INF/services/dev.weft.notify.NotifierFactory}.
 * Needs a public no-argument constructor. Called once, at start-up, on the starting thread.
 */
public interface NotifierFactory {
    /** The notifier's name; two factories with one name fail start-up. */
    String name();

    /**
     * The notifier, or empty when its variables are absent (not configured is not an error).
     *
     * @throws NotifierConfigException when configured but wrong; the message names every bad variable
     */
    Optional<Notifier> create(NotifierContext context) throws NotifierConfigException;
}
