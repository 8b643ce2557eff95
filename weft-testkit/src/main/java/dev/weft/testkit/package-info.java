/**
 * The provider test kit ({@code dev.weft:weft-testkit}): what a provider plugin's own tests use.
 * Its API speaks only the plugin contract's types ({@link dev.weft.spi}, {@link dev.weft.model},
 * Micrometer), so weft's runtime can change without breaking a provider's tests. It brings JUnit
 * Jupiter and Awaitility with it (compile scope), so one test-scope dependency is enough:
 *
 * <pre>{@code
 * <dependency>
 *   <groupId>dev.weft</groupId><artifactId>weft-testkit</artifactId>
 *   <version>${weft.version}</version><scope>test</scope>
 * </dependency>
 * }</pre>
 *
 * <h2>How to test your provider</h2>
 * <ol>
 *   <li>The contract: extend {@link dev.weft.testkit.ProviderCompatibilityKit} with your factory,
 *       three workflows (one that succeeds, one that fails, one that runs until cancelled) and the
 *       environment that points your provider at a fake backend. It checks status order, the
 *       appview's log contract, cancel, timeout, restart and that {@code close()} leaves no thread.
 *   <li>Your own end-to-end scenarios: {@link dev.weft.testkit.ProviderHarness} runs your provider
 *       inside a real weft (SQLite in a temporary directory, the server on loopback with your
 *       webhook routes), submits triggers directly and reads back statuses and {@code /logs} frames.
 *   <li>Your provider's parts without a runtime: {@link dev.weft.testkit.FakeRun} is an in-memory
 *       {@link dev.weft.spi.Run} that enforces the status state machine and records the log.
 * </ol>
 *
 * <pre>{@code
 * class MineCompatibilityTest extends ProviderCompatibilityKit {
 *     MockWebServer backend;
 *     @Override protected void setUpBackend() throws Exception { backend = new MockWebServer(); backend.start(); }
 *     @Override protected void tearDownBackend() { backend.close(); }
 *     @Override protected ProviderFactory factory() { return new MineProviderFactory(); }
 *     @Override protected Map<String, String> env() { return Map.of("WEFT_MINE_API", backend.url("/").toString()); }
 *     @Override protected String succeedingWorkflow() { return "engine: mine\nmine: {job: pass}\n"; }
 *     @Override protected String failingWorkflow() { return "engine: mine\nmine: {job: fail}\n"; }
 *     @Override protected String longRunningWorkflow() { return "engine: mine\nmine: {job: hang}\n"; }
 * }
 *
 * @Test
 * void webhookFinishesTheRun() throws Exception {
 *     try (ProviderHarness h = ProviderHarness.builder(new MineProviderFactory())
 *             .env("WEFT_MINE_API", backend.url("/").toString()).start()) {
 *         ProviderHarness.TestRun r = h.push("ci.yml", "engine: mine\nmine: {job: pass}\n");
 *         r.awaitState(RunState.RUNNING);
 *         post(h.baseUrl() + "/hooks/mine", "{\"job\": \"" + r.run().externalId().orElseThrow() + "\", \"state\": \"passed\"}");
 *         assertEquals(RunState.SUCCESS, r.awaitTerminal().state());
 *         ProviderCompatibilityKit.assertLogContract(r.logFrames());
 *     }
 * }
 * }</pre>
 *
 * <p>{@link dev.weft.testkit.LiveThreads} lists live threads, virtual ones included, for checks of
 * your own that nothing outlives {@code close()}.
 */
package dev.weft.testkit;
