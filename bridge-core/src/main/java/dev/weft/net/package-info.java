/**
 * Outbound HTTP that a remote host cannot hold open.
 *
 * <p>Weft fetches from hosts named by whoever calls it: the issuer of a service-auth token picks the
 * did:web host weft reads before any signature is checked, and a repo at-uri picks the DID and PDS
 * read next. {@code java.net.http}'s request timeout stops at the response headers, so a host that
 * answers headers and then stalls mid-body would keep the request, its thread and its connection
 * for as long as it likes. {@link dev.weft.net.BoundedFetch} puts one total deadline over connect,
 * headers and body, and a byte cap on the body; {@link dev.weft.net.Deadline} carries one
 * request's time budget down to every fetch made for it, so fetches in sequence cannot add up past
 * what the caller was promised.
 */
package dev.weft.net;
