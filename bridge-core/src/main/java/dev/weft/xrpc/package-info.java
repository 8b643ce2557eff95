/**
 * The XRPC methods weft serves to the appview: repo secrets and pipeline cancel (spec section 7,
 * {@link dev.weft.xrpc.NetworkXrpc}), and the {@code sh.tangled.ci.*} methods that trigger and
 * describe pipelines (spec tangled-ci 3.4, 3.6, 3.8, {@link dev.weft.xrpc.CiXrpc}). Mutations sit
 * behind service-auth JWTs ({@link dev.weft.auth.ServiceAuth}) and the repo owner/collaborator rule;
 * the checks, tags and Go-encoded answers they share are in {@code XrpcCalls}.
 */
package dev.weft.xrpc;
