package dev.weft.pulls;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("PatchBlobs: the head commit of a gzipped git format-patch blob")
class PatchBlobsTest {
    static final long CAP = 15L << 20;
    static final String A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    static final String B = "0123456789abcdef0123456789abcdef01234567";

    /** One patch as {@code git format-patch} writes it. */
    static String patch(String sha, String subject) {
        return "From " + sha + " Mon Sep 17 00:00:00 2001\n"
                + "From: Alice <alice@example.com>\n"
                + "Date: Sun, 1 Mar 2026 10:00:00 +0000\n"
                + "Subject: [PATCH] " + subject + "\n\n"
                + "---\n README.md | 1 +\n 1 file changed, 1 insertion(+)\n\n"
                + "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -1 +1,2 @@\n hello\n+" + subject + "\n"
                + "-- \n2.47.0\n\n";
    }

    static byte[] gzip(String text) {
        return gzip(text.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] gzip(byte[] raw) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(b)) {
            out.write(raw);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return b.toByteArray();
    }

    record Ok(String name, String text, String sha) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Ok> patches() {
        return Stream.of(
                new Ok("one patch", patch(A, "one"), A),
                new Ok("several: the last one's", patch(A, "one") + patch(B, "two"), B),
                new Ok("CRLF line ends", (patch(A, "one") + patch(B, "two")).replace("\n", "\r\n"), B),
                new Ok("upper-case hex is lowered", patch(B.toUpperCase(), "one"), B),
                new Ok("no final newline", patch(A, "one").strip(), A),
                new Ok("a long diff line does not hide the next header",
                        patch(A, "one").replace("+one", "+" + "x".repeat(100_000)) + patch(B, "two"), B),
                new Ok("an indented look-alike in a body is not a header",
                        patch(A, "one").replace(" hello", " From " + B + " Mon Sep 17 00:00:00 2001"), A));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("patches")
    void lastSha(Ok c) throws Exception {
        assertEquals(c.sha(), PatchBlobs.lastPatchSha(gzip(c.text()), CAP));
    }

    @Test
    @DisplayName("two gzip members (concatenated blobs) are read through")
    void concatenatedMembers() throws Exception {
        byte[] one = gzip(patch(A, "one"));
        byte[] two = gzip(patch(B, "two"));
        byte[] both = Arrays.copyOf(one, one.length + two.length);
        System.arraycopy(two, 0, both, one.length, two.length);
        assertEquals(B, PatchBlobs.lastPatchSha(both, CAP));
    }

    record Bad(String name, byte[] blob, PatchException.Reason reason, String says) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Bad> broken() {
        byte[] corrupt = gzip(patch(A, "one"));
        corrupt[corrupt.length / 2] ^= 0x55;
        byte[] truncated = Arrays.copyOf(gzip(patch(A, "one") + patch(B, "two")), 40);
        return Stream.of(
                new Bad("plain text", patch(A, "one").getBytes(StandardCharsets.UTF_8), PatchException.Reason.NOT_GZIP,
                        "starts with \"From aaaa"),
                new Bad("an HTML error page", "<html><body>502</body></html>".getBytes(StandardCharsets.UTF_8),
                        PatchException.Reason.NOT_GZIP, "not gzip"),
                new Bad("empty", new byte[0], PatchException.Reason.NOT_GZIP, "not gzip (0 bytes"),
                new Bad("corrupt gzip", corrupt, PatchException.Reason.NOT_GZIP, "corrupt gzip"),
                new Bad("truncated gzip", truncated, PatchException.Reason.NOT_GZIP, "corrupt gzip"),
                new Bad("gzip of a README", gzip("# hello\n\nsome text\n"), PatchException.Reason.NOT_A_PATCH,
                        "not git format-patch output"),
                new Bad("gzip of a bare diff (no format-patch header)",
                        gzip("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"), PatchException.Reason.NOT_A_PATCH,
                        "no \"From <sha>"),
                new Bad("a header with a short sha", gzip("From abc123 Mon Sep 17 00:00:00 2001\n"),
                        PatchException.Reason.NOT_A_PATCH, "not git format-patch"),
                new Bad("an mbox From line, not git's", gzip("From " + A + " Tue Mar  3 10:00:00 2026\n"),
                        PatchException.Reason.NOT_A_PATCH, "not git format-patch"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("broken")
    void refused(Bad c) {
        PatchException e = assertThrows(PatchException.class, () -> PatchBlobs.lastPatchSha(c.blob(), CAP));
        assertEquals(c.reason(), e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(c.says()), e.getMessage());
    }

    @Test
    @DisplayName("a gzip bomb stops at the inflated cap, without inflating the rest")
    void bomb() {
        // 64 MiB of zeros gzips to about 64 KiB; the cap here is 1 MiB.
        byte[] bomb = gzip(new byte[64 << 20]);
        assertTrue(bomb.length < 128 << 10, "bomb " + bomb.length);
        PatchException e = assertThrows(PatchException.class, () -> PatchBlobs.lastPatchSha(bomb, 1 << 20));
        assertEquals(PatchException.Reason.TOO_LARGE, e.reason());
        assertEquals("inflates to more than 1048576 bytes", e.getMessage());
    }

    @Test
    @DisplayName("a patch exactly at the cap is read; one byte over is refused")
    void capBoundary() throws Exception {
        byte[] text = patch(A, "one").getBytes(StandardCharsets.UTF_8);
        assertEquals(A, PatchBlobs.lastPatchSha(gzip(text), text.length));
        PatchException e = assertThrows(PatchException.class, () -> PatchBlobs.lastPatchSha(gzip(text), text.length - 1));
        assertEquals(PatchException.Reason.TOO_LARGE, e.reason());
    }
}
