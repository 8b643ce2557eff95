package dev.weft.pulls;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;

/**
 * Which addresses weft may fetch a stranger's PDS from: only global unicast. The PDS URL comes from
 * a DID document its owner writes, so without this a pull record could make weft read from its own
 * network (a metadata service on link-local, an admin port on RFC 1918, the host's loopback).
 * Loopback is allowed only in dev mode, where a local PDS is normal (and where tests run).
 * Pure: looks at the address bytes only.
 */
final class AddressPolicy {
    private record Range(byte[] prefix, int bits, String what) {
        boolean contains(byte[] a) {
            if (a.length != prefix.length) return false;
            int full = bits / 8;
            for (int i = 0; i < full; i++) if (a[i] != prefix[i]) return false;
            int rest = bits % 8;
            if (rest == 0) return true;
            int mask = (0xff << (8 - rest)) & 0xff;
            return (a[full] & mask) == (prefix[full] & mask);
        }
    }

    /** IANA special-purpose registries (RFC 6890 and successors), minus what is global unicast. */
    private static final List<Range> REFUSED = List.of(
            range("0.0.0.0", 8, "\"this network\" (0.0.0.0/8)"),
            range("10.0.0.0", 8, "private (RFC 1918)"),
            range("100.64.0.0", 10, "shared address space (carrier-grade NAT)"),
            range("169.254.0.0", 16, "link-local"),
            range("172.16.0.0", 12, "private (RFC 1918)"),
            range("192.0.0.0", 24, "IETF protocol assignments"),
            range("192.0.2.0", 24, "documentation"),
            range("192.88.99.0", 24, "6to4 relay anycast"),
            range("192.168.0.0", 16, "private (RFC 1918)"),
            range("198.18.0.0", 15, "benchmarking"),
            range("198.51.100.0", 24, "documentation"),
            range("203.0.113.0", 24, "documentation"),
            range("224.0.0.0", 4, "multicast"),
            range("240.0.0.0", 4, "reserved (and broadcast)"),
            range("::", 128, "unspecified"),
            range("::", 96, "IPv4-compatible (deprecated)"),
            range("64:ff9b:1::", 48, "local-use NAT64"),
            range("100::", 64, "discard-only"),
            range("2001::", 23, "IETF protocol assignments (Teredo, ORCHID, ...)"),
            range("2001:db8::", 32, "documentation"),
            range("2002::", 16, "6to4 (may embed any IPv4 address)"),
            range("3fff::", 20, "documentation"),
            range("fc00::", 7, "unique local (ULA)"),
            range("fe80::", 10, "link-local"),
            range("fec0::", 10, "site-local (deprecated)"),
            range("ff00::", 8, "multicast"));
    private static final Range LOOPBACK_V4 = range("127.0.0.0", 8, "loopback");
    private static final Range LOOPBACK_V6 = range("::1", 128, "loopback");
    /** IPv4-mapped, built from bytes: the JDK parses {@code ::ffff:0:0} to an IPv4 address. */
    private static final Range MAPPED = new Range(
            new byte[]{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 0, 0, 0, 0}, 96, "IPv4-mapped");
    /** NAT64 well-known prefix: like a mapped address, the IPv4 address it embeds decides. */
    private static final Range NAT64 = range("64:ff9b::", 96, "NAT64");

    private AddressPolicy() {
    }

    /**
     * Why {@code address} must not be fetched from, or empty when it may.
     *
     * @param allowLoopback dev mode: a PDS on this machine is fine
     */
    static Optional<String> refusal(InetAddress address, boolean allowLoopback) {
        byte[] a = address.getAddress();
        // The JDK turns most IPv4-mapped forms into Inet4Address already; these catch the rest.
        if (a.length == 16 && (MAPPED.contains(a) || NAT64.contains(a))) {
            byte[] v4 = new byte[4];
            System.arraycopy(a, 12, v4, 0, 4);
            return refusal(v4, allowLoopback).map(why -> why + ", embedded in " + address.getHostAddress());
        }
        return refusal(a, allowLoopback);
    }

    private static Optional<String> refusal(byte[] a, boolean allowLoopback) {
        if (LOOPBACK_V4.contains(a) || LOOPBACK_V6.contains(a)) {
            return allowLoopback ? Optional.empty() : Optional.of("loopback (allowed only in dev mode)");
        }
        for (Range r : REFUSED) if (r.contains(a)) return Optional.of(r.what());
        return Optional.empty();
    }

    private static Range range(String literal, int bits, String what) {
        try {
            // A literal: no lookup happens.
            return new Range(InetAddress.getByName(literal).getAddress(), bits, what);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(literal, e);
        }
    }
}
