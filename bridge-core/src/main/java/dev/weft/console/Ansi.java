package dev.weft.console;

import java.util.regex.Pattern;

/** ANSI escape sequences in log text: the browser colours them; server-rendered summaries drop them. */
final class Ansi {
    private static final Pattern CSI = Pattern.compile("\u001B\\[[0-?]*[ -/]*[@-~]");

    private Ansi() {
    }

    static String strip(String s) {
        return CSI.matcher(s).replaceAll("");
    }
}
