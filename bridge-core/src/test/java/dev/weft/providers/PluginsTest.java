package dev.weft.providers;

import com.fasterxml.jackson.core.TreeNode;
import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.config.WeftConfig;
import dev.weft.daemon.Weft;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.RunState;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import dev.weft.model.WorkflowId;
import dev.weft.spi.ProviderConfigException;
import dev.weft.spi.ProviderFactory;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code WEFT_PLUGINS_DIR}: plugin jars built here from source (javax.tools), so their classes are
 * nowhere on the test class path and can only come from the jar.
 */
class PluginsTest {
    private static final String OWNER = "did:plc:pluginowner";

    @TempDir
    Path tmp;

    /** A provider whose runs succeed at once, its factory in package {@code plug}. */
    private static String factory(String cls, String engine, String constructorBody) {
        return """
                package plug;
                public final class %1$s implements dev.weft.spi.ProviderFactory {
                    public %1$s() { %3$s }
                    @Override public String engine() { return "%2$s"; }
                    @Override public dev.weft.spi.Provider create(dev.weft.spi.ProviderContext context) {
                        return new dev.weft.spi.Provider() {
                            @Override public void spawn(dev.weft.spi.Run run) {
                                run.status().running();
                                dev.weft.spi.Step s = run.log().startStep("hello", "echo hello");
                                s.out("hello from a plugin jar");
                                s.end();
                                run.status().success();
                            }
                            @Override public void close() {
                            }
                        };
                    }
                }
                """.formatted(cls, engine, constructorBody);
    }

    /** Compiles {@code sources} (class name to source) and jars them with a provider services file. */
    private Path pluginJar(String jarName, Map<String, String> sources) throws IOException {
        return pluginJar(jarName, sources, Map.of(Plugins.PROVIDER_SERVICE, List.copyOf(sources.keySet())));
    }

    /** Compiles {@code sources} and jars them with the given service files (entry to class names). */
    private Path pluginJar(String jarName, Map<String, String> sources, Map<String, List<String>> services) throws IOException {
        Path src = Files.createTempDirectory(tmp, "src");
        Path classes = Files.createTempDirectory(tmp, "classes");
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-classpath", spiClassPath(), "-proc:none"));
        for (Map.Entry<String, String> e : sources.entrySet()) {
            Path file = src.resolve(e.getKey() + ".java");
            Files.writeString(file, e.getValue());
            args.add(file.toString());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int rc = javac.run(null, errors, errors, args.toArray(String[]::new));
        assertEquals(0, rc, () -> "plugin source did not compile: " + errors.toString(StandardCharsets.UTF_8));
        Path jar = tmp.resolve("plugins").resolve(jarName);
        Files.createDirectories(jar.getParent());
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
            for (Map.Entry<String, List<String>> service : services.entrySet()) {
                j.putNextEntry(new JarEntry(service.getKey()));
                j.write((String.join("\n", service.getValue().stream().map(c -> "plug." + c).toList()) + "\n")
                        .getBytes(StandardCharsets.UTF_8));
                j.closeEntry();
            }
            try (Stream<Path> files = Files.walk(classes)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    j.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                    j.write(Files.readAllBytes(f));
                    j.closeEntry();
                }
            }
        }
        return jar;
    }

    /** What a plugin compiles against: the SPI and the libraries its signatures name. */
    private static String spiClassPath() {
        List<String> out = new ArrayList<>();
        for (Class<?> c : List.of(ProviderFactory.class, JsonNode.class, TreeNode.class, MeterRegistry.class)) {
            try {
                out.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return String.join(java.io.File.pathSeparator, out);
    }

    private Path pluginsDir() {
        return tmp.resolve("plugins");
    }

    private WeftConfig config(Path pluginsDir) throws WeftConfig.InvalidConfigException {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("WEFT_HOSTNAME", "weft.test");
        env.put("WEFT_OWNER_DID", OWNER);
        env.put("WEFT_LISTEN", "127.0.0.1:0");
        env.put("WEFT_DB", tmp.resolve("weft.db").toString());
        env.put("WEFT_REPOS", "knot.test/" + OWNER + "/repo");
        env.put("WEFT_FIRST_STATUS_DELAY", "0s");
        env.put("WEFT_STATUS_GAP", "0s");
        env.put("WEFT_JETSTREAM", "off");
        if (pluginsDir != null) env.put("WEFT_PLUGINS_DIR", pluginsDir.toString());
        return WeftConfig.from(env);
    }

    @Test
    @DisplayName("weft serves the engine of a jar dropped into WEFT_PLUGINS_DIR and runs its workflows")
    void servesPluginEngine() throws Exception {
        pluginJar("echo.jar", Map.of("EchoFactory", factory("EchoFactory", "echo", "")));
        Files.writeString(pluginsDir().resolve("README.txt"), "not a jar: ignored");
        try (Weft weft = Weft.builder(config(pluginsDir())).consumeKnots(false).start()) {
            assertTrue(weft.engines().contains("echo"), "engines: " + weft.engines());
            PipelineId pipeline = new PipelineId("knot.test", "3kplugin2aaaa");
            Workflow w = new Workflow("ci.yml", "echo", null, "engine: echo\n");
            weft.runs().accept(new Trigger(pipeline, new RepoRef("knot.test", OWNER, "repo"),
                    new TriggerKind.Push("refs/heads/main", "a".repeat(40), "0".repeat(40)), List.of(w), Instant.now()));
            WorkflowId id = new WorkflowId(pipeline, "ci.yml");
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    weft.store().runs().run(id).map(r -> r.state() == RunState.SUCCESS).orElse(false));
            long runId = weft.store().runs().run(id).orElseThrow().id();
            String log = new String(weft.store().logs().after(runId, 0, 100).get(1).frame(), StandardCharsets.UTF_8);
            assertTrue(log.contains("hello from a plugin jar"), log);
        }
    }

    @Test
    @DisplayName("each factory is told apart by where it came from: the plugin jar, or built in")
    void origin() throws Exception {
        pluginJar("echo.jar", Map.of("EchoFactory", factory("EchoFactory", "echo", "")));
        try (Plugins plugins = Plugins.load(pluginsDir(), getClass().getClassLoader())) {
            assertEquals(List.of(pluginsDir().resolve("echo.jar").toAbsolutePath()), plugins.jars());
            ProviderFactory echo = plugins.providerFactories().stream().filter(f -> f.engine().equals("echo"))
                    .findFirst().orElseThrow();
            assertEquals("plugin echo.jar", Plugins.origin(echo.getClass()));
            assertEquals("built in", Plugins.origin(getClass()));
            // Weft's own webhook and Slack notifiers are found through the same loader.
            assertTrue(plugins.notifierFactories().size() >= 2, plugins.notifierFactories().toString());
        }
    }

    @Test
    @DisplayName("one jar may hold a provider and a notifier; both are found")
    void providerAndNotifier() throws Exception {
        String pager = """
                package plug;
                public final class PagerFactory implements dev.weft.notify.NotifierFactory {
                    @Override public String name() { return "pager"; }
                    @Override public java.util.Optional<dev.weft.notify.Notifier> create(dev.weft.notify.NotifierContext c) {
                        return java.util.Optional.empty();
                    }
                }
                """;
        pluginJar("both.jar", Map.of("EchoFactory", factory("EchoFactory", "echo", ""), "PagerFactory", pager),
                Map.of(Plugins.PROVIDER_SERVICE, List.of("EchoFactory"), Plugins.NOTIFIER_SERVICE, List.of("PagerFactory")));
        try (Plugins plugins = Plugins.load(pluginsDir(), getClass().getClassLoader())) {
            var notifier = plugins.notifierFactories().stream().filter(f -> f.name().equals("pager")).findFirst().orElseThrow();
            assertEquals("plugin both.jar", Plugins.origin(notifier.getClass()));
            assertTrue(plugins.providerFactories().stream().anyMatch(f -> f.engine().equals("echo")));
        }
    }

    @Test
    @DisplayName("no plugins directory is no plugins; a WEFT_PLUGINS_DIR that is a file is refused")
    void missingOrFile() throws Exception {
        try (Plugins none = Plugins.load(tmp.resolve("absent"), getClass().getClassLoader())) {
            assertEquals(List.of(), none.jars());
        }
        Path file = Files.writeString(tmp.resolve("plugins.txt"), "x");
        ProviderConfigException e = assertThrows(ProviderConfigException.class,
                () -> Plugins.load(file, getClass().getClassLoader()));
        assertTrue(e.getMessage().contains("WEFT_PLUGINS_DIR: " + file + " is not a directory"), e.getMessage());
    }

    @Test
    @DisplayName("the default plugins directory is beside a SQLite database")
    void defaultBesideDatabase() throws Exception {
        assertEquals(tmp.resolve("plugins").toAbsolutePath(), config(null).pluginsDir().toAbsolutePath());
    }

    @Test
    @DisplayName("a .jar that is not a zip stops start-up naming the file, before the database opens")
    void notAZip() throws Exception {
        Files.createDirectories(pluginsDir());
        Files.writeString(pluginsDir().resolve("broken.jar"), "this is not a zip file");
        ProviderConfigException e = assertThrows(ProviderConfigException.class,
                () -> Weft.builder(config(pluginsDir())).consumeKnots(false).start());
        assertTrue(e.getMessage().contains("broken.jar: not a readable jar (zip) file"), e.getMessage());
        assertTrue(Files.notExists(tmp.resolve("weft.db")), "nothing was opened");
    }

    @Test
    @DisplayName("a factory whose constructor throws stops start-up naming the jar and the class")
    void factoryThrows() throws Exception {
        pluginJar("angry.jar", Map.of("AngryFactory", factory("AngryFactory", "angry",
                "throw new IllegalStateException(\"no licence key\");")));
        ProviderConfigException e = assertThrows(ProviderConfigException.class,
                () -> Plugins.load(pluginsDir(), getClass().getClassLoader()));
        assertTrue(e.getMessage().contains("angry.jar") && e.getMessage().contains("plug.AngryFactory")
                && e.getMessage().contains("no licence key"), e.getMessage());
    }

    @Test
    @DisplayName("two jars claiming one engine stop start-up naming both")
    void duplicateEngine() throws Exception {
        pluginJar("one.jar", Map.of("OneFactory", factory("OneFactory", "echo", "")));
        pluginJar("two.jar", Map.of("TwoFactory", factory("TwoFactory", "echo", "")));
        ProviderConfigException e = assertThrows(ProviderConfigException.class,
                () -> Weft.builder(config(pluginsDir())).consumeKnots(false).start());
        assertTrue(e.getMessage().contains("two providers claim engine \"echo\": plug.OneFactory, plugin one.jar and "
                + "plug.TwoFactory, plugin two.jar"), e.getMessage());
    }
}
