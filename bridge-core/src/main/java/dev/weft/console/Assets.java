package dev.weft.console;

import dev.weft.server.PageHandler.Response;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/** {@code GET /console/assets/<name>}: the stylesheet and the script, from the class path, cached for an hour. */
final class Assets {
    private static final Map<String, String> TYPES = Map.of(
            "console.css", "text/css; charset=utf-8",
            "console.js", "text/javascript; charset=utf-8");
    private final Map<String, byte[]> bodies;

    Assets() {
        java.util.HashMap<String, byte[]> m = new java.util.HashMap<>();
        for (String name : TYPES.keySet()) m.put(name, read(name));
        this.bodies = Map.copyOf(m);
    }

    Response get(String name) {
        byte[] body = bodies.get(name);
        if (body == null) return Response.of(404, "text/plain; charset=utf-8", "not found\n");
        return new Response(200, TYPES.get(name), Map.of("Cache-Control", "public, max-age=3600"), body);
    }

    private static byte[] read(String name) {
        try (InputStream in = Assets.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("console asset " + name + " is missing from the build");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
