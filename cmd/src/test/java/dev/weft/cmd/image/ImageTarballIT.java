package dev.weft.cmd.image;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The image tarball {@code ./mvnw package} wrote (cmd/target/weft-image.tar), read as
 * {@code docker load} would: a broken image fails the build here rather than on an operator's
 * machine.
 */
class ImageTarballIT {
    static OciTarball image;

    @BeforeAll
    static void read() throws Exception {
        Path tar = Path.of(System.getProperty("weft.image.tar", "target/weft-image.tar"));
        assertTrue(Files.isRegularFile(tar), "no image tarball at " + tar.toAbsolutePath());
        image = new OciTarball(tar);
    }

    @Test
    @DisplayName("manifest: one image, tagged weft:<version>, whose config and layers are in the tarball")
    void manifest() {
        assertEquals(1, image.manifest.size());
        JsonNode m = image.manifest.get(0);
        assertTrue(m.path("RepoTags").get(0).asText().startsWith("weft:"), m.toString());
        assertEquals(3, m.path("Layers").size(), "base, jre and weft layers: " + m);
    }

    @Test
    @DisplayName("layers: their uncompressed digests are the config's diff_ids, in order")
    void diffIds() {
        JsonNode ids = image.config.path("rootfs").path("diff_ids");
        assertEquals(image.layers.size(), ids.size());
        for (int i = 0; i < ids.size(); i++) assertEquals(ids.get(i).asText(), image.layers.get(i).diffId(), "layer " + i);
    }

    @Test
    @DisplayName("config: java -jar weft.jar serve, as user 65532, port 6555, volume /data, the shared JVM options")
    void config() {
        JsonNode c = image.config.path("config");
        assertEquals(List.of("/opt/java/bin/java", "-jar", "/opt/weft/weft.jar"), texts(c.path("Entrypoint")));
        assertEquals(List.of("serve"), texts(c.path("Cmd")));
        assertEquals("65532:65532", c.path("User").asText());
        assertTrue(c.path("ExposedPorts").has("6555/tcp"), c.toString());
        assertTrue(c.path("Volumes").has("/data"), c.toString());
        assertEquals("/data", c.path("WorkingDir").asText());
        List<String> env = texts(c.path("Env"));
        assertTrue(env.contains("WEFT_DB=/data/weft.db"), env.toString());
        assertTrue(env.contains("JDK_JAVA_OPTIONS=@/opt/weft/weft.jvm.options"), env.toString());
        assertEquals("linux", image.config.path("os").asText());
        assertNotEquals("", image.config.path("architecture").asText());
    }

    @Test
    @DisplayName("files: an executable java, the jar and its JVM options, the glibc loader, the user, /data and /tmp writable")
    void files() {
        OciTarball.Entry java = find("opt/java/bin/java");
        assertEquals(0755, java.mode() & 0777);
        assertTrue(find("opt/weft/weft.jar").size() > 1_000_000);
        String options = new String(Objects.requireNonNull(find("opt/weft/weft.jvm.options").content()), StandardCharsets.UTF_8);
        assertTrue(options.contains("-Xmx"), options);
        assertNotNull(find("opt/java/lib/modules"));
        assertTrue(image.layers.stream().flatMap(l -> l.entries().stream())
                .anyMatch(e -> e.path().matches("lib(64)?/(.*/)?ld-linux.*\\.so.*") && (e.mode() & 0111) != 0), "no dynamic loader");
        assertTrue(image.layers.stream().flatMap(l -> l.entries().stream()).anyMatch(e -> e.path().matches("lib/.*libc\\.so\\.6")),
                "no libc");
        String passwd = new String(Objects.requireNonNull(find("etc/passwd").content()), StandardCharsets.UTF_8);
        assertTrue(passwd.contains("weft:x:65532:65532:"), passwd);
        assertEquals(0777, find("data").mode() & 0777);
        assertEquals(0777, find("tmp").mode() & 0777);
        assertTrue(image.layers.stream().flatMap(l -> l.entries().stream()).noneMatch(e -> e.path().startsWith("app/")),
                "Jib's own /app layers should be filtered out (the shaded jar is the application)");
    }

    private static OciTarball.Entry find(String path) {
        for (OciTarball.Layer l : image.layers) {
            OciTarball.Entry e = l.find(path);
            if (e != null) return e;
        }
        throw new AssertionError("no " + path + " in any layer");
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
