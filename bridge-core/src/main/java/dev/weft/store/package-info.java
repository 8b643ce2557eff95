/**
 * Weft's durable state behind narrow interfaces, one per aggregate: {@link dev.weft.store.RunStore}
 * (trigger intent, runs, attributes, operator cancels), {@link dev.weft.store.StatusStore} (status
 * outbox and event log), {@link dev.weft.store.LogStore} (steps and log frames),
 * {@link dev.weft.store.RegistryStore} (repos, cursors, members, collaborators) and
 * {@link dev.weft.store.SecretStore}, {@link dev.weft.store.LeaseStore}, {@link dev.weft.store.ConcurrencyStore}
 * (the concurrency groups' queues), with the read-only {@link dev.weft.store.PipelineQueries} (the ci query methods), gathered by {@link dev.weft.store.Stores}. The interfaces say
 * what weft needs, not how a database does it; the implementation ({@code jdbc}, over
 * {@code sqlite} or {@code postgres}) passes the contract tests written once in {@code StoreContract}. This package depends on nothing above it:
 * wire frames arrive already encoded and are kept as bytes.
 */
package dev.weft.store;
