package dev.weft.pulls;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("AddressPolicy: a stranger's PDS only on global unicast (loopback in dev)")
class AddressPolicyTest {

    /** Literals only: {@link InetAddress#getByName} does no lookup for them. */
    static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    @ParameterizedTest(name = "{0}: refused ({1})")
    @CsvSource(delimiter = '|', value = {
            "0.0.0.0           | this network",
            "0.1.2.3           | this network",
            "10.0.0.1          | RFC 1918",
            "10.255.255.255    | RFC 1918",
            "100.64.0.1        | carrier-grade NAT",
            "100.127.255.254   | carrier-grade NAT",
            "169.254.169.254   | link-local",
            "172.16.0.1        | RFC 1918",
            "172.31.255.255    | RFC 1918",
            "192.0.0.8         | IETF protocol",
            "192.0.2.10        | documentation",
            "192.88.99.1       | 6to4 relay",
            "192.168.1.1       | RFC 1918",
            "198.18.0.1        | benchmarking",
            "198.19.255.255    | benchmarking",
            "198.51.100.7      | documentation",
            "203.0.113.9       | documentation",
            "224.0.0.1         | multicast",
            "239.255.255.250   | multicast",
            "240.0.0.1         | reserved",
            "255.255.255.255   | reserved",
            "127.0.0.1         | loopback",
            "127.1.2.3         | loopback",
            "::1               | loopback",
            "::                | unspecified",
            "::ffff:10.0.0.1   | RFC 1918",
            "::ffff:127.0.0.1  | loopback",
            "64:ff9b::a9fe:a9fe| link-local, embedded",
            "64:ff9b::7f00:1   | loopback",
            "64:ff9b:1::1      | local-use NAT64",
            "::10.0.0.1        | IPv4-compatible",
            "100::1            | discard",
            "2001::1           | IETF protocol",
            "2001:db8::1       | documentation",
            "2002:a00:1::1     | 6to4",
            "3fff::1           | documentation",
            "fc00::1           | unique local",
            "fd12:3456::1      | unique local",
            "fe80::1           | link-local",
            "febf::1           | link-local",
            "fec0::1           | site-local",
            "ff02::1           | multicast",
    })
    void refused(String literal, String why) throws Exception {
        Optional<String> r = AddressPolicy.refusal(ip(literal), false);
        assertTrue(r.isPresent(), literal + " was allowed");
        assertTrue(r.get().contains(why), literal + ": " + r.get());
    }

    @ParameterizedTest(name = "{0}: allowed")
    @CsvSource({
            "1.1.1.1", "8.8.8.8", "9.255.255.255", "11.0.0.1", "100.63.255.255", "100.128.0.1", "169.253.0.1",
            "172.15.255.255", "172.32.0.1", "192.0.1.1", "192.169.0.1", "198.17.255.255", "198.20.0.1",
            "223.255.255.255", "2606:4700::1111", "2a01:4f8::1", "2001:4860:4860::8888", "64:ff9b::808:808",
            "::ffff:8.8.8.8", "fbff::1", "fe7f::1",
    })
    void allowed(String literal) throws Exception {
        assertEquals(Optional.empty(), AddressPolicy.refusal(ip(literal), false));
    }

    @ParameterizedTest(name = "dev mode: {0} is {1}")
    @CsvSource({
            "127.0.0.1, allowed", "127.0.1.1, allowed", "::1, allowed", "::ffff:127.0.0.1, allowed",
            "10.0.0.1, refused", "192.168.0.10, refused", "169.254.169.254, refused", "fd00::1, refused", "0.0.0.0, refused",
    })
    void dev(String literal, String verdict) throws Exception {
        assertEquals(verdict.equals("refused"), AddressPolicy.refusal(ip(literal), true).isPresent(), literal);
    }
}
