/** Part of the GitHub provider; not an API. */
package dev.weft.provider.github.webhook;
