package dev.weft.provider.github.webhook;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers the last {@code capacity} {@code X-GitHub-Delivery} ids (GitHub keeps the id on a
 * redelivery). In memory: after a restart a redelivery is processed again, which is harmless
 * because deliveries are only hints.
 */
public final class DeliveryDeduper {
    private final Map<String, Boolean> seen;

    public DeliveryDeduper(int capacity) {
        this.seen = new LinkedHashMap<>(64, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > capacity;
            }
        };
    }

    /** True the first time an id is offered, false for every repeat. */
    public synchronized boolean firstTime(String deliveryId) {
        return seen.putIfAbsent(deliveryId, Boolean.TRUE) == null;
    }
}
