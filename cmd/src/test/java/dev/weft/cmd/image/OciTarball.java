package dev.weft.cmd.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Reads a {@code docker save}-format image tarball (what Jib's buildTar writes and
 * {@code docker load}/{@code podman load} take) with the JDK alone: its manifest, its config and
 * each layer's entries, with the layer's uncompressed digest to compare with the config's
 * {@code diff_ids}. A tar reader of the ustar and PAX headers Jib writes, no more.
 */
final class OciTarball {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One entry of a layer: its path (no leading slash), mode, type flag and content (small files only). */
    record Entry(String path, int mode, char type, long size, byte[] content) {
        boolean directory() {
            return type == '5';
        }
    }

    /** A layer: its entries, and the sha256 of its uncompressed bytes. */
    record Layer(String file, List<Entry> entries, String diffId) {
        Entry find(String path) {
            return entries.stream().filter(e -> e.path().equals(path)).findFirst().orElse(null);
        }
    }

    final JsonNode manifest;
    final JsonNode config;
    final List<Layer> layers = new ArrayList<>();

    OciTarball(Path tarball) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(tarball)) {
            for (Entry e : read(in, Long.MAX_VALUE)) files.put(e.path(), e.content());
        }
        manifest = JSON.readTree(files.get("manifest.json"));
        JsonNode image = manifest.get(0);
        config = JSON.readTree(files.get(image.path("Config").asText()));
        for (JsonNode l : image.path("Layers")) {
            byte[] gz = files.get(l.asText());
            MessageDigest sha;
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            List<Entry> entries;
            try (DigestInputStream raw = new DigestInputStream(new GZIPInputStream(new ByteArrayInputStream(gz)), sha)) {
                entries = read(raw, 64 * 1024);
                raw.transferTo(java.io.OutputStream.nullOutputStream()); // the end-of-archive blocks count too
            }
            layers.add(new Layer(l.asText(), entries, "sha256:" + HexFormat.of().formatHex(sha.digest())));
        }
    }

    /** Entries of a tar stream; contents kept up to {@code keep} bytes (the rest skipped). */
    private static List<Entry> read(InputStream in, long keep) throws IOException {
        List<Entry> out = new ArrayList<>();
        String paxPath = null;
        byte[] header = new byte[512];
        while (true) {
            if (in.readNBytes(header, 0, 512) < 512) break;
            if (allZero(header)) break;
            String name = text(header, 0, 100);
            long size = Long.parseLong(text(header, 124, 12).trim().isEmpty() ? "0" : text(header, 124, 12).trim(), 8);
            int mode = Integer.parseInt(text(header, 100, 8).trim().isEmpty() ? "0" : text(header, 100, 8).trim(), 8);
            char type = (char) (header[156] == 0 ? '0' : header[156]);
            String prefix = text(header, 345, 155);
            if (!prefix.isEmpty()) name = prefix + "/" + name;
            byte[] content = size <= keep ? in.readNBytes((int) size) : null;
            if (content == null) skip(in, size);
            skip(in, (512 - size % 512) % 512);
            if (type == 'x') {
                paxPath = paxValue(content, "path");
                continue;
            }
            if (type == 'g') continue;
            if (paxPath != null) {
                name = paxPath;
                paxPath = null;
            }
            while (name.startsWith("./") || name.startsWith("/")) name = name.substring(name.startsWith("./") ? 2 : 1);
            if (name.endsWith("/")) name = name.substring(0, name.length() - 1);
            out.add(new Entry(name, mode, type, size, content));
        }
        return out;
    }

    /** Reads past {@code n} bytes: a digesting stream sees only what is read, never what is skipped. */
    private static void skip(InputStream in, long n) throws IOException {
        byte[] buf = new byte[8192];
        while (n > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n));
            if (r < 0) throw new java.io.EOFException("tar entry cut short");
            n -= r;
        }
    }

    private static String paxValue(byte[] records, String key) {
        if (records == null) return null;
        for (String line : new String(records, StandardCharsets.UTF_8).split("\n")) {
            int space = line.indexOf(' ');
            int eq = line.indexOf('=');
            if (space > 0 && eq > space && line.substring(space + 1, eq).equals(key)) return line.substring(eq + 1);
        }
        return null;
    }

    private static String text(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) end++;
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) if (x != 0) return false;
        return true;
    }
}
