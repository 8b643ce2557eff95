package dev.weft.cmd.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * {@code weft bench --pg}: a PostgreSQL server of the bench's own, made from the server binaries
 * installed on the machine ({@code initdb}, {@code pg_ctl}, {@code postgres}) in a temporary
 * directory, listening on a free loopback port with trust authentication, and removed on
 * {@link #close} (also from a shutdown hook, so Ctrl-C stops it too). The product jar carries no
 * PostgreSQL binaries: an operator who benchmarks PostgreSQL has its server installed, or passes
 * {@code --db} for one of their own.
 *
 * <p>PostgreSQL refuses to run as root; as root the server runs as the {@code postgres} user that
 * Debian's server package creates ({@code runuser}), owning the temporary directory. The server
 * keeps PostgreSQL's defaults (fsync on), as a production database would.
 */
final class ThrowawayPostgres implements AutoCloseable {
    /** Who the server runs as when the bench runs as root. */
    static final String SERVER_USER = "postgres";
    static final String SUPERUSER = "postgres";

    private final Path dir;
    private final Path bin;
    private final List<String> asUser;
    private final int port;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final Thread hook;

    private ThrowawayPostgres(Path dir, Path bin, List<String> asUser, int port) {
        this.dir = dir;
        this.bin = bin;
        this.asUser = asUser;
        this.port = port;
        this.hook = new Thread(this::stop, "weft-bench-postgres-stop");
    }

    /** Where the server binaries are looked for, in order, besides {@code PATH}. */
    static List<Path> searchPath(Map<String, String> env) {
        List<Path> dirs = new ArrayList<>();
        String path = env.getOrDefault("PATH", "");
        for (String p : path.split(java.io.File.pathSeparator)) if (!p.isEmpty()) dirs.add(Path.of(p));
        dirs.add(Path.of("/usr/local/bin"));
        // Debian and Ubuntu install each major version beside the others; the newest first.
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            versions.map(v -> v.resolve("bin")).filter(Files::isDirectory)
                    .sorted(Comparator.comparing((Path v) -> versionOf(v.getParent().getFileName().toString())).reversed())
                    .forEach(dirs::add);
        } catch (IOException e) {
            // no Debian layout: PATH and /usr/local/bin are all there is
        }
        return dirs;
    }

    private static int versionOf(String name) {
        try {
            return Integer.parseInt(name);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The first directory holding all three server binaries, resolved through symbolic links. */
    static Optional<Path> findBinaries(List<Path> dirs) {
        for (Path d : dirs) {
            Path initdb = d.resolve("initdb");
            if (Files.isExecutable(initdb) && Files.isExecutable(d.resolve("pg_ctl")) && Files.isExecutable(d.resolve("postgres"))) {
                try {
                    // /usr/local/bin/initdb is often a link into /usr/lib/postgresql/N/bin, where
                    // the server finds its share directory relative to itself.
                    return Optional.of(initdb.toRealPath().getParent());
                } catch (IOException e) {
                    // a dangling link: keep looking
                }
            }
        }
        return Optional.empty();
    }

    /** What to tell the user when no server binaries are found. */
    static String notFound(List<Path> searched) {
        return "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found in PATH, /usr/local/bin or "
                + "/usr/lib/postgresql/*/bin (looked in " + searched.size() + " directories): install PostgreSQL's "
                + "server (Debian: apt-get install postgresql) or pass --db postgresql://user@host:port/database";
    }

    /**
     * Initialises and starts a server; the caller owns it and must {@link #close} it.
     *
     * @throws IllegalStateException with the reason (binaries missing, root without a
     *                               {@code postgres} user, the server's own output) when it cannot
     */
    static ThrowawayPostgres start() throws IOException, InterruptedException {
        List<Path> searched = searchPath(System.getenv());
        Path bin = findBinaries(searched).orElseThrow(() -> new IllegalStateException(notFound(searched)));
        Path dir = Files.createTempDirectory("weft-bench-pg");
        List<String> asUser = List.of();
        try {
            if (Integer.valueOf(0).equals(Files.getAttribute(dir, "unix:uid"))) {
                asUser = runAs(dir);
            }
            int port = freePort();
            ThrowawayPostgres pg = new ThrowawayPostgres(dir, bin, asUser, port);
            Runtime.getRuntime().addShutdownHook(pg.hook);
            try {
                pg.initAndStart();
            } catch (IOException | InterruptedException | RuntimeException e) {
                pg.close();
                throw e;
            }
            return pg;
        } catch (IOException | InterruptedException | RuntimeException e) {
            WeftUnderTest.deleteTree(dir);
            throw e;
        }
    }

    /** As root: {@code runuser -u postgres --}, with the directory handed to that user. */
    private static List<String> runAs(Path dir) throws IOException {
        UserPrincipal user;
        try {
            user = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(SERVER_USER);
        } catch (IOException e) {
            throw new IllegalStateException("the bench runs as root, which PostgreSQL refuses, and there is no '"
                    + SERVER_USER + "' user to run the server as: install Debian's postgresql package (which creates it), "
                    + "run the bench as another user, or pass --db postgresql://user@host:port/database");
        }
        Path runuser = Stream.of("/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser").map(Path::of)
                .filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new IllegalStateException("the bench runs as root, which PostgreSQL refuses, and "
                        + "runuser (util-linux) is missing to run the server as '" + SERVER_USER + "': run the bench as "
                        + "another user or pass --db postgresql://user@host:port/database"));
        Files.setOwner(dir, user);
        return List.of(runuser.toString(), "-u", SERVER_USER, "--");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private Path data() {
        return dir.resolve("data");
    }

    private void initAndStart() throws IOException, InterruptedException {
        run(List.of(bin.resolve("initdb").toString(), "-D", data().toString(), "-U", SUPERUSER, "-A", "trust",
                "-E", "UTF8", "--no-locale", "--no-sync"), 120);
        // Loopback only, and the socket file in our directory rather than /var/run/postgresql,
        // which may not exist or belong to an installed server.
        Files.writeString(data().resolve("postgresql.conf"), "\n# weft bench\nlisten_addresses = '127.0.0.1'\nport = "
                + port + "\nunix_socket_directories = '" + dir + "'\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);
        run(List.of(bin.resolve("pg_ctl").toString(), "start", "-D", data().toString(), "-w", "-t", "60",
                "-l", dir.resolve("server.log").toString()), 90);
    }

    /** Runs one of the server's tools (as the server's user) and fails with its output. */
    private void run(List<String> command, int seconds) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(asUser);
        full.addAll(command);
        Path out = Files.createTempFile("weft-bench-pg", ".out");
        try {
            Process p = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(Path.of(command.get(0)).getFileName() + " did not finish in " + seconds
                        + " s: " + tail(out));
            }
            if (p.exitValue() != 0) {
                String log = Files.isRegularFile(dir.resolve("server.log")) ? "; server log: " + tail(dir.resolve("server.log")) : "";
                throw new IllegalStateException(String.join(" ", command) + " exited " + p.exitValue() + ": " + tail(out) + log);
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size())).strip();
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    int port() {
        return port;
    }

    /** Creates an empty database and returns its {@code WEFT_DB} URL. */
    String createDatabase(String name) {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", SUPERUSER, "");
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name + " on the bench's PostgreSQL: " + e.getMessage(), e);
        }
        return "postgresql://" + SUPERUSER + "@127.0.0.1:" + port + "/" + name;
    }

    /** A short description for the bench's output. */
    String describe() {
        return "a throw-away PostgreSQL from " + bin + " on 127.0.0.1:" + port + (asUser.isEmpty() ? "" : " (run as "
                + SERVER_USER + ")");
    }

    private void stop() {
        if (!stopped.compareAndSet(false, true)) return;
        if (!Files.exists(data().resolve("postmaster.pid"))) {
            WeftUnderTest.deleteTree(dir); // never started
            return;
        }
        try {
            run(List.of(bin.resolve("pg_ctl").toString(), "stop", "-D", data().toString(), "-m", "fast", "-w", "-t", "30"), 40);
        } catch (IOException | RuntimeException e) {
            try {
                run(List.of(bin.resolve("pg_ctl").toString(), "stop", "-D", data().toString(), "-m", "immediate", "-w"), 20);
            } catch (IOException | RuntimeException | InterruptedException again) {
                System.err.println("weft bench: could not stop the bench's PostgreSQL in " + dir + ": " + again.getMessage());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            WeftUnderTest.deleteTree(dir);
        }
    }

    /** Stops the server (fast shutdown: open sessions are ended) and deletes its directory. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook is running or about to, and stop() runs once
        }
        stop();
    }
}
