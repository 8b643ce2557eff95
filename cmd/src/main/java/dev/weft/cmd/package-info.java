/** The {@code weft} command: serve, demo, wire-check, bench. */
package dev.weft.cmd;
