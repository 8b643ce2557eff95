package dev.weft.model;

import java.util.Objects;
import java.util.Optional;

/**
 * Syntax checks of the AT Protocol identifiers a knot hands weft, applied before anything is
 * stored: a record key becomes a path segment of {@code /logs/<knot>/<rkey>/<name>} and a row key,
 * so {@code ..}, a NUL or a blank must never get that far.
 *
 * <p>Each check returns {@link Optional#empty()} when the text is valid, otherwise a reason for a
 * log line that shows the offending text escaped ({@link #quote}), so a control character or a
 * lone surrogate cannot corrupt the log. The rules, from the atproto specifications:
 * <ul>
 *   <li><b>Record key</b> (<a href="https://atproto.com/specs/record-key">atproto.com/specs/record-key</a>,
 *       "Record Key Syntax"): 1 to 512 characters of {@code A-Za-z0-9 . - _ : ~}, and not {@code .}
 *       or {@code ..}.</li>
 *   <li><b>TID</b> (<a href="https://atproto.com/specs/tid">atproto.com/specs/tid</a>): exactly 13
 *       characters of the base32-sortable alphabet {@code 234567abcdefghijklmnopqrstuvwxyz}; the top
 *       bit of the 64-bit value is 0, so the first character is one of {@code 234567abcdefghij}.</li>
 *   <li><b>DID</b> (<a href="https://atproto.com/specs/did">atproto.com/specs/did</a>, "AT Protocol
 *       DID Identifier Syntax"): {@code did:<method>:<identifier>}, at most 2048 characters, all of
 *       {@code A-Za-z0-9 . _ : % -}; the method is one or more lowercase letters; the identifier is
 *       not empty and does not end in {@code :} or {@code %}. Percent-encoding is not decoded.</li>
 *   <li><b>NSID</b> (<a href="https://atproto.com/specs/nsid">atproto.com/specs/nsid</a>, "NSID
 *       Syntax"): ASCII, at most 317 characters, at least 3 segments separated by {@code .}; the
 *       domain authority (all but the last segment) is at most 253 characters, each segment 1 to 63
 *       characters of {@code A-Za-z0-9 -}, not starting or ending with {@code -}, the first not
 *       starting with a digit; the name (last segment) is 1 to 63 characters of {@code A-Za-z0-9},
 *       not starting with a digit.</li>
 *   <li><b>Well-formed text</b>: no unpaired UTF-16 surrogate. A JSON escape (backslash, {@code u}, {@code d800})
 *       can carry one; it has no UTF-8 form, so it would reach the appview as {@code ?} or U+FFFD
 *       instead of what the author wrote.</li>
 * </ul>
 *
 * <p>Pure and stateless; any thread. A null argument is a programming error
 * ({@link NullPointerException}).
 */
public final class AtSyntax {

    /** Longest record key, in characters. */
    public static final int MAX_RECORD_KEY = 512;
    /** Length of every TID. */
    public static final int TID_LENGTH = 13;
    /** Longest DID, in characters. */
    public static final int MAX_DID = 2048;
    /** Longest NSID, in characters. */
    public static final int MAX_NSID = 317;

    private static final String TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz";
    private static final String TID_FIRST = "234567abcdefghij";
    /** Longest piece of offending text a reason quotes; the rest is elided. */
    private static final int QUOTE_LIMIT = 80;

    private AtSyntax() {
    }

    /** Why {@code s} is not an atproto record key, or empty when it is one. */
    public static Optional<String> recordKey(String s) {
        Objects.requireNonNull(s, "s");
        if (s.isEmpty()) return why("record key is empty");
        if (s.length() > MAX_RECORD_KEY) {
            return why("record key is " + s.length() + " characters, over the " + MAX_RECORD_KEY + " allowed");
        }
        if (s.equals(".") || s.equals("..")) return why("record key " + quote(s) + " is not allowed");
        int bad = firstNot(s, AtSyntax::recordKeyChar);
        if (bad >= 0) {
            return why("record key " + quote(s) + " has " + describe(s, bad)
                    + " (allowed: A-Z a-z 0-9 . - _ : ~)");
        }
        return Optional.empty();
    }

    /** Why {@code s} is not a TID, or empty when it is one. */
    public static Optional<String> tid(String s) {
        Objects.requireNonNull(s, "s");
        if (s.length() != TID_LENGTH) {
            return why("TID " + quote(s) + " is " + s.length() + " characters, not " + TID_LENGTH);
        }
        int bad = firstNot(s, c -> TID_ALPHABET.indexOf(c) >= 0);
        if (bad >= 0) {
            return why("TID " + quote(s) + " has " + describe(s, bad) + " (allowed: " + TID_ALPHABET + ")");
        }
        if (TID_FIRST.indexOf(s.charAt(0)) < 0) {
            return why("TID " + quote(s) + " starts with '" + s.charAt(0) + "' (the top bit must be 0: one of "
                    + TID_FIRST + ")");
        }
        return Optional.empty();
    }

    /** Why {@code s} is not a DID, or empty when it is one. */
    public static Optional<String> did(String s) {
        Objects.requireNonNull(s, "s");
        if (s.length() > MAX_DID) return why("DID is " + s.length() + " characters, over the " + MAX_DID + " allowed");
        if (!s.startsWith("did:")) return why("DID " + quote(s) + " does not start with \"did:\"");
        int bad = firstNot(s, c -> asciiAlnum(c) || c == '.' || c == '_' || c == ':' || c == '%' || c == '-');
        if (bad >= 0) return why("DID " + quote(s) + " has " + describe(s, bad) + " (allowed: A-Z a-z 0-9 . _ : % -)");
        int colon = s.indexOf(':', 4);
        if (colon < 0) return why("DID " + quote(s) + " has no method-specific identifier");
        String method = s.substring(4, colon);
        if (method.isEmpty() || firstNot(method, c -> c >= 'a' && c <= 'z') >= 0) {
            return why("DID " + quote(s) + " method " + quote(method) + " is not one or more lowercase letters");
        }
        if (colon == s.length() - 1) return why("DID " + quote(s) + " has an empty identifier");
        char last = s.charAt(s.length() - 1);
        if (last == ':' || last == '%') return why("DID " + quote(s) + " ends in '" + last + "'");
        return Optional.empty();
    }

    /** Why {@code s} is not an NSID, or empty when it is one. */
    public static Optional<String> nsid(String s) {
        Objects.requireNonNull(s, "s");
        if (s.length() > MAX_NSID) return why("NSID is " + s.length() + " characters, over the " + MAX_NSID + " allowed");
        int bad = firstNot(s, c -> c < 0x80);
        if (bad >= 0) return why("NSID " + quote(s) + " has " + describe(s, bad) + " (ASCII only)");
        String[] segments = s.split("\\.", -1);
        if (segments.length < 3) return why("NSID " + quote(s) + " has " + segments.length + " segments, not at least 3");
        int authority = s.lastIndexOf('.');
        if (authority > 253) return why("NSID " + quote(s) + " domain authority is " + authority + " characters, over 253");
        for (int i = 0; i < segments.length - 1; i++) {
            String seg = segments[i];
            if (seg.isEmpty() || seg.length() > 63) {
                return why("NSID " + quote(s) + " segment " + (i + 1) + " is " + seg.length() + " characters, not 1 to 63");
            }
            if (firstNot(seg, c -> asciiAlnum(c) || c == '-') >= 0) {
                return why("NSID " + quote(s) + " segment " + quote(seg) + " has a character other than A-Z a-z 0-9 -");
            }
            if (seg.startsWith("-") || seg.endsWith("-")) {
                return why("NSID " + quote(s) + " segment " + quote(seg) + " starts or ends with '-'");
            }
            if (i == 0 && Character.isDigit(seg.charAt(0))) {
                return why("NSID " + quote(s) + " top-level segment " + quote(seg) + " starts with a digit");
            }
        }
        String name = segments[segments.length - 1];
        if (name.isEmpty() || name.length() > 63) {
            return why("NSID " + quote(s) + " name is " + name.length() + " characters, not 1 to 63");
        }
        if (firstNot(name, AtSyntax::asciiAlnum) >= 0 || Character.isDigit(name.charAt(0))) {
            return why("NSID " + quote(s) + " name " + quote(name) + " is not a letter followed by letters and digits");
        }
        return Optional.empty();
    }

    /**
     * Why {@code s} is not well-formed UTF-16, or empty when it is: the index of the first unpaired
     * surrogate. Such a string has no UTF-8 encoding, so publishing it would change it.
     */
    public static Optional<String> wellFormed(String s) {
        Objects.requireNonNull(s, "s");
        int i = loneSurrogate(s);
        return i < 0 ? Optional.empty()
                : why("unpaired UTF-16 surrogate U+" + String.format("%04X", (int) s.charAt(i)) + " at index " + i);
    }

    /** The index of the first unpaired surrogate in {@code s}, or -1. */
    public static int loneSurrogate(String s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (!Character.isSurrogate(c)) continue;
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
                continue;
            }
            return i;
        }
        return -1;
    }

    /**
     * {@code s} in double quotes, safe for a log line: printable ASCII as is, {@code "} and
     * {@code \} escaped, everything else as {@code \}{@code uXXXX}; longer than 80 characters, it is
     * cut and says how long it was.
     */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), QUOTE_LIMIT) + 2).append('"');
        int n = Math.min(s.length(), QUOTE_LIMIT);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c >= 0x20 && c < 0x7f) b.append(c);
            else b.append(String.format("\\u%04x", (int) c));
        }
        b.append('"');
        if (s.length() > QUOTE_LIMIT) b.append("... (").append(s.length()).append(" characters)");
        return b.toString();
    }

    private static boolean recordKeyChar(char c) {
        return asciiAlnum(c) || c == '.' || c == '-' || c == '_' || c == ':' || c == '~';
    }

    private static boolean asciiAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    private interface CharTest {
        boolean ok(char c);
    }

    private static int firstNot(String s, CharTest t) {
        for (int i = 0; i < s.length(); i++) if (!t.ok(s.charAt(i))) return i;
        return -1;
    }

    private static String describe(String s, int i) {
        char c = s.charAt(i);
        String shown = c >= 0x21 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
        return "the disallowed character " + shown + " at index " + i;
    }

    private static Optional<String> why(String reason) {
        return Optional.of(reason);
    }
}
