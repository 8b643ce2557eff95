package dev.weft.auth;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Optional;

/**
 * The parts of a DID document weft uses: the {@code #atproto} signing key and the
 * {@code #atproto_pds} service endpoint.
 */
public record DidDocument(String did, JsonNode json) {

    /**
     * The {@code #atproto} verification method's key. Accepts {@code Multikey} (multicodec-prefixed)
     * and the legacy {@code EcdsaSecp256r1VerificationKey2019}/{@code EcdsaSecp256k1VerificationKey2019}
     * types.
     */
    public Multikey.PublicKey atprotoKey() throws Multikey.KeyFormatException {
        for (JsonNode vm : json.path("verificationMethod")) {
            String id = vm.path("id").asText("");
            if (!id.equals("#atproto") && !id.equals(did + "#atproto")) continue;
            String mb = vm.path("publicKeyMultibase").asText("");
            return switch (vm.path("type").asText("")) {
                case "EcdsaSecp256r1VerificationKey2019" -> Multikey.decodeLegacy(Multikey.KeyType.P256, mb);
                case "EcdsaSecp256k1VerificationKey2019" -> Multikey.decodeLegacy(Multikey.KeyType.K256, mb);
                default -> Multikey.decode(mb);
            };
        }
        throw new Multikey.KeyFormatException("DID document of " + did + " has no #atproto verification method");
    }

    /** The PDS URL ({@code #atproto_pds} service), if the document names one. */
    public Optional<String> pds() {
        for (JsonNode s : json.path("service")) {
            String id = s.path("id").asText("");
            if ((id.equals("#atproto_pds") || id.equals(did + "#atproto_pds"))
                    && s.path("serviceEndpoint").isTextual()) {
                return Optional.of(s.path("serviceEndpoint").asText());
            }
        }
        return Optional.empty();
    }
}
