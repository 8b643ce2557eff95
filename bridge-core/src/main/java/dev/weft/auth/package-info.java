/**
 * Service authentication for XRPC: {@link dev.weft.auth.ServiceAuth} verifies the appview's
 * ES256/ES256K service-auth JWTs against the issuer's {@code #atproto} key, which
 * {@link dev.weft.auth.DidResolver} fetches from the PLC directory or a did:web host and
 * {@link dev.weft.auth.Multikey} decodes.
 */
package dev.weft.auth;
