package dev.weft.runs;

/**
 * Go's {@code %#v} of a string ({@code strconv.Quote}), for error texts that must read exactly as the
 * upstream spindle writes them, such as {@code unknown engine "nixery"}.
 */
final class GoQuote {
    private GoQuote() {
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        s.codePoints().forEach(cp -> {
            switch (cp) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case 0x07 -> b.append("\\a");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case 0x0b -> b.append("\\v");
                default -> {
                    if (cp < 0x20 || cp == 0x7f) b.append(String.format("\\x%02x", cp));
                    else if (Character.isISOControl(cp) || Character.getType(cp) == Character.FORMAT
                            || (cp >= 0xD800 && cp <= 0xDFFF)) {
                        b.append(cp > 0xffff ? String.format("\\U%08x", cp) : String.format("\\u%04x", cp));
                    } else b.appendCodePoint(cp);
                }
            }
        });
        return b.append('"').toString();
    }
}
