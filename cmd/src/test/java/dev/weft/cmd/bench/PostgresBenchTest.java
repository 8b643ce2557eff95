package dev.weft.cmd.bench;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code weft bench --pg / --db}: finding the server binaries, and the flags' usage errors. */
class PostgresBenchTest {
    @TempDir
    Path dir;

    private Path executable(Path d, String name) throws Exception {
        Files.createDirectories(d);
        Path f = d.resolve(name);
        Files.writeString(f, "#!/bin/sh\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
        return f;
    }

    @Test
    @DisplayName("the server binaries are taken from the first directory holding all three, through links, else a message says what to do")
    void findsServerBinaries() throws Exception {
        Path partial = dir.resolve("partial");
        executable(partial, "initdb");
        executable(partial, "pg_ctl");
        Path real = dir.resolve("lib/postgresql/15/bin");
        for (String n : List.of("initdb", "pg_ctl", "postgres")) executable(real, n);
        Path links = dir.resolve("local-bin");
        Files.createDirectories(links);
        for (String n : List.of("initdb", "pg_ctl", "postgres")) Files.createSymbolicLink(links.resolve(n), real.resolve(n));

        assertEquals(Optional.of(real.toRealPath()), ThrowawayPostgres.findBinaries(List.of(partial, dir.resolve("absent"), links)),
                "a link into the versioned directory resolves to it, where the server finds its share files");
        assertEquals(Optional.empty(), ThrowawayPostgres.findBinaries(List.of(partial)));
        String why = ThrowawayPostgres.notFound(List.of(partial));
        assertTrue(why.contains("install PostgreSQL's server") && why.contains("--db postgresql://"), why);
        List<Path> searched = ThrowawayPostgres.searchPath(Map.of("PATH", partial + ":" + links));
        assertEquals(List.of(partial, links, Path.of("/usr/local/bin")), searched.subList(0, 3), "PATH first, then /usr/local/bin");
    }

    @Test
    @DisplayName("--db takes only a PostgreSQL URL, and --pg/--db need the pending scenario")
    void usageErrors() {
        assertEquals(2, bench("pending", "--db", "weft.db"));
        assertTrue(err.contains("--db takes a PostgreSQL URL"), err);
        assertEquals(2, bench("pending", "--db"));
        assertTrue(err.contains("--db needs a postgresql:// URL"), err);
        assertEquals(2, bench("logs", "--pg"));
        assertTrue(err.contains("apply to the pending scenario only"), err);
        assertEquals(2, bench("logs", "--db=postgresql://weft@127.0.0.1:1/x"));
        assertTrue(err.contains("apply to the pending scenario only"), err);
    }

    private String err = "";

    private int bench(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = Bench.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8));
        err = e.toString(StandardCharsets.UTF_8);
        return code;
    }
}
