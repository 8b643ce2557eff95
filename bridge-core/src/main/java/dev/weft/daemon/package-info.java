/**
 * Assembly: wires discovery, knot consumers, runs, providers, status publication and the server
 * into one daemon, in the order that keeps every trigger safe (store first, server and knots last).
 */
package dev.weft.daemon;
