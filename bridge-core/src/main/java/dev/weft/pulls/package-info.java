/**
 * Pull requests: turns {@code sh.tangled.repo.pull} and {@code sh.tangled.repo.pull.status} records
 * from the Jetstream into pull-request triggers ({@link dev.weft.pulls.PullRequestEvent}), after the
 * checks the rewritten spindle makes (spec tangled-ci 2.4): live events only, branch PRs on a
 * registered repo, authors with push rights, and the head commit read from the last round's patch.
 *
 * <p>{@link dev.weft.pulls.PullRecords} is the entry point; {@link dev.weft.pulls.PdsPatchSource}
 * reads what it needs from the PR author's PDS, which is a host a stranger chooses, so every read is
 * bounded in time and bytes and refused on private and special-purpose addresses.
 */
package dev.weft.pulls;
