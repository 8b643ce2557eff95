package dev.weft.testkit;

import dev.weft.daemon.Weft;
import dev.weft.notifications.Notifications;
import dev.weft.store.RunRecord;

/**
 * weft's own runtime tests run through {@link ProviderHarness} too, and look behind it at what
 * plugin authors must not depend on: the {@link Weft} itself, the store's run rows, notification
 * tunables. Only this test tree reaches them (they are package-private in the kit).
 */
public final class Internals {
    private Internals() {
    }

    public static Weft weft(ProviderHarness h) {
        return h.weft();
    }

    public static RunRecord record(ProviderHarness.TestRun r) {
        return r.record();
    }

    public static ProviderHarness.Builder notifyOptions(ProviderHarness.Builder b, Notifications.Options o) {
        return b.notifyOptions(o);
    }
}
