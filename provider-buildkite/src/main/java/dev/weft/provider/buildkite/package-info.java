/**
 * Runs Tangled workflows whose {@code engine} is {@code buildkite} as Buildkite builds. The only
 * public type is {@link dev.weft.provider.buildkite.BuildkiteProviderFactory}, found through
 * {@code META-INF/services}; everything else lives in {@code .internal}.
 */
package dev.weft.provider.buildkite;
