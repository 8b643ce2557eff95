package dev.weft.notifications;

import dev.weft.notify.Notifier;
import dev.weft.notify.NotifierConfigException;
import dev.weft.notify.NotifierContext;
import dev.weft.notify.NotifierFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Makes the configured notifiers from the factories {@link dev.weft.providers.Plugins} found with
 * {@link java.util.ServiceLoader}, like providers.
 */
public final class NotifierSetup {
    private NotifierSetup() {
    }

    /**
     * The notifiers whose variables are set. Every factory is asked even after one failed, so the
     * operator sees every problem at once; then the ones made are closed and all problems thrown.
     */
    public static List<Notifier> create(List<NotifierFactory> factories, Map<String, String> env, Clock clock,
                                        Duration timeout) throws NotifierConfigException {
        List<String> problems = new ArrayList<>();
        List<Notifier> made = new ArrayList<>();
        Set<String> names = new HashSet<>();
        NotifierContext context = new NotifierContext(env, clock, timeout);
        for (NotifierFactory f : factories) {
            if (!names.add(f.name())) {
                problems.add("two notifiers named '" + f.name() + "' (" + f.getClass().getName() + ")");
                continue;
            }
            try {
                f.create(context).ifPresent(made::add);
            } catch (NotifierConfigException e) {
                problems.add(e.getMessage());
            } catch (RuntimeException e) {
                problems.add("notifier " + f.name() + ": " + e);
            }
        }
        if (!problems.isEmpty()) {
            made.forEach(Notifier::close);
            throw new NotifierConfigException(String.join("; ", problems));
        }
        return made;
    }
}
