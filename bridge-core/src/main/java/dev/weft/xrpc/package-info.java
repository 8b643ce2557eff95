/**
 * The XRPC methods weft serves to the appview: repo secrets and the legacy pipeline cancel (spec
 * section 7, {@link dev.weft.xrpc.NetworkXrpc}), the {@code sh.tangled.ci.*} methods that trigger and
 * describe pipelines (spec tangled-ci 3.4, 3.6, 3.8, {@link dev.weft.xrpc.CiXrpc}), and
 * {@code sh.tangled.ci.cancelPipeline} with its pre-rename alias (spec tangled-ci 3.5, 3.8,
 * {@link dev.weft.xrpc.CiCancelXrpc}). Mutations sit
 * behind service-auth JWTs ({@link dev.weft.auth.ServiceAuth}) and the repo owner/collaborator rule;
 * the checks, tags and Go-encoded answers they share are in {@code XrpcCalls}.
 */
package dev.weft.xrpc;
