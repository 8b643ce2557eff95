package dev.weft.store;

import java.time.Instant;

/**
 * One repo secret as stored: the value is sealed ({@code nonce || ciphertext || tag}) and only the
 * secrets package opens it.
 *
 * @param keyId fingerprint of the key that sealed it
 */
public record StoredSecret(String repoDid, String repoName, String key, String repoUri, byte[] sealed, String keyId,
                           Instant createdAt, String createdBy) {
}
