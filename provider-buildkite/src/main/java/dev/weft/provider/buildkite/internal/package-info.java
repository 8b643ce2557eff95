/**
 * The Buildkite provider's parts, each small and tested on its own: {@link
 * dev.weft.provider.buildkite.internal.BuildkiteClient} (REST, rate limited per organization),
 * {@link dev.weft.provider.buildkite.internal.WebhookVerifier}, {@link
 * dev.weft.provider.buildkite.internal.StateMapper}, {@link
 * dev.weft.provider.buildkite.internal.LogDecoder} and {@link
 * dev.weft.provider.buildkite.internal.JobLogWriter} (log bytes to Tangled steps), {@link
 * dev.weft.provider.buildkite.internal.DispatchBody} (the create-build body), and {@link
 * dev.weft.provider.buildkite.internal.BuildWatcher}, which drives one run. Not API.
 */
package dev.weft.provider.buildkite.internal;
