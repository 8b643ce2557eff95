/**
 * Repository secrets: sealed at rest with AES-256-GCM ({@link dev.weft.secrets.SecretCipher}, key
 * from {@code WEFT_SECRETS_KEY_FILE}), managed per repository ({@link dev.weft.secrets.RepoSecrets}),
 * handed to providers that can keep them ({@link dev.weft.spi.SecretSupport}), and masked as
 * {@code ***} in every log line ({@link dev.weft.secrets.SecretMask}).
 */
package dev.weft.secrets;
