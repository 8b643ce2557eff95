/**
 * The workflow compiler: upgraded Tangled knots no longer send pipelines, so weft reads the
 * {@code .tangled/workflows/*} files of the pushed commit and decides itself which workflows run
 * (spec tangled-ci 2.6). Pure and I/O-free: the files arrive already fetched, the result is a value
 * the intake turns into a stored trigger. Also the fingerprint that
 * {@code sh.tangled.ci.describeWorkflowDefinition} serves (3.6).
 *
 * <p>The files come from the repository, so from anyone who can push: parsing is bounded in size,
 * count, nesting and aliases, and a file that cannot be read is reported, never dropped and never
 * thrown.
 */
package dev.weft.pipelines;
