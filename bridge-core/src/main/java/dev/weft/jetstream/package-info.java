/**
 * Discovery through the Jetstream (spec section 3): {@link dev.weft.jetstream.JetstreamClient} keeps
 * a subscription to the Tangled collections of the owner and the members, resuming from a stored
 * {@code time_us} cursor minus a replay window, and {@link dev.weft.jetstream.NetworkRecords}
 * applies member, repo and collaborator records to the store and the
 * {@link dev.weft.discovery.RepoRegistry} idempotently (replays are recognised by commit rev).
 * Static configuration ({@code WEFT_KNOTS}, {@code WEFT_REPOS}) works beside it.
 */
package dev.weft.jetstream;
