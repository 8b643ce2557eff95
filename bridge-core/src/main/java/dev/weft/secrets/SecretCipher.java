package dev.weft.secrets;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AES-256-GCM sealing of secret values with the key of {@code WEFT_SECRETS_KEY_FILE}. A sealed value
 * is {@code nonce (12 bytes) || ciphertext || tag (16 bytes)} with a fresh random nonce each time;
 * the associated data binds it to its repository and key, so a sealed value moved to another row
 * does not open. Thread-safe.
 *
 * <p>The key file holds 32 random bytes, base64 on one line (a raw 32-byte file is read too). It is
 * created on first start with permissions {@code 0600} (owner read/write only); an existing file
 * readable by group or others is used, with a warning.
 */
public final class SecretCipher {
    private static final Logger log = LoggerFactory.getLogger(SecretCipher.class);
    private static final int NONCE = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;
    private final String keyId;

    SecretCipher(byte[] key) {
        if (key.length != 32) throw new IllegalArgumentException("a secrets key is 32 bytes, got " + key.length);
        this.key = new SecretKeySpec(key.clone(), "AES");
        this.keyId = fingerprint(key);
    }

    /** Reads the key file, creating it (0600, 32 random bytes) when it does not exist. */
    public static SecretCipher loadOrCreate(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        if (!Files.exists(file)) {
            try {
                create(file);
                log.info("generated a new secrets key in {} (mode 0600); back it up with the database", file);
            } catch (FileAlreadyExistsException e) {
                // another process created it meanwhile: read theirs
            }
        }
        return new SecretCipher(read(file));
    }

    private static void create(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        byte[] k = new byte[32];
        RANDOM.nextBytes(k);
        byte[] text = (Base64.getEncoder().encodeToString(k) + "\n").getBytes(StandardCharsets.US_ASCII);
        boolean posix = file.getFileSystem().supportedFileAttributeViews().contains("posix");
        if (posix) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
            Files.createFile(file);
        }
        Files.write(file, text, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.SYNC);
    }

    private static byte[] read(Path file) throws IOException {
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
                log.warn("secrets key file {} is readable by group or others ({}); chmod 600 it",
                        file, PosixFilePermissions.toString(perms));
            }
        }
        byte[] raw = Files.readAllBytes(file);
        if (raw.length == 32) return raw;
        String text = new String(raw, StandardCharsets.US_ASCII).strip();
        try {
            byte[] k = Base64.getDecoder().decode(text);
            if (k.length == 32) return k;
        } catch (IllegalArgumentException e) {
            // fall through to the error below
        }
        throw new IOException("secrets key file " + file + " must hold 32 bytes, raw or base64 on one line");
    }

    /**
     * A 32-byte key for another purpose, derived from this one (HMAC-SHA256 keyed with the secrets
     * key over {@code "weft-derived-key:" + purpose}): the same on every instance sharing the key
     * file and across restarts, so what it signs needs no storage, while the secrets key itself
     * never leaves this class. Distinct purposes give unrelated keys.
     */
    public byte[] derivedKey(String purpose) {
        Objects.requireNonNull(purpose, "purpose");
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getEncoded(), "HmacSHA256"));
            return mac.doFinal(("weft-derived-key:" + purpose).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable: " + e, e);
        }
    }

    /** Identifies the key (a hash prefix, not the key), stored with each sealed value. */
    public String keyId() {
        return keyId;
    }

    /** Seals {@code plaintext} bound to {@code context}. */
    public byte[] seal(byte[] plaintext, String context) {
        byte[] nonce = new byte[NONCE];
        RANDOM.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            byte[] ct = c.doFinal(plaintext);
            byte[] out = Arrays.copyOf(nonce, NONCE + ct.length);
            System.arraycopy(ct, 0, out, NONCE, ct.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable: " + e, e);
        }
    }

    /**
     * Opens a sealed value.
     *
     * @throws SecretsException when it does not open with this key and context (a wrong key file, a
     *                          value moved between rows, corruption)
     */
    public byte[] open(byte[] sealed, String context) throws SecretsException {
        if (sealed.length < NONCE + TAG_BITS / 8) throw new SecretsException("sealed value too short");
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE));
            c.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            return c.doFinal(sealed, NONCE, sealed.length - NONCE);
        } catch (AEADBadTagException e) {
            throw new SecretsException("a secret does not open with this key (wrong WEFT_SECRETS_KEY_FILE, or a damaged value)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable: " + e, e);
        }
    }

    private static String fingerprint(byte[] key) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(
                    concat("weft-secrets-key-id".getBytes(StandardCharsets.US_ASCII), key));
            return HexFormat.of().formatHex(h, 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
