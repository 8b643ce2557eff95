package dev.weft.cmd.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the Go reference encoder: {@code cd go-encode && GOPROXY=off go run . FILE SECONDS}, and
 * reads its one-line report. Go missing is a normal outcome (the weft side is still reported),
 * announced with the line {@code go not found: install golang-go}.
 */
final class GoEncode {
    private static final Pattern RATE = Pattern.compile("records_per_s=([0-9.]+)");

    /**
     * @param line              Go's report line, or why there is none
     * @param recordsPerSecond  Go's rate; NaN when it did not run
     */
    record Result(String line, double recordsPerSecond) {
        boolean ok() {
            return !Double.isNaN(recordsPerSecond);
        }
    }

    private GoEncode() {
    }

    static Result run(BenchContext ctx, Path vectors, int seconds) throws InterruptedException {
        Path dir = ctx.goEncode();
        if (!Files.isRegularFile(dir.resolve("main.go"))) {
            return new Result("go-encode not found at " + dir + " (pass --go-encode DIR)", Double.NaN);
        }
        ProcessBuilder pb = new ProcessBuilder(List.of("go", "run", ".", vectors.toAbsolutePath().toString(),
                Integer.toString(seconds))).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("GOPROXY", "off");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new Result("go not found: install golang-go (apt-get install -y golang-go); " + e.getMessage(),
                    Double.NaN);
        }
        String output;
        try (InputStream in = p.getInputStream()) {
            // The first run compiles; allow for that on top of the timed seconds.
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            p.destroyForcibly();
            return new Result("go-encode: cannot read its output: " + e.getMessage(), Double.NaN);
        }
        if (!p.waitFor(seconds + 180L, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result("go-encode did not finish", Double.NaN);
        }
        Matcher m = RATE.matcher(output);
        if (p.exitValue() != 0 || !m.find()) {
            return new Result("go-encode failed (exit " + p.exitValue() + "): " + output, Double.NaN);
        }
        String last = output.lines().filter(l -> l.startsWith("go-encoding/json")).reduce((a, b) -> b).orElse(output);
        return new Result(last, Double.parseDouble(m.group(1).toLowerCase(Locale.ROOT)));
    }
}
