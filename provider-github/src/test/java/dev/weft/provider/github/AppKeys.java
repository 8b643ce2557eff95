package dev.weft.provider.github;

import org.bouncycastle.openssl.jcajce.JcaPEMWriter;

import java.io.StringWriter;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;

/** Throwaway RSA keys in the PEM forms GitHub Apps come with. */
final class AppKeys {
    static final KeyPair PAIR;

    static {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            PAIR = g.generateKeyPair();
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private AppKeys() {
    }

    /** {@code -----BEGIN RSA PRIVATE KEY-----}, as GitHub hands it out. */
    static String pkcs1Pem() throws Exception {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(PAIR.getPrivate());
        }
        return w.toString();
    }

    /** {@code -----BEGIN PRIVATE KEY-----} (PKCS#8). */
    static String pkcs8Pem() {
        return "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(PAIR.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
    }
}
