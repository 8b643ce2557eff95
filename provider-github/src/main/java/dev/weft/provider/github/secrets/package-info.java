/** Part of the GitHub provider; not an API. Encryption of Actions secrets for GitHub's secrets API. */
package dev.weft.provider.github.secrets;
