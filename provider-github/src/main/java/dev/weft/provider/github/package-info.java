/**
 * The {@code github} engine: Tangled workflows dispatched to GitHub Actions, correlated, observed
 * and cancellable. Only {@link dev.weft.provider.github.GitHubProviderFactory} is public; the rest
 * is the provider's own: settings, the workflow block, commit wait, dispatch, correlation, the run
 * tracker and the step mirror.
 */
package dev.weft.provider.github;
