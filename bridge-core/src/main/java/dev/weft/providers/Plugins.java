package dev.weft.providers;

import dev.weft.notify.NotifierFactory;
import dev.weft.spi.ProviderConfigException;
import dev.weft.spi.ProviderFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Function;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;

/**
 * The provider and notifier factories weft runs with: those on weft's own class path and those in
 * the plugin jars of {@code WEFT_PLUGINS_DIR}. Every {@code *.jar} there is opened by one class
 * loader whose parent is weft's, so a plugin sees the SPI ({@code dev.weft.spi},
 * {@code dev.weft.notify}, {@code dev.weft.model}) and weft's libraries as weft loaded them, and
 * {@link ServiceLoader} finds built-in and plugin factories in one lookup.
 *
 * <p>A broken plugin stops start-up with every problem named at once (a {@code .jar} that is not a
 * zip, a service entry whose class is missing or whose constructor throws): an operator who
 * dropped a jar expects its engine to be served, and a daemon that starts without it would only
 * fail that engine's workflows later, one by one. Two factories claiming one engine are refused
 * the same way, by {@link ProviderRegistry#create}. Files not ending in {@code .jar} are ignored.
 *
 * <p>The owner closes it after the providers and notifiers it made are closed.
 */
public final class Plugins implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Plugins.class);
    static final String PROVIDER_SERVICE = "META-INF/services/" + ProviderFactory.class.getName();
    static final String NOTIFIER_SERVICE = "META-INF/services/" + NotifierFactory.class.getName();
    /** A lookup that fails on every entry cannot loop for ever. */
    private static final int MAX_SERVICE_ERRORS = 100;

    private final Loader loader;
    private final List<ProviderFactory> providers;
    private final List<NotifierFactory> notifiers;

    private Plugins(Loader loader, List<ProviderFactory> providers, List<NotifierFactory> notifiers) {
        this.loader = loader;
        this.providers = List.copyOf(providers);
        this.notifiers = List.copyOf(notifiers);
    }

    /**
     * Opens the jars of {@code dir} (none when it does not exist) over {@code parent} and finds every
     * provider and notifier factory, logging each plugin jar and what it provides.
     *
     * @throws ProviderConfigException naming every broken jar and factory
     */
    public static Plugins load(Path dir, ClassLoader parent) throws ProviderConfigException {
        List<Path> jars = jarsIn(dir);
        List<String> problems = new ArrayList<>();
        Map<Path, List<String>> declared = new LinkedHashMap<>();
        for (Path jar : jars) {
            try {
                declared.put(jar, declaredClasses(jar));
            } catch (IOException e) {
                problems.add("plugin " + jar + ": not a readable jar (zip) file: " + e.getMessage());
                log.error("plugin {}: not a readable jar (zip) file: {}", jar, e.toString());
            }
        }
        if (!problems.isEmpty()) throw new ProviderConfigException(problems);
        Loader loader = new Loader(declared.keySet(), parent);
        List<ProviderFactory> providers = find(ProviderFactory.class, loader, declared, problems);
        List<NotifierFactory> notifiers = find(NotifierFactory.class, loader, declared, problems);
        if (!problems.isEmpty()) {
            closeQuietly(loader);
            throw new ProviderConfigException(problems);
        }
        Plugins plugins = new Plugins(loader, providers, notifiers);
        plugins.logJars(dir, declared.keySet());
        return plugins;
    }

    /** No plugin jars: the factories on {@code loader}'s class path only. */
    public static Plugins builtIn(ClassLoader loader) {
        try {
            return load(null, loader);
        } catch (ProviderConfigException e) {
            // Weft's own jars list no broken service; a class path that does is a build defect.
            throw new IllegalStateException("built-in factories: " + e.getMessage(), e);
        }
    }

    /** Built-in and plugin provider factories, in class-path order (built-in first). */
    public List<ProviderFactory> providerFactories() {
        return providers;
    }

    /** Built-in and plugin notifier factories. */
    public List<NotifierFactory> notifierFactories() {
        return notifiers;
    }

    /** The plugin jars loaded, in name order. */
    public List<Path> jars() {
        return loader.jars;
    }

    /** Where a factory's class came from, for log lines and errors: a plugin jar's name, or "built in". */
    public static String origin(Class<?> type) {
        return type.getClassLoader() instanceof Loader l ? "plugin " + l.jarOf(type) : "built in";
    }

    /** Closes the plugin class loader (its open jar files); call after their providers are closed. */
    @Override
    public void close() {
        closeQuietly(loader);
    }

    private void logJars(Path dir, Iterable<Path> jars) {
        boolean any = false;
        for (Path jar : jars) {
            any = true;
            List<String> engines = providers.stream().filter(f -> jar.equals(loader.pathOf(f.getClass())))
                    .map(f -> safe(ProviderFactory::engine, f)).toList();
            List<String> kinds = notifiers.stream().filter(f -> jar.equals(loader.pathOf(f.getClass())))
                    .map(f -> safe(NotifierFactory::name, f)).toList();
            if (engines.isEmpty() && kinds.isEmpty()) {
                log.warn("plugin {}: provides no provider or notifier (no {} or {} entry)", jar.getFileName(),
                        PROVIDER_SERVICE, NOTIFIER_SERVICE);
            } else {
                log.info("plugin {}: engines {}, notifiers {}", jar.getFileName(), engines, kinds);
            }
        }
        if (!any && dir != null) {
            log.info("plugins: no jar in {}{}", dir.toAbsolutePath(), Files.isDirectory(dir) ? "" : " (no such directory)");
        }
    }

    private static <F> String safe(Function<F, String> name, F f) {
        try {
            return name.apply(f);
        } catch (RuntimeException e) {
            // ProviderRegistry reports it with the rest of the provider's problems.
            return f.getClass().getName() + " (name failed: " + e + ")";
        }
    }

    private static List<Path> jarsIn(Path dir) throws ProviderConfigException {
        if (dir == null || !Files.exists(dir)) return List.of();
        if (!Files.isDirectory(dir)) {
            throw new ProviderConfigException(List.of("WEFT_PLUGINS_DIR: " + dir + " is not a directory"));
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".jar") && !Files.isDirectory(p))
                    .map(p -> p.toAbsolutePath().normalize()).sorted().toList();
        } catch (IOException e) {
            throw new ProviderConfigException(List.of("WEFT_PLUGINS_DIR: cannot list " + dir + ": " + e.getMessage()));
        }
    }

    /** The factory classes a jar lists in its service files; opening it also proves it is a zip. */
    private static List<String> declaredClasses(Path jar) throws IOException {
        List<String> out = new ArrayList<>();
        try (JarFile j = new JarFile(jar.toFile())) {
            for (String service : List.of(PROVIDER_SERVICE, NOTIFIER_SERVICE)) {
                ZipEntry e = j.getEntry(service);
                if (e == null) continue;
                try (BufferedReader r = new BufferedReader(new InputStreamReader(j.getInputStream(e), StandardCharsets.UTF_8))) {
                    r.lines().map(l -> l.replaceAll("#.*", "").strip()).filter(l -> !l.isEmpty()).forEach(out::add);
                }
            }
        }
        return out;
    }

    private static <S> List<S> find(Class<S> type, Loader loader, Map<Path, List<String>> declared, List<String> problems) {
        List<S> out = new ArrayList<>();
        Iterator<S> it = ServiceLoader.load(type, loader).iterator();
        int errors = 0;
        while (errors < MAX_SERVICE_ERRORS) {
            try {
                if (!it.hasNext()) break;
                out.add(it.next());
            } catch (ServiceConfigurationError | LinkageError e) {
                errors++;
                String where = blame(e, declared);
                String problem = where + ": " + type.getSimpleName() + " could not be loaded: " + describe(e);
                problems.add(problem);
                log.error("{}", problem, e);
            }
        }
        return out;
    }

    /** The jar whose service file names the class the error is about, when one does. */
    private static String blame(Throwable e, Map<Path, List<String>> declared) {
        String text = String.valueOf(e.getMessage());
        for (Map.Entry<Path, List<String>> jar : declared.entrySet()) {
            for (String cls : jar.getValue()) {
                if (text.contains(cls)) return "plugin " + jar.getKey();
            }
        }
        return "plugins";
    }

    private static String describe(Throwable e) {
        StringBuilder b = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            b.append(" (caused by ").append(c).append(')');
        }
        return b.toString();
    }

    private static void closeQuietly(Loader loader) {
        try {
            loader.close();
        } catch (IOException e) {
            log.warn("closing the plugin class loader failed: {}", e.toString());
        }
    }

    /** One class loader over every plugin jar; it knows which jar a class came from. */
    private static final class Loader extends URLClassLoader {
        final List<Path> jars;

        Loader(Iterable<Path> jars, ClassLoader parent) {
            super("weft-plugins", urls(jars), parent);
            List<Path> all = new ArrayList<>();
            jars.forEach(all::add);
            this.jars = List.copyOf(all);
        }

        private static URL[] urls(Iterable<Path> jars) {
            List<URL> out = new ArrayList<>();
            for (Path p : jars) {
                try {
                    out.add(p.toUri().toURL());
                } catch (MalformedURLException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return out.toArray(URL[]::new);
        }

        Path pathOf(Class<?> type) {
            if (type.getClassLoader() != this) return null;
            var source = type.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null) return null;
            try {
                return Path.of(source.getLocation().toURI()).toAbsolutePath().normalize();
            } catch (Exception e) {
                return null;
            }
        }

        String jarOf(Class<?> type) {
            Path p = pathOf(type);
            return p == null ? "(unknown jar)" : p.getFileName().toString();
        }
    }
}
