package dev.weft.provider.stub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.spi.GoDuration;
import dev.weft.spi.WorkflowSpecException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What a stub run does, parsed from the workflow: the {@code stub:} block when present, otherwise
 * the workflow's own Tangled {@code steps}, each echoed as {@code would run: <command>}.
 */
record StubScript(List<StubStep> steps, boolean hang) {

    /** One scripted step. */
    record StubStep(String name, String command, List<String> output, List<String> stderr, Duration delay, int exit,
                    List<String> chunks) {
        StubStep(String name, String command, List<String> output, List<String> stderr, Duration delay, int exit) {
            this(name, command, output, stderr, delay, exit, List.of());
        }
    }

    static StubScript parse(JsonNode spec, JsonNode block) throws WorkflowSpecException {
        if (block.isMissingNode() || block.isNull()) return echo(spec);
        if (!block.isObject()) throw new WorkflowSpecException("stub: must be a mapping");
        List<StubStep> steps = new ArrayList<>();
        JsonNode list = block.path("steps");
        if (!list.isMissingNode() && !list.isArray()) throw new WorkflowSpecException("stub.steps: must be a list");
        int i = 0;
        for (JsonNode s : list) {
            String where = "stub.steps[" + i++ + "]";
            if (!s.isObject()) throw new WorkflowSpecException(where + ": must be a mapping");
            String name = text(s, "name", where);
            if (name == null || name.isEmpty()) throw new WorkflowSpecException(where + ".name: required");
            String command = text(s, "command", where);
            Duration delay = Duration.ZERO;
            if (s.hasNonNull("delay")) {
                try {
                    delay = GoDuration.parse(s.get("delay").asText());
                } catch (IllegalArgumentException e) {
                    throw new WorkflowSpecException(where + ".delay: " + e.getMessage());
                }
            }
            int exit = 0;
            if (s.hasNonNull("exit")) {
                if (!s.get("exit").canConvertToInt()) throw new WorkflowSpecException(where + ".exit: must be an integer");
                exit = s.get("exit").asInt();
            }
            steps.add(new StubStep(name, command == null ? "" : command, lines(s, "output", where),
                    lines(s, "stderr", where), delay, exit, lines(s, "chunks", where)));
        }
        JsonNode hang = block.path("hang");
        if (!hang.isMissingNode() && !hang.isBoolean()) throw new WorkflowSpecException("stub.hang: must be true or false");
        return new StubScript(List.copyOf(steps), hang.asBoolean(false));
    }

    private static StubScript echo(JsonNode spec) throws WorkflowSpecException {
        List<StubStep> steps = new ArrayList<>();
        int i = 0;
        for (JsonNode s : spec.path("steps")) {
            String where = "steps[" + i++ + "]";
            String name = s.path("name").asText("");
            String command = s.path("command").asText("");
            if (name.isEmpty()) name = where;
            steps.add(new StubStep(name, command, List.of("would run: " + command), List.of(), Duration.ZERO, 0));
        }
        return new StubScript(List.copyOf(steps), false);
    }

    private static String text(JsonNode s, String key, String where) throws WorkflowSpecException {
        JsonNode v = s.get(key);
        if (v == null || v.isNull()) return null;
        if (!v.isValueNode()) throw new WorkflowSpecException(where + "." + key + ": must be text");
        return v.asText();
    }

    private static List<String> lines(JsonNode s, String key, String where) throws WorkflowSpecException {
        JsonNode v = s.get(key);
        if (v == null || v.isNull()) return List.of();
        if (!v.isArray()) throw new WorkflowSpecException(where + "." + key + ": must be a list of lines");
        List<String> out = new ArrayList<>();
        for (JsonNode l : v) out.add(l.asText());
        return List.copyOf(out);
    }
}
