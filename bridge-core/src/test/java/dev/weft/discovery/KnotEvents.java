package dev.weft.discovery;

import java.util.concurrent.CopyOnWriteArrayList;

/** Records what a registry tells its knot listeners, {@code +knot} and {@code -knot}, in order. */
public final class KnotEvents extends CopyOnWriteArrayList<String> implements RepoRegistry.KnotListener {
    @Override
    public void knotAdded(String knot) {
        add("+" + knot);
    }

    @Override
    public void knotRemoved(String knot) {
        add("-" + knot);
    }
}
