/**
 * The provider test kit, shipped in bridge-core's test-jar: {@link dev.weft.testkit.ProviderHarness}
 * runs a provider inside a real weft runtime (SQLite, Netty on loopback), and
 * {@link dev.weft.testkit.ProviderCompatibilityKit} is the SPI contract every provider's tests extend.
 */
package dev.weft.testkit;
