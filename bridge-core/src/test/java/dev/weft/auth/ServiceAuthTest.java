package dev.weft.auth;

import com.nimbusds.jose.PlainHeader;
import com.nimbusds.jwt.PlainJWT;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Service-auth JWTs against a fake PLC directory and did:web host")
class ServiceAuthTest {
    static final String HOST = "ci.example.com";
    static final String AUD = "did:web:" + HOST;
    static final String LXM = "sh.tangled.repo.addSecret";

    FakeDidHost host;
    ServiceAuth auth;
    TestIdentity p256;
    TestIdentity k256;

    @BeforeEach
    void setUp() throws Exception {
        host = new FakeDidHost().start();
        p256 = TestIdentity.plc(Multikey.KeyType.P256);
        k256 = TestIdentity.plc(Multikey.KeyType.K256);
        host.publish(p256).publish(k256);
        DidResolver resolver = new DidResolver(host.url(), "http", Duration.ofMinutes(10), Duration.ofSeconds(5), Clock.systemUTC());
        auth = new ServiceAuth(HOST, resolver, Clock.systemUTC());
    }

    @AfterEach
    void tearDown() {
        host.close();
    }

    String verify(String token) throws ServiceAuth.AuthException {
        return auth.verify(Optional.of("Bearer " + token), LXM);
    }

    String refused(String token) {
        return assertThrows(ServiceAuth.AuthException.class, () -> verify(token)).getMessage();
    }

    @Test
    @DisplayName("ES256 (P-256) and ES256K (secp256k1) tokens of did:plc issuers verify")
    void valid() throws Exception {
        assertEquals(p256.did, verify(p256.token(AUD, LXM)));
        assertEquals(k256.did, verify(k256.token(AUD, LXM)));
        Instant now = Instant.now();
        assertEquals(k256.did, verify(k256.token(k256.claims(AUD, null, null, now.plusSeconds(30)))), "no lxm, no iat");
    }

    @Test
    @DisplayName("a did:web issuer's key comes from https://<host>/.well-known/did.json (http here)")
    void didWeb() throws Exception {
        TestIdentity web = TestIdentity.web(host.hostAndPort(), Multikey.KeyType.K256);
        host.publish(web);
        assertEquals(web.did, verify(web.token(AUD, LXM)));
    }

    @Test
    @DisplayName("wrong audience, expired, missing exp, future iat and wrong lxm are refused")
    void claims() {
        Instant now = Instant.now();
        assertTrue(refused(p256.token("did:web:other.example.com", LXM)).contains("audience"));
        assertTrue(refused(p256.token(p256.claims(AUD, LXM, now.minusSeconds(120), now.minusSeconds(6)))).contains("expired"));
        assertEquals(p256.did, assertDoesNotThrow(p256.token(p256.claims(AUD, LXM, now.minusSeconds(60), now.minusSeconds(3)))),
                "within the 5 s leeway");
        assertTrue(refused(p256.token(p256.claims(AUD, LXM, now, null))).contains("exp"));
        assertTrue(refused(p256.token(p256.claims(AUD, LXM, now.plusSeconds(60), now.plusSeconds(120)))).contains("future"));
        assertTrue(refused(p256.token(AUD, "sh.tangled.pipeline.cancelPipeline")).contains("method"));
    }

    String assertDoesNotThrow(String token) {
        try {
            return verify(token);
        } catch (ServiceAuth.AuthException e) {
            throw new AssertionError("refused: " + e.getMessage(), e);
        }
    }

    @Test
    @DisplayName("a signature by another key, an unknown DID, alg none and other algorithms are refused")
    void signatures() {
        TestIdentity impostor = TestIdentity.plc(Multikey.KeyType.P256);
        // signed by the impostor's key, claiming to be p256
        String forged = impostor.token(TestIdentity.claims(p256.did, AUD, LXM, Instant.now(), Instant.now().plusSeconds(60)));
        assertTrue(refused(forged).contains("signature"));
        // a valid token with one byte of the signature changed
        String good = k256.token(AUD, LXM);
        char c = good.charAt(good.length() - 5);
        assertTrue(refused(good.substring(0, good.length() - 5) + (c == 'A' ? 'B' : 'A') + good.substring(good.length() - 4))
                .contains("signature"));
        // a P-256 signature whose header claims ES256K: the algorithm does not match the issuer's key
        String es256 = p256.token(AUD, LXM);
        String header = java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString("{\"alg\":\"ES256K\",\"typ\":\"JWT\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertTrue(refused(header + es256.substring(es256.indexOf('.'))).contains("signature"));
        // HMAC and RSA algorithms are refused before any key is looked at
        String hs = header.replace(header, java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString("{\"alg\":\"HS256\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertTrue(refused(hs + es256.substring(es256.indexOf('.'))).contains("refused"));
        assertTrue(refused(impostor.token(AUD, LXM)).contains("unknown DID"));
        String none = new PlainJWT(new PlainHeader(), p256.claims(AUD, LXM, Instant.now(), Instant.now().plusSeconds(60)).build()).serialize();
        assertTrue(refused(none).contains("alg none"));
        assertThrows(ServiceAuth.AuthException.class, () -> auth.verify(Optional.empty(), LXM));
        assertThrows(ServiceAuth.AuthException.class, () -> auth.verify(Optional.of("Basic abc"), LXM));
        assertThrows(ServiceAuth.AuthException.class, () -> verify("a.b.c"));
    }

    @Test
    @DisplayName("documents are cached; a key rotation is picked up by re-resolving once")
    void cacheAndRotation() throws Exception {
        verify(p256.token(AUD, LXM));
        int after = host.requests.get();
        verify(p256.token(AUD, LXM));
        assertEquals(after, host.requests.get(), "second verification from the cache");
        TestIdentity rotated = p256.rotated();
        host.publish(rotated);
        assertEquals(p256.did, verify(rotated.token(AUD, LXM)));
        assertEquals(after + 1, host.requests.get());
    }

    @Test
    @DisplayName("a hostname with a port is the audience verbatim or with %3A")
    void portAudience() throws Exception {
        ServiceAuth local = new ServiceAuth("localhost:6555",
                new DidResolver(host.url(), "http", Duration.ofMinutes(1), Duration.ofSeconds(5), Clock.systemUTC()), Clock.systemUTC());
        assertEquals(p256.did, local.verify(Optional.of("Bearer " + p256.token("did:web:localhost:6555", LXM)), LXM));
        assertEquals(p256.did, local.verify(Optional.of("Bearer " + p256.token("did:web:localhost%3A6555", LXM)), LXM));
    }

    static final String CANCEL = "sh.tangled.ci.cancelPipeline";
    static final String CANCEL_ALIAS = "sh.tangled.ci.pipeline.cancelPipeline";

    /**
     * Spec tangled-ci 3.0, the weft line: the audience with the port raw or {@code %3A}-encoded, with
     * or without {@code #tangled_spindle}; {@code lxm} absent, the method, or its pre-rename alias.
     * The method is called as {@code sh.tangled.ci.cancelPipeline}, its alias being the other name.
     */
    @ParameterizedTest(name = "[{index}] host {0}, aud {1}, lxm {2}: {3}")
    @CsvSource(nullValues = "-", value = {
            "ci.example.com,  did:web:ci.example.com,                        sh.tangled.ci.cancelPipeline,          accepted",
            "ci.example.com,  did:web:ci.example.com#tangled_spindle,        sh.tangled.ci.cancelPipeline,          accepted",
            "ci.example.com,  did:web:ci.example.com,                        -,                                     accepted",
            "ci.example.com,  did:web:ci.example.com#tangled_spindle,        -,                                     accepted",
            "ci.example.com,  did:web:ci.example.com,                        sh.tangled.ci.pipeline.cancelPipeline, accepted",
            "localhost:6555,  did:web:localhost:6555,                        sh.tangled.ci.cancelPipeline,          accepted",
            "localhost:6555,  did:web:localhost%3A6555,                      sh.tangled.ci.cancelPipeline,          accepted",
            "localhost:6555,  did:web:localhost%3a6555,                      sh.tangled.ci.cancelPipeline,          accepted",
            "localhost:6555,  did:web:localhost%3A6555#tangled_spindle,      sh.tangled.ci.pipeline.cancelPipeline, accepted",
            "localhost:6555,  did:web:localhost:6555#tangled_spindle,        -,                                     accepted",
            "ci.example.com,  did:web:ci.example.com#atproto_pds,            sh.tangled.ci.cancelPipeline,          audience",
            "ci.example.com,  did:web:ci.example.com#,                       sh.tangled.ci.cancelPipeline,          audience",
            "ci.example.com,  did:web:ci.example.com%3A443,                  sh.tangled.ci.cancelPipeline,          audience",
            "ci.example.com,  did:web:other.example.com#tangled_spindle,     sh.tangled.ci.cancelPipeline,          audience",
            "ci.example.com,  did:web:ci.example.com#tangled_spindle#tangled_spindle, -,                            audience",
            "ci.example.com,  did:plc:ci.example.com,                        sh.tangled.ci.cancelPipeline,          audience",
            "localhost:6555,  did:web:localhost,                             sh.tangled.ci.cancelPipeline,          audience",
            "localhost:6555,  did:web:localhost%3A6556,                      sh.tangled.ci.cancelPipeline,          audience",
            "ci.example.com,  did:web:ci.example.com,                        sh.tangled.pipeline.cancelPipeline,    method",
            "ci.example.com,  did:web:ci.example.com,                        sh.tangled.repo.addSecret,             method",
            "ci.example.com,  did:web:ci.example.com,                        '',                                    method",
    })
    void audienceAndMethod(String hostname, String aud, String lxm, String expected) throws Exception {
        ServiceAuth a = new ServiceAuth(hostname,
                new DidResolver(host.url(), "http", Duration.ofMinutes(1), Duration.ofSeconds(5), Clock.systemUTC()), Clock.systemUTC());
        Instant now = Instant.now();
        Optional<String> header = Optional.of("Bearer " + k256.token(k256.claims(aud, lxm, now, now.plusSeconds(60))));
        List<String> names = List.of(CANCEL, CANCEL_ALIAS);
        if (expected.equals("accepted")) {
            assertEquals(k256.did, a.verify(header, names, dev.weft.net.Deadline.none()));
        } else {
            String why = assertThrows(ServiceAuth.AuthException.class,
                    () -> a.verify(header, names, dev.weft.net.Deadline.none())).getMessage();
            assertTrue(why.contains(expected), why);
        }
    }

    @ParameterizedTest(name = "[{index}] exp {0} s from now: {1}")
    @CsvSource({"60, accepted", "0, accepted", "-4, accepted", "-6, expired", "-3600, expired"})
    @DisplayName("exp keeps the legacy 5 s leeway")
    void expiryLeeway(long expIn, String expected) throws Exception {
        Instant now = Instant.now();
        String token = p256.token(p256.claims(AUD, LXM, now.minusSeconds(7200), now.plusSeconds(expIn)));
        if (expected.equals("accepted")) {
            assertEquals(p256.did, verify(token));
        } else {
            assertTrue(refused(token).contains(expected));
        }
    }
}
