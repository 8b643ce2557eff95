package dev.weft.lease;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.UUID;

/**
 * This instance's name ({@code WEFT_INSTANCE_ID}, default host name and process id) and the lease
 * holder it writes: the name plus a token of this process life, so that a process restarted under
 * the same name waits for its previous life's leases to expire and adopts its runs like any dead
 * instance's, instead of believing it still drives them.
 */
public record InstanceId(String name, String holder) {
    public static final String VARIABLE = "WEFT_INSTANCE_ID";

    public static InstanceId from(Map<String, String> env) {
        String name = env.get(VARIABLE);
        if (name == null || name.isBlank()) name = defaultName();
        return of(name.strip());
    }

    public static InstanceId of(String name) {
        return new InstanceId(name, name + "#" + UUID.randomUUID().toString().substring(0, 8));
    }

    private static String defaultName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "localhost";
        }
        return host + "-" + ProcessHandle.current().pid();
    }

    /** The lease that says this process life is alive; runs it drives are adopted when it expires. */
    public String liveness() {
        return "instance:" + holder;
    }
}
