package dev.weft.notify;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What a notification is about; the wire name is the {@code event} field and the {@code WEFT_NOTIFY_ON} word. */
public enum Event {
    STARTED, SUCCESS, FAILED, TIMEOUT, CANCELLED,
    /** The pass that ends an incident. */
    FIXED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Event> fromWire(String s) {
        return Arrays.stream(values()).filter(e -> e.wireName().equals(s)).findFirst();
    }

    /** Whether this event is a failure that opens or continues an incident. */
    public boolean failing() {
        return this == FAILED || this == TIMEOUT;
    }
}
