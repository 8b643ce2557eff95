package dev.weft.pulls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Reads the head commit out of a round's patch blob: gzipped {@code git format-patch} output, in
 * which each patch starts with {@code From <sha> Mon Sep 17 00:00:00 2001} (a fixed date git
 * writes so the line is recognisable). The blob is inflated as a stream and scanned line by line,
 * keeping only the last such SHA: a gzip bomb costs at most {@code maxInflated} bytes of reading
 * and one short line buffer, never the inflated text. Pure (no I/O beyond the bytes given).
 */
final class PatchBlobs {
    private static final Pattern FROM = Pattern.compile("From ([0-9a-fA-F]{40}) Mon Sep 17 00:00:00 2001\r?");
    /** Longer than any header line; longer lines are skipped without being kept. */
    private static final int LINE_PREFIX = 80;

    private PatchBlobs() {
    }

    /**
     * The SHA of the last patch in {@code gzipped}.
     *
     * @param maxInflated the most the blob may inflate to
     * @throws PatchException {@code NOT_GZIP}, {@code TOO_LARGE} or {@code NOT_A_PATCH}
     */
    static String lastPatchSha(byte[] gzipped, long maxInflated) throws PatchException {
        if (gzipped.length < 2 || (gzipped[0] & 0xff) != 0x1f || (gzipped[1] & 0xff) != 0x8b) {
            throw new PatchException(PatchException.Reason.NOT_GZIP, "not gzip (" + gzipped.length + " bytes, "
                    + describeStart(gzipped) + ")");
        }
        String last = null;
        long inflated = 0;
        byte[] line = new byte[LINE_PREFIX];
        int len = 0;
        boolean overlong = false;
        byte[] buf = new byte[16 * 1024];
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped), buf.length)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                inflated += n;
                if (inflated > maxInflated) {
                    throw new PatchException(PatchException.Reason.TOO_LARGE,
                            "inflates to more than " + maxInflated + " bytes");
                }
                for (int i = 0; i < n; i++) {
                    byte b = buf[i];
                    if (b == '\n') {
                        if (!overlong) last = shaOf(line, len, last);
                        len = 0;
                        overlong = false;
                    } else if (len < LINE_PREFIX) {
                        line[len++] = b;
                    } else {
                        overlong = true;
                    }
                }
            }
        } catch (IOException e) {
            throw new PatchException(PatchException.Reason.NOT_GZIP, "corrupt gzip: " + e.getMessage());
        }
        if (!overlong) last = shaOf(line, len, last);
        if (last == null) {
            throw new PatchException(PatchException.Reason.NOT_A_PATCH,
                    "no \"From <sha> Mon Sep 17 00:00:00 2001\" line in " + inflated + " bytes: not git format-patch output");
        }
        return last;
    }

    private static String shaOf(byte[] line, int len, String previous) {
        if (len < 5 || line[0] != 'F') return previous;
        Matcher m = FROM.matcher(new String(line, 0, len, java.nio.charset.StandardCharsets.ISO_8859_1));
        return m.matches() ? m.group(1).toLowerCase(Locale.ROOT) : previous;
    }

    /** The first bytes, for an error message that says what came instead (HTML, JSON, ...). */
    private static String describeStart(byte[] b) {
        StringBuilder s = new StringBuilder("starts with \"");
        for (int i = 0; i < Math.min(16, b.length); i++) {
            char c = (char) (b[i] & 0xff);
            s.append(c >= 0x20 && c < 0x7f ? c : '.');
        }
        return s.append('"').toString();
    }
}
