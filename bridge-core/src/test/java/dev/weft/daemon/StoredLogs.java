package dev.weft.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.store.StoredFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

/** Reading a run's stored log, and poking {@link HaEngine}'s webhook, for the tests of logs across instances. */
final class StoredLogs {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StoredLogs() {
    }

    /** Posts run {@code runId} to {@link HaEngine}'s webhook on {@code w}; the HTTP status. */
    static int postHook(Weft w, long runId) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create(w.baseUrl() + "/hooks/" + HaEngine.NAME))
                            .POST(HttpRequest.BodyPublishers.ofString(Long.toString(runId))).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode();
        }
    }

    /** A run's stored log, frame by frame. */
    static List<JsonNode> stored(Weft w, long runId) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (StoredFrame f : w.store().logs().after(runId, 0, 100_000)) out.add(JSON.readTree(f.frame()));
        return out;
    }

    /** Whether {@code f} is the control frame of step {@code name} with {@code status} (start, end). */
    static boolean control(JsonNode f, String name, String status) {
        return f.path("kind").asText().equals("control") && f.path("content").asText().equals(name)
                && f.path("step_status").asText().equals(status);
    }

    /** The step id of the step started under {@code name}, checked to be started once and ended once. */
    static int stepOf(List<JsonNode> frames, String name) {
        List<Integer> starts = new ArrayList<>();
        List<Integer> ends = new ArrayList<>();
        for (JsonNode f : frames) {
            if (control(f, name, "start")) starts.add(f.path("step_id").asInt());
            if (control(f, name, "end")) ends.add(f.path("step_id").asInt());
        }
        assertEquals(1, starts.size(), name + " started once: " + starts);
        assertEquals(starts, ends, name + " ended once");
        return starts.get(0);
    }

    /** The data lines of one step, in log order. */
    static List<String> linesOf(List<JsonNode> frames, int step) {
        List<String> out = new ArrayList<>();
        for (JsonNode f : frames) {
            if (f.path("kind").asText().equals("data") && f.path("step_id").asInt() == step) out.add(f.path("content").asText());
        }
        return out;
    }
}
