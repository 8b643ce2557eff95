/**
 * The authenticated XRPC methods weft serves to the appview (spec section 7): repo secrets and
 * pipeline cancel, behind service-auth JWTs ({@link dev.weft.auth.ServiceAuth}) and the repo
 * owner/collaborator rule. See {@link dev.weft.xrpc.NetworkXrpc} for the exact answers.
 */
package dev.weft.xrpc;
