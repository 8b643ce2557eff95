/**
 * Reading a repo's workflow files at one commit over git smart HTTP.
 *
 * <p>An upgraded knot no longer builds pipelines: it sends {@code sh.tangled.git.refUpdate} and the
 * spindle reads {@code .tangled/workflows} at the new commit itself (spec 2.5). Upstream shells out
 * to a recent {@code git} binary; weft must not depend on what the operator has installed, so
 * {@link dev.weft.git.WorkflowFetcher} uses JGit, fetches only the pushed commit (depth 1) into a
 * small bare repository per repo DID, and reads the directory's regular files with size checks made
 * on the object database before any blob is loaded. The knot is remote input: it may be down, slow,
 * broken or hostile, so every outcome is a {@link dev.weft.git.WorkflowFetchException.Failure} the
 * operator can see, never a hang or an unbounded allocation.
 *
 * <p>{@link dev.weft.git.GitHttpServer} is the other end: a tiny loopback smart-HTTP server for
 * tests and for the embedded demo knot.
 */
package dev.weft.git;
